import { and, eq, isNull, lt, or } from "drizzle-orm";
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
