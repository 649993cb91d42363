import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { API_TOKEN_SCOPES, type ApiTokenScope } from "../../domain/vocabulary.ts";
import { inList } from "./columns.ts";
import { users } from "./users.ts";

/**
 * Bearer tokens for the JSON API (/api/v1), created and revoked by admins in the console. The token
 * itself is shown once; only its SHA-256 is kept (256 random bits need no slow hash), with the last
 * four characters as a hint so an admin can tell two tokens apart.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    scope: text("scope").$type<ApiTokenScope>().notNull(),
    /** hex SHA-256 of the whole token string. */
    tokenHash: text("token_hash").notNull(),
    /** The token's last four characters, shown in the console as `rlk_…abcd`. */
    hint: text("hint").notNull(),
    /** Calls allowed per minute before 429 + Retry-After. */
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull().default(600),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Updated at most once a minute per token (a busy integration must not write on every call). */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: uuid("revoked_by").references(() => users.id, { onDelete: "restrict" }),
  },
  (t) => [
    check("api_tokens_scope_check", inList(t.scope, API_TOKEN_SCOPES)),
    check("api_tokens_name_length", sql`length(${t.name}) between 1 and 80`),
    check("api_tokens_rate_limit_positive", sql`${t.rateLimitPerMinute} between 1 and 100000`),
    check("api_tokens_revoked_together", sql`(${t.revokedAt} is null) = (${t.revokedBy} is null)`),
    uniqueIndex("api_tokens_hash_uidx").on(t.tokenHash),
    index("api_tokens_created_idx").on(t.createdAt.desc()),
  ],
);

export type ApiToken = typeof apiTokens.$inferSelect;
export type NewApiToken = typeof apiTokens.$inferInsert;
