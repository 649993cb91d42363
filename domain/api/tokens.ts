import { createHash, randomBytes } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { findLiveApiTokenByHash, touchApiToken } from "../../db/queries/api-tokens.ts";
import { hasRole } from "../auth/roles.ts";
import type { Actor } from "../clinics/console-actions.ts";
import type { ApiTokenScope } from "../vocabulary.ts";

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
