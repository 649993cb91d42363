import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { apiTokens, users, type NewApiToken } from "../schema/index.ts";

export async function insertApiToken(
  row: Omit<NewApiToken, "id" | "createdAt" | "lastUsedAt" | "revokedAt" | "revokedBy">,
  db: DbOrTx,
): Promise<{ id: string }> {
  const [created] = await db.insert(apiTokens).values(row).returning({ id: apiTokens.id });
  return created!;
}

/** The live (not revoked) token with this hash, with its creator's label for the audit log. */
export async function findLiveApiTokenByHash({ tokenHash }: { tokenHash: string }, db: DbOrTx) {
  const [row] = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      scope: apiTokens.scope,
      rateLimitPerMinute: apiTokens.rateLimitPerMinute,
      createdBy: apiTokens.createdBy,
      creatorEmail: users.email,
      creatorDisabledAt: users.disabledAt,
      creatorRole: users.role,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.createdBy))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row ?? null;
}

/** Stamps last use, at most once a minute per token, so a busy integration does not write on every call. */
export async function touchApiToken({ tokenId, now }: { tokenId: string; now: Date }, db: DbOrTx): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.id, tokenId), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - 60_000)))));
}

/** Every token, newest first, with who made it, for the console's token page (never the hash). */
export async function listApiTokens(db: DbOrTx) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      scope: apiTokens.scope,
      hint: apiTokens.hint,
      rateLimitPerMinute: apiTokens.rateLimitPerMinute,
      createdAt: apiTokens.createdAt,
      creatorName: users.name,
      creatorEmail: users.email,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.createdBy))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** One token's name, scope and hint, whatever its state (null: no such token). */
export async function findApiToken({ id }: { id: string }, db: DbOrTx) {
  const [row] = await db
    .select({ id: apiTokens.id, name: apiTokens.name, scope: apiTokens.scope, hint: apiTokens.hint, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.id, id));
  return row ?? null;
}

/** Revokes a live token; false when it was already revoked (or is not there). */
export async function markApiTokenRevoked({ id, by, now = new Date() }: { id: string; by: string; now?: Date }, db: DbOrTx): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now, revokedBy: by })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
