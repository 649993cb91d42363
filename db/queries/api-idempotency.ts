import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { apiIdempotencyKeys } from "../schema/index.ts";

/** How long a key is remembered (Stripe keeps them 24 hours too). */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;
/** A claim with no answer this old belonged to a process that died mid-request; a retry may take it over. */
const STALE_CLAIM_MS = 5 * 60_000;

export interface SealedAnswer {
  status: number;
  answerCiphertext: Buffer;
  answerIv: Buffer;
  answerTag: Buffer;
  answerKeyId: string;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; fingerprint: string; answer: SealedAnswer | null };

/**
 * Claims (token, key) for a request about to run, in one statement: a new key is inserted; one
 * older than the TTL (not swept yet) is taken over as if new. Otherwise the existing row says what
 * to do: a different fingerprint, an answer to replay, or no answer yet (still in flight). A claim
 * left unanswered for STALE_CLAIM_MS (its process died; every handler finishes well within) is
 * taken over too, so a crash cannot lock a key for a day.
 */
export async function claimIdempotencyKey(
  { tokenId, key, fingerprint, now = new Date() }: { tokenId: string; key: string; fingerprint: string; now?: Date },
  db: DbOrTx,
): Promise<IdempotencyClaim> {
  const expired = new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS);
  const inserted = await db
    .insert(apiIdempotencyKeys)
    .values({ tokenId, key, fingerprint, createdAt: now })
    .onConflictDoUpdate({
      target: [apiIdempotencyKeys.tokenId, apiIdempotencyKeys.key],
      set: { fingerprint, createdAt: now, status: null, answerCiphertext: null, answerIv: null, answerTag: null, answerKeyId: null },
      setWhere: or(
        lt(apiIdempotencyKeys.createdAt, expired),
        and(isNull(apiIdempotencyKeys.status), lt(apiIdempotencyKeys.createdAt, new Date(now.getTime() - STALE_CLAIM_MS))),
      ),
    })
    .returning({ tokenId: apiIdempotencyKeys.tokenId });
  if (inserted.length > 0) return { claimed: true };
  const [row] = await db
    .select()
    .from(apiIdempotencyKeys)
    .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key)));
  // why: swept between the two statements; claim again (it is a new key now)
  if (!row) return claimIdempotencyKey({ tokenId, key, fingerprint, now }, db);
  const answer =
    row.status !== null && row.answerCiphertext && row.answerIv && row.answerTag && row.answerKeyId
      ? { status: row.status, answerCiphertext: row.answerCiphertext, answerIv: row.answerIv, answerTag: row.answerTag, answerKeyId: row.answerKeyId }
      : null;
  return { claimed: false, fingerprint: row.fingerprint, answer };
}

/** Stores the answer of a claimed key, so retries replay it. */
export async function completeIdempotencyKey({ tokenId, key, answer }: { tokenId: string; key: string; answer: SealedAnswer }, db: DbOrTx): Promise<void> {
  await db
    .update(apiIdempotencyKeys)
    .set(answer)
    .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key), isNull(apiIdempotencyKeys.status)));
}

/** Gives a claim back (the handler failed on our side), so a retry runs the handler. */
export async function releaseIdempotencyKey({ tokenId, key }: { tokenId: string; key: string }, db: DbOrTx): Promise<void> {
  await db.delete(apiIdempotencyKeys).where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key), isNull(apiIdempotencyKeys.status)));
}

/** Drops keys older than the TTL; returns how many. */
export async function sweepIdempotencyKeys({ now = new Date() }: { now?: Date } = {}, db: Db): Promise<number> {
  const gone = await db
    .delete(apiIdempotencyKeys)
    .where(lt(apiIdempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS)))
    .returning({ key: apiIdempotencyKeys.key });
  return gone.length;
}
