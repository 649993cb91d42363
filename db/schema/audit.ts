import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { users } from "./users.ts";

/** Append-only record of every write (a trigger in the migrations refuses UPDATE and DELETE). */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "restrict" }),
    /** Human-readable actor: a user's email, "system", or "reconnect link". */
    actorLabel: text("actor_label").notNull(),
    action: text("action").notNull(),
    clinicId: uuid("clinic_id").references(() => clinics.id, { onDelete: "restrict" }),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_log_at_idx").on(t.at.desc()), index("audit_log_clinic_idx").on(t.clinicId, t.at.desc())],
);

export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = typeof auditLog.$inferInsert;
