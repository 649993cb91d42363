import { sql } from "drizzle-orm";
import { boolean, check, date, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { inList } from "./columns.ts";
import { users } from "./users.ts";
import { BRIEFING_STATES, type BriefingState } from "../../domain/vocabulary.ts";

/** One practitioner's configured working hours for a weekday (ISO 1 = Monday … 7 = Sunday), local "HH:MM". */
export interface WorkingHoursSpan {
  dayOfWeek: number;
  startsAt: string;
  endsAt: string;
}

/**
 * The weekly briefing's setup per clinic (issue 14): what an onboarding call maps today. A clinic
 * without a row briefs with the defaults (every column's null/empty meaning is stated beside it).
 * Ids are the vendor's exact strings, of the clinic's current record set.
 */
export const briefingSettings = pgTable("briefing_settings", {
  clinicId: uuid("clinic_id")
    .primaryKey()
    .references(() => clinics.id, { onDelete: "cascade" }),
  /** Off: no briefing is composed or sent for this clinic. */
  enabled: boolean("enabled").notNull().default(true),
  /** Email addresses; null = the clinic admin's. */
  recipients: text("recipients").array(),
  /** Practitioners who count; null = active ones with appointments in the four weeks before the briefed week ends. */
  practitionerIds: text("practitioner_ids").array(),
  /** Appointment types left out of utilisation and revenue; null = types named like breaks, admin or internal time. */
  excludedAppointmentTypeIds: text("excluded_appointment_type_ids").array(),
  /** Working hours per practitioner id, used where the vendor has no availability for that practitioner. */
  workingHours: jsonb("working_hours").$type<Record<string, WorkingHoursSpan[]>>().notNull().default({}),
  /** ISO 4217; null = from the clinic's country. */
  currency: text("currency"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
});

export type BriefingSettingsRow = typeof briefingSettings.$inferSelect;

/**
 * One clinic's briefing of one briefed week (docs/decisions/0040-briefing-delivery.md). The primary
 * key (clinic_id, week_start) is what makes delivery exactly-once: the job claims this row in the
 * transaction that writes the email to the outbox, so a second worker waits on it and then finds it
 * sent. Rows are the history the setup page shows: sent (late or not), held and skipped, with reasons.
 */
export const briefings = pgTable(
  "briefings",
  {
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "cascade" }),
    /** The local Monday of the briefed week (the clinic's zone). */
    weekStart: date("week_start", { mode: "string" }).notNull(),
    state: text("state").$type<BriefingState>().notNull(),
    /** Monday 07:00 local after the briefed week (domain/briefings/schedule.ts). */
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    /** Sent after having been held, or well after its due time. */
    late: boolean("late").notNull().default(false),
    /** Why it is (or was) held, in the words support and the history read. */
    heldReason: text("held_reason"),
    heldAt: timestamp("held_at", { withTimezone: true }),
    skippedReason: text("skipped_reason"),
    /** The report as sent (read back through BriefingReportSchema). */
    report: jsonb("report").$type<Record<string, unknown>>(),
    recipients: text("recipients")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** The alert_notifications rows (one per recipient) the deliver queue sends. */
    notificationIds: uuid("notification_ids")
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.clinicId, t.weekStart] }),
    check("briefings_state_check", inList(t.state, BRIEFING_STATES)),
    check("briefings_week_start_monday", sql`extract(isodow from ${t.weekStart}) = 1`),
    check("briefings_sent_complete", sql`(${t.state} = 'sent') = (${t.sentAt} is not null and ${t.report} is not null)`),
    check("briefings_held_has_reason", sql`${t.state} <> 'held' or ${t.heldReason} is not null`),
    check("briefings_skipped_has_reason", sql`(${t.state} = 'skipped') = (${t.skippedReason} is not null)`),
    // why: the sweep asks "which clinics of this week are not finished yet" every few minutes
    index("briefings_unfinished_idx")
      .on(t.weekStart, t.clinicId)
      .where(sql`${t.state} in ('due', 'held')`),
  ],
);

export type BriefingRow = typeof briefings.$inferSelect;
