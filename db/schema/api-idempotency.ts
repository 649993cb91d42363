import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apiTokens } from "./api-tokens.ts";
import { bytea } from "./columns.ts";

/**
 * `Idempotency-Key`s of JSON API POSTs (docs/decisions/0047-api-tokens-limits-idempotency.md): the
 * first request claims (token, key) before its handler runs; its answer is stored sealed (it may
 * carry a reconnect URL) so a retry gets the same answer without running the handler again.
 * Kept 24 hours, then swept by the maintenance job.
 */
export const apiIdempotencyKeys = pgTable(
  "api_idempotency_keys",
  {
    tokenId: uuid("token_id")
      .notNull()
      .references(() => apiTokens.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** hex SHA-256 of method, path and canonical body: a retry must send the same request. */
    fingerprint: text("fingerprint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Null while the first request is in flight. */
    status: integer("status"),
    /** The answer (status, headers, body) sealed with the API-key keyring, bound to (token, key). */
    answerCiphertext: bytea("answer_ciphertext"),
    answerIv: bytea("answer_iv"),
    answerTag: bytea("answer_tag"),
    answerKeyId: text("answer_key_id"),
  },
  (t) => [
    primaryKey({ columns: [t.tokenId, t.key] }),
    check("api_idempotency_keys_key_length", sql`length(${t.key}) between 1 and 255`),
    check(
      "api_idempotency_keys_answer_together",
      sql`(${t.status} is null) = (${t.answerCiphertext} is null) and (${t.answerCiphertext} is null) = (${t.answerIv} is null) and (${t.answerIv} is null) = (${t.answerTag} is null) and (${t.answerTag} is null) = (${t.answerKeyId} is null)`,
    ),
    index("api_idempotency_keys_created_idx").on(t.createdAt),
  ],
);

export type ApiIdempotencyKey = typeof apiIdempotencyKeys.$inferSelect;
