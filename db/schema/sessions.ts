import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/** A one-time message for the next page a session loads (app/session.server.ts). */
export interface SessionFlash {
  message: string;
  tone: "ok" | "bad" | "info";
}

/**
 * Console sign-ins (docs/decisions/0021-web-request-security.md). The cookie carries only a random
 * 256-bit token; this table keeps its SHA-256, so a copy of the table signs nobody in. A session
 * ends at `expires_at` (absolute), after an idle gap in `last_seen_at`, or when revoked (logout,
 * account disabled, role changed) — all checked on every request.
 */
export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 (hex) of the cookie's token. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** Why it ended early: logout, user.disable, user.change_role. */
    revokedReason: text("revoked_reason"),
    flash: jsonb("flash").$type<SessionFlash>(),
  },
  (t) => [check("sessions_id_sha256", sql`${t.id} ~ '^[0-9a-f]{64}$'`), index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

export type SessionRow = typeof sessions.$inferSelect;
