import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./columns.ts";

/**
 * The one Nookal v3 access token per key, shared by every process (web and each worker): a new
 * token may invalidate the older ones of the same key, so processes that each minted their own
 * would keep knocking each other out. Sealed like API keys (AES-256-GCM, bound to its row id).
 */
export const nookalAccessTokens = pgTable("nookal_access_tokens", {
  /** sha256 (base64url) of region, base URL and key: names the key without holding it. */
  id: text("id").primaryKey(),
  tokenCiphertext: bytea("token_ciphertext").notNull(),
  tokenIv: bytea("token_iv").notNull(),
  tokenTag: bytea("token_tag").notNull(),
  /** Id of the master key that sealed it. */
  tokenKeyId: text("token_key_id").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type NookalAccessTokenRow = typeof nookalAccessTokens.$inferSelect;
