import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { hitRateLimit, refundRateLimit } from "../../db/queries/rate-limits.ts";
import { findUserByEmail } from "../../db/queries/users.ts";
import { dummyHash, verifyPassword } from "./passwords.ts";
import type { UserRole } from "../vocabulary.ts";

/**
 * why: five wrong passwords per account per 15 minutes stops online guessing without locking out
 * a person who mistypes twice; the window is fixed and kept in PostgreSQL so every replica agrees.
 */
const SIGN_IN_LIMIT = { limit: 5, windowSeconds: 15 * 60 } as const;

/**
 * why: one address may fail ten sign-ins per 15 minutes across all accounts. Its attempts past
 * that are refused before they count against any account, so one attacker can lock out at most
 * two accounts per window instead of every admin, and cannot spray one password over all of them.
 */
const SIGN_IN_ADDRESS_LIMIT = { limit: 10, windowSeconds: 15 * 60 } as const;

export type SignInResult =
  | { ok: true; user: { id: string; email: string; name: string; role: UserRole } }
  | { ok: false; reason: "mismatch" }
  | { ok: false; reason: "rate_limited"; scope: "account" | "address"; retryAfterSeconds: number };

function accountBucket(email: string): string {
  return `sign-in:${email.trim().toLowerCase()}`;
}

function addressBucket(clientAddress: string | undefined): string {
  return `sign-in-address:${clientAddress ?? "unknown"}`;
}

/**
 * Checks an email and password. Every attempt is counted (one atomic upsert each, address then
 * account) BEFORE the password is verified, so concurrent guesses cannot all pass a check that
 * none of them has counted yet; a right password is refunded, so only failures use up the limit.
 * Once a limit is reached even the right password is refused until the window ends, so a guesser
 * learns nothing from the answer.
 */
export async function signIn(
  { email, password, clientAddress, now = new Date() }: { email: string; password: string; clientAddress?: string; now?: Date },
  db: Db,
): Promise<SignInResult> {
  const address = { bucket: addressBucket(clientAddress), ...SIGN_IN_ADDRESS_LIMIT, now };
  const account = { bucket: accountBucket(email), ...SIGN_IN_LIMIT, now };
  const byAddress = await hitRateLimit(address, db);
  if (!byAddress.allowed) return { ok: false, reason: "rate_limited", scope: "address", retryAfterSeconds: byAddress.retryAfterSeconds };
  const byAccount = await hitRateLimit(account, db);
  if (!byAccount.allowed) {
    // why: refused unverified, it was no guess; only the account's own budget was spent
    await refundRateLimit(address, db);
    return { ok: false, reason: "rate_limited", scope: "account", retryAfterSeconds: byAccount.retryAfterSeconds };
  }
  const user = await findUserByEmail({ email }, db);
  // why: verify against a dummy hash for unknown emails so response time does not reveal which accounts exist
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !ok || user.disabledAt) {
    if (byAccount.count >= SIGN_IN_LIMIT.limit) {
      const windowEnd = Math.floor(now.getTime() / (SIGN_IN_LIMIT.windowSeconds * 1000) + 1) * SIGN_IN_LIMIT.windowSeconds * 1000;
      return { ok: false, reason: "rate_limited", scope: "account", retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now.getTime()) / 1000)) };
    }
    return { ok: false, reason: "mismatch" };
  }
  await Promise.all([refundRateLimit(address, db), refundRateLimit(account, db)]);
  await recordAudit({ actorUserId: user.id, actorLabel: user.email, action: "user.sign_in" }, db);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
