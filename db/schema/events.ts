import { sql } from "drizzle-orm";
import { bigint, check, customType, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { EVENT_TYPES, type EventType } from "../../domain/vocabulary.ts";
import { clinics } from "./clinics.ts";
import { inList } from "./columns.ts";
import { connections } from "./connections.ts";

/** A 64-bit transaction id (xid8), as its decimal text: it never wraps, so it orders transactions for good. */
const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => "xid8",
});

/**
 * What happened, for integrations (docs/events.md, docs/decisions/0045-events.md). Written in the
 * transaction of its cause, so an event exists exactly when its cause committed. Readers page by
 * (txid, seq) and stop below their snapshot's xmin, so an event committed late by a transaction that
 * started early is never behind a cursor already handed out. Kept 30 days.
 */
export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Order inside one transaction (and a tiebreak): assigned at insert, not at commit. */
    seq: bigint("seq", { mode: "bigint" }).generatedAlwaysAsIdentity(),
    /** The writing transaction: every transaction below a snapshot's xmin has finished. */
    txid: xid8("txid")
      .notNull()
      .default(sql`pg_current_xact_id()`),
    type: text("type").$type<EventType>().notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    clinicId: uuid("clinic_id").references(() => clinics.id, { onDelete: "set null" }),
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "set null" }),
    /** The type's payload, validated against its schema before insert (domain/events/record.ts). */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    check("events_type_check", inList(t.type, EVENT_TYPES)),
    index("events_position_idx").on(t.txid, t.seq),
    // why: GET /api/v1/events?clinicId= pages one clinic's events in the same order
    index("events_clinic_position_idx").on(t.clinicId, t.txid, t.seq),
    index("events_occurred_idx").on(t.occurredAt),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
