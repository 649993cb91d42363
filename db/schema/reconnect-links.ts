import { sql } from "drizzle-orm";
import { boolean, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { bytea } from "./columns.ts";
import { connections } from "./connections.ts";

/**
 * Self-serve reconnect links (docs/decisions/0007-reconnect-page.md). The token itself is never
 * stored: only its SHA-256. One live link made by support per clinic (a newer one revokes the older);
 * links in "action needed" emails stay valid beside it until used or expired. Using any link revokes all others.
 */
export const reconnectLinks = pgTable(
  "reconnect_links",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "cascade" }),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    /** SHA-256 of the 256-bit token. */
    tokenHash: bytea("token_hash").notNull(),
    /** Shown to the clinic admin: what the link is for. */
    purpose: text("purpose").notNull(),
    /** "system" or the id of the support user who sent it. */
    createdBy: text("created_by").notNull(),
    /** Minted for an "action needed" email: a newer link does not revoke it; only using a link does (or its expiry). */
    forAlertEmail: boolean("for_alert_email").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** A key was accepted through the link: it is used up. */
    usedAt: timestamp("used_at", { withTimezone: true }),
    /** A newer link replaced this one (or support withdrew it). */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    // why: a key that works in another region waits here, sealed, for the one-click retry, so it
    // never goes back to the browser (docs/decisions/0007-reconnect-page.md, decision 4)
    retryKeyCiphertext: bytea("retry_key_ciphertext"),
    retryKeyIv: bytea("retry_key_iv"),
    retryKeyTag: bytea("retry_key_tag"),
    retryKeyId: text("retry_key_id"),
    retryRegion: text("retry_region"),
    retryApiVersion: text("retry_api_version"),
    retryExpiresAt: timestamp("retry_expires_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("reconnect_links_token_hash_uidx").on(t.tokenHash),
    // why: "creating a new link revokes the previous one" holds even when two agents click at once;
    // links in action-needed emails are outside it: each email's link must keep working until its stated expiry
    uniqueIndex("reconnect_links_one_live_uidx")
      .on(t.clinicId)
      .where(sql`${t.usedAt} is null and ${t.revokedAt} is null and not ${t.forAlertEmail}`),
    index("reconnect_links_clinic_created_idx").on(t.clinicId, t.createdAt.desc()),
    check("reconnect_links_token_hash_len", sql`octet_length(${t.tokenHash}) = 32`),
    check("reconnect_links_purpose_len", sql`length(trim(${t.purpose})) between 1 and 200`),
    check("reconnect_links_expiry_after_creation", sql`${t.expiresAt} > ${t.createdAt}`),
    check(
      "reconnect_links_retry_parts_together",
      sql`(${t.retryKeyCiphertext} is null) = (${t.retryKeyIv} is null) and (${t.retryKeyIv} is null) = (${t.retryKeyTag} is null)
        and (${t.retryKeyTag} is null) = (${t.retryKeyId} is null) and (${t.retryKeyId} is null) = (${t.retryRegion} is null)
        and (${t.retryRegion} is null) = (${t.retryApiVersion} is null) and (${t.retryApiVersion} is null) = (${t.retryExpiresAt} is null)`,
    ),
  ],
);

export type ReconnectLink = typeof reconnectLinks.$inferSelect;
export type NewReconnectLink = typeof reconnectLinks.$inferInsert;
