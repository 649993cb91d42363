import { sql } from "drizzle-orm";
import { check, date, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { inList } from "./columns.ts";
import { users } from "./users.ts";
import { CONNECTION_STATES, type ConnectionState, type Vendor, VENDORS } from "../../domain/vocabulary.ts";

/**
 * A migration campaign: a planned change (a vendor's platform move, a key archival) that every
 * clinic in it must reconnect for before a deadline (docs/decisions/0011-adding-clinics-and-campaigns.md).
 */
export const campaigns = pgTable(
  "campaigns",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    vendor: text("vendor").$type<Vendor>().notNull(),
    /** Shown to the clinics in their reconnect link and email. */
    reason: text("reason").notNull(),
    // why: a calendar day, as agents and clinics talk about it; "past deadline" starts the next UTC day
    deadline: date("deadline", { mode: "string" }).notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "restrict" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set when support cancels the campaign: no more sends or additions; its clinics go back to where they were. */
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    cancelledBy: uuid("cancelled_by").references(() => users.id, { onDelete: "restrict" }),
    cancelReason: text("cancel_reason"),
  },
  (t) => [
    check("campaigns_vendor_check", inList(t.vendor, VENDORS)),
    check("campaigns_name_not_blank", sql`length(trim(${t.name})) > 0`),
    index("campaigns_created_idx").on(t.createdAt.desc()),
  ],
);

/**
 * Which clinics a campaign covers. Progress (reconnected / waiting / failing / past deadline) is
 * derived from the clinic's connection at read time, so it can never drift from the real state;
 * only what happened to the clinic *because of the campaign* is stored here.
 */
export const campaignClinics = pgTable(
  "campaign_clinics",
  {
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "restrict" }),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "restrict" }),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().defaultNow(),
    addedBy: uuid("added_by").references(() => users.id, { onDelete: "restrict" }),
    /** The connection's state when it was added (it may not have moved to pending_disconnect). */
    fromState: text("from_state").$type<ConnectionState>().notNull(),
    /** Set when a send claims the row, cleared again if sending failed. */
    linkSentAt: timestamp("link_sent_at", { withTimezone: true }),
    /** Why the last send did not reach the clinic (no admin email, clinic archived…). */
    linkError: text("link_error"),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.clinicId] }),
    check("campaign_clinics_from_state_check", inList(t.fromState, CONNECTION_STATES)),
    index("campaign_clinics_clinic_idx").on(t.clinicId),
  ],
);

export type Campaign = typeof campaigns.$inferSelect;
export type NewCampaign = typeof campaigns.$inferInsert;
export type CampaignClinic = typeof campaignClinics.$inferSelect;
