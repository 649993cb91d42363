import { boolean, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { users } from "./users.ts";

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
