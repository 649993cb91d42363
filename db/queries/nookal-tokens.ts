import { eq, lt, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { nookalAccessTokens } from "../schema/index.ts";

/** A stored token's sealed parts and expiry, as the domain adapter seals and opens them. */
export interface SealedTokenRow {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
  keyId: string;
  expiresAt: Date;
}

const columns = {
  ciphertext: nookalAccessTokens.tokenCiphertext,
  iv: nookalAccessTokens.tokenIv,
  tag: nookalAccessTokens.tokenTag,
  keyId: nookalAccessTokens.tokenKeyId,
  expiresAt: nookalAccessTokens.expiresAt,
};

export async function getNookalToken({ id }: { id: string }, db: DbOrTx): Promise<SealedTokenRow | undefined> {
  const [row] = await db.select(columns).from(nookalAccessTokens).where(eq(nookalAccessTokens.id, id));
  return row;
}

/**
 * Runs `decide` while holding a transaction-scoped advisory lock for this token id, so of all
 * processes refreshing the same key's token at once exactly one mints; the others wait, then see
 * the fresh row. `decide` gets the current row and returns a replacement to write, or null to keep it.
 * The lock lives only as long as the transaction, so a crashed process can never leave it held.
 */
export async function refreshNookalTokenLocked<T>(
  {
    id,
    lockTimeoutMs,
    decide,
  }: { id: string; lockTimeoutMs: number; decide: (current: SealedTokenRow | undefined) => Promise<{ write: SealedTokenRow | null; result: T }> },
  db: Db,
): Promise<T> {
  return db.transaction(async (tx) => {
    // why: a refresher whose vendor call hangs must not queue every other process forever
    await tx.execute(sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`);
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`relink:nookal-token:${id}`}, 0))`);
    const [current] = await tx.select(columns).from(nookalAccessTokens).where(eq(nookalAccessTokens.id, id));
    const { write, result } = await decide(current);
    if (write) {
      const values = {
        tokenCiphertext: write.ciphertext,
        tokenIv: write.iv,
        tokenTag: write.tag,
        tokenKeyId: write.keyId,
        expiresAt: write.expiresAt,
        updatedAt: new Date(),
      };
      await tx
        .insert(nookalAccessTokens)
        .values({ id, ...values })
        .onConflictDoUpdate({ target: nookalAccessTokens.id, set: values });
    }
    return result;
  });
}

/** Drops tokens that expired more than a day ago (keys no longer in use). */
export async function sweepNookalTokens({ now = new Date() }: { now?: Date } = {}, db: DbOrTx): Promise<number> {
  const rows = await db
    .delete(nookalAccessTokens)
    .where(lt(nookalAccessTokens.expiresAt, new Date(now.getTime() - 24 * 3600_000)))
    .returning({ id: nookalAccessTokens.id });
  return rows.length;
}
