import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { findApiToken, findLiveApiTokenByHash, insertApiToken, markApiTokenRevoked, touchApiToken } from "../../db/queries/api-tokens.ts";
import { hasRole } from "../auth/roles.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { API_TOKEN_SCOPES, type ApiTokenScope } from "../vocabulary.ts";

/**
 * JSON API tokens (docs/decisions/0042-json-api.md): `rlk_` + 256 random bits, base64url. Only the
 * SHA-256 is stored; the token is shown once, when it is created.
 */

const PREFIX = "rlk_";
const TOKEN_SHAPE = /^rlk_[A-Za-z0-9_-]{43}$/;

export function generateApiToken(): { token: string; tokenHash: string; hint: string } {
  const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashApiToken(token), hint: token.slice(-4) };
}

function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Who is calling: the token, and the actor its actions are audited as (its creator, labelled as the token). */
export interface ApiCaller {
  tokenId: string;
  tokenName: string;
  scope: ApiTokenScope;
  rateLimitPerMinute: number;
  actor: Actor;
}

export type ApiAuthentication = { ok: true; caller: ApiCaller } | { ok: false; reason: "missing" | "malformed" | "unknown" };

/** The caller an `Authorization: Bearer rlk_…` header names; a revoked token, or one whose creator is disabled, is unknown. */
export async function authenticateApiToken(authorization: string | null, db: DbOrTx, now = new Date()): Promise<ApiAuthentication> {
  if (!authorization) return { ok: false, reason: "missing" };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match || !TOKEN_SHAPE.test(match[1]!)) return { ok: false, reason: "malformed" };
  const row = await findLiveApiTokenByHash({ tokenHash: hashApiToken(match[1]!) }, db);
  if (!row || row.creatorDisabledAt) return { ok: false, reason: "unknown" };
  // why: a busy integration must not write on every call; the select already says when it was last stamped
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= 60_000) await touchApiToken({ tokenId: row.id, now }, db);
  return {
    ok: true,
    caller: {
      tokenId: row.id,
      tokenName: row.name,
      // why: a token acts as its creator, so it writes only while the creator may (the console's actions need an agent)
      scope: row.scope === "write" && hasRole(row.creatorRole, "agent") ? "write" : "read",
      rateLimitPerMinute: row.rateLimitPerMinute,
      actor: { userId: row.createdBy, label: `API token “${row.name}” (${row.creatorEmail})` },
    },
  };
}

/** What an admin fills in to create a token (the console's form; the same bounds as the table's checks). */
export const NewApiTokenSchema = z.object({
  name: z.string().trim().min(1, "Name the token after what will use it, e.g. “Onboarding service”").max(80, "Use at most 80 characters"),
  scope: z.enum(API_TOKEN_SCOPES, "Pick read-only or read-write"),
  // why preprocess: an emptied number field means "the default", not 0
  rateLimitPerMinute: z.preprocess(
    (v) => (v === "" || v === null ? undefined : v),
    z.coerce
      .number("Enter a number of calls per minute")
      .int("Enter a whole number of calls per minute")
      .min(1, "Allow at least 1 call a minute")
      .max(100_000, "At most 100,000 calls a minute")
      .default(600),
  ),
});
export type NewApiTokenInput = z.input<typeof NewApiTokenSchema>;

/** The audit entry's facts about a token: never the token or its hash. */
const tokenFacts = (t: { id: string; name: string; scope: ApiTokenScope; hint: string }) => ({ tokenId: t.id, name: t.name, scope: t.scope, hint: t.hint });

/**
 * Issues a token. The returned `token` is the only copy there will ever be: show it once, in the
 * response that created it; the table keeps its SHA-256 and last four characters.
 */
export async function createApiToken(
  { input, actor }: { input: NewApiTokenInput; actor: Actor },
  db: Db,
): Promise<{ id: string; token: string; name: string; scope: ApiTokenScope; hint: string }> {
  const parsed = NewApiTokenSchema.parse(input);
  const { token, tokenHash, hint } = generateApiToken();
  return db.transaction(async (tx) => {
    const { id } = await insertApiToken(
      { name: parsed.name, scope: parsed.scope, tokenHash, hint, rateLimitPerMinute: parsed.rateLimitPerMinute, createdBy: actor.userId },
      tx,
    );
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "api_token.create",
        details: { ...tokenFacts({ id, name: parsed.name, scope: parsed.scope, hint }), rateLimitPerMinute: parsed.rateLimitPerMinute },
      },
      tx,
    );
    return { id, token, name: parsed.name, scope: parsed.scope, hint };
  });
}

/** Revokes a token: its next call is a 401. Revoking twice is a 409; an unknown id a 404. */
export async function revokeApiToken({ tokenId, actor }: { tokenId: string; actor: Actor }, db: Db): Promise<{ name: string }> {
  return db.transaction(async (tx) => {
    const found = await findApiToken({ id: tokenId }, tx);
    if (!found) throw new DomainError(404, "No API token has that id.");
    if (!(await markApiTokenRevoked({ id: tokenId, by: actor.userId }, tx))) {
      throw new DomainError(409, `“${found.name}” is already revoked.`, { code: "token_revoked" });
    }
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "api_token.revoke", details: tokenFacts(found) }, tx);
    return { name: found.name };
  });
}
