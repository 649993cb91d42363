import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { hitRateLimit, peekRateLimit } from "../../db/queries/rate-limits.ts";
import { findUserByEmail } from "../../db/queries/users.ts";
import { dummyHash, verifyPassword } from "./passwords.ts";
import type { UserRole } from "../vocabulary.ts";

/**
 * why: five wrong passwords per account per 15 minutes stops online guessing without locking out
 * a person who mistypes twice; the window is fixed and kept in PostgreSQL so every replica agrees.
 */
export const SIGN_IN_LIMIT = { limit: 5, windowSeconds: 15 * 60 } as const;

export type SignInResult =
  | { ok: true; user: { id: string; email: string; name: string; role: UserRole } }
  | { ok: false; reason: "mismatch" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

function bucketFor(email: string): string {
  return `sign-in:${email.trim().toLowerCase()}`;
}

/**
 * Checks an email and password. Only failures count towards the limit; once it is reached even the
 * right password is refused until the window ends, so a guesser learns nothing from the answer.
 */
export async function signIn({ email, password, now = new Date() }: { email: string; password: string; now?: Date }, db: Db): Promise<SignInResult> {
  const bucket = bucketFor(email);
  const before = await peekRateLimit({ bucket, ...SIGN_IN_LIMIT, now }, db);
  if (!before.allowed) return { ok: false, reason: "rate_limited", retryAfterSeconds: before.retryAfterSeconds };
  const user = await findUserByEmail({ email }, db);
  // why: verify against a dummy hash for unknown emails so response time does not reveal which accounts exist
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !ok || user.disabledAt) {
    const hit = await hitRateLimit({ bucket, ...SIGN_IN_LIMIT, now }, db);
    if (hit.count >= SIGN_IN_LIMIT.limit) {
      const after = await peekRateLimit({ bucket, ...SIGN_IN_LIMIT, now }, db);
      return { ok: false, reason: "rate_limited", retryAfterSeconds: after.retryAfterSeconds };
    }
    return { ok: false, reason: "mismatch" };
  }
  await recordAudit({ actorUserId: user.id, actorLabel: user.email, action: "user.sign_in" }, db);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, role: user.role } };
}
