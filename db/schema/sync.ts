import { sql } from "drizzle-orm";
import { boolean, check, date, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { connections } from "./connections.ts";
import { inList } from "./columns.ts";
import {
  SYNC_RESOURCES,
  SYNC_STATES,
  SYNC_TRIGGERS,
  type SyncResource,
  type SyncState,
  type SyncTrigger,
  type Vendor,
  type VendorAccountIdentity,
} from "../../domain/vocabulary.ts";

/**
 * Sync (docs/decisions/0033-sync.md). Records are kept per RECORD SET: one connection's records
 * from one vendor account. A key that turns out to belong to another account retires the set and
 * starts a new one, so two accounts' records never mix. Least personal data: ids, times, statuses,
 * amounts and practitioner / type names; patients are ids and times only; never clinical notes.
 * Vendor times are stored as timestamptz, ids as exact text, money as numeric (never floats).
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

export const syncRecordSets = pgTable(
  "sync_record_sets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    vendor: text("vendor").$type<Vendor>().notNull(),
    /** The vendor account these records came from (the connection's identity when the set began). */
    account: jsonb("account").$type<VendorAccountIdentity>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set when the connection's key turned out to belong to another account: the set is kept, never merged. */
    retiredAt: timestamp("retired_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("sync_record_sets_current_uidx")
      .on(t.connectionId)
      .where(sql`${t.retiredAt} is null`),
  ],
);

/** One sync of one connection: what the clinic page's history and progress bar show. */
export const syncRuns = pgTable(
  "sync_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    recordSetId: uuid("record_set_id").references(() => syncRecordSets.id, { onDelete: "cascade" }),
    /** The pg-boss job that ran it: a retried job continues its run instead of starting another. */
    jobId: text("job_id"),
    trigger: text("trigger").$type<SyncTrigger>().notNull(),
    state: text("state").$type<SyncState>().notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    pagesDone: integer("pages_done").notNull().default(0),
    pagesTotal: integer("pages_total").notNull().default(0),
    recordsSeen: integer("records_seen").notNull().default(0),
    recordsChanged: integer("records_changed").notNull().default(0),
    /** The resource that failed, and why (never the key; the vendor's words verbatim). */
    failedResource: text("failed_resource").$type<SyncResource>(),
    lastError: text("last_error"),
  },
  (t) => [
    check("sync_runs_state_check", inList(t.state, SYNC_STATES)),
    check("sync_runs_trigger_check", inList(t.trigger, SYNC_TRIGGERS)),
    index("sync_runs_connection_started_idx").on(t.connectionId, t.startedAt.desc()),
  ],
);

/**
 * Per record set and resource: where the next page starts (committed with that page's records in
 * one transaction) and the latest run's progress.
 */
export const syncResources = pgTable(
  "sync_resources",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    resource: text("resource").$type<SyncResource>().notNull(),
    connectionId: uuid("connection_id").notNull(),
    /** Keyset position (Cliniko): records with updated_at >= position_at, from page position_page. "" = from the start. */
    positionAt: text("position_at"),
    positionPage: integer("position_page"),
    /** A finished pass's cursor (Nookal: modified since), for vendors without ordered lists. */
    cursor: text("cursor"),
    state: text("state").$type<SyncState>(),
    runId: uuid("run_id"),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
    pagesDone: integer("pages_done").notNull().default(0),
    pagesTotal: integer("pages_total").notNull().default(0),
    recordsSeen: integer("records_seen").notNull().default(0),
    recordsChanged: integer("records_changed").notNull().default(0),
    /** Records not deleted (and patients not archived) after the last finished pass: the drop check's "before". */
    liveCount: integer("live_count"),
    lastError: text("last_error"),
    /**
     * When the last COMPLETE full pass began (vendors whose lists hide deletions: Nookal). Only a
     * finished pass sets it; it is what decides whether the next run lists the resource whole.
     */
    lastFullPassAt: timestamp("last_full_pass_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.recordSetId, t.resource] }),
    check("sync_resources_resource_check", inList(t.resource, SYNC_RESOURCES)),
    check("sync_resources_state_check", sql`${t.state} is null or ${inList(t.state, SYNC_STATES)}`),
  ],
);

// ---- the records (primary key: record set + the vendor's id, an exact string)

export const syncLocations = pgTable(
  "sync_locations",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    name: text("name").notNull(),
    timeZone: text("time_zone"),
    country: text("country"),
    archived: boolean("archived").notNull().default(false),
    /** Gone from the vendor's full list (vendors without modified dates are refreshed whole). */
    removed: boolean("removed").notNull().default(false),
    vendorUpdatedAt: ts("vendor_updated_at"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.recordSetId, t.id] })],
);

export const syncPractitioners = pgTable(
  "sync_practitioners",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    designation: text("designation"),
    active: boolean("active").notNull(),
    vendorUpdatedAt: ts("vendor_updated_at"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.recordSetId, t.id] })],
);

export const syncAppointmentTypes = pgTable(
  "sync_appointment_types",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    name: text("name").notNull(),
    durationMinutes: integer("duration_minutes"),
    archived: boolean("archived").notNull(),
    vendorUpdatedAt: ts("vendor_updated_at"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.recordSetId, t.id] })],
);

/** Patients: ids and times only — no names, emails or birth dates. */
export const syncPatients = pgTable(
  "sync_patients",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    locationId: text("location_id"),
    archived: boolean("archived").notNull(),
    deleted: boolean("deleted").notNull(),
    vendorCreatedAt: ts("vendor_created_at"),
    archivedAt: ts("archived_at"),
    vendorUpdatedAt: ts("vendor_updated_at"),
    /** The full pass that last listed it (reconciliation: unseen by a complete pass = deleted at the vendor). */
    seenInPass: uuid("seen_in_pass"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.recordSetId, t.id] })],
);

export const syncAppointments = pgTable(
  "sync_appointments",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    startsAt: ts("starts_at").notNull(),
    endsAt: ts("ends_at"),
    patientId: text("patient_id"),
    practitionerId: text("practitioner_id"),
    appointmentTypeId: text("appointment_type_id"),
    locationId: text("location_id"),
    status: text("status").notNull(),
    cancelledAt: ts("cancelled_at"),
    cancellationReason: text("cancellation_reason"),
    deleted: boolean("deleted").notNull(),
    vendorUpdatedAt: ts("vendor_updated_at"),
    /** The full pass that last listed it (reconciliation: unseen by a complete pass = deleted at the vendor). */
    seenInPass: uuid("seen_in_pass"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.recordSetId, t.id] }),
    // why (docs/decisions/0038-briefing-metrics.md): the briefing reads five weeks of a set's appointments
    // by start, and per patient seen their first attended and latest booking
    index("sync_appointments_set_starts_idx").on(t.recordSetId, t.startsAt),
    index("sync_appointments_set_patient_starts_idx").on(t.recordSetId, t.patientId, t.startsAt),
  ],
);

export const syncInvoices = pgTable(
  "sync_invoices",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    number: text("number"),
    issueDate: date("issue_date", { mode: "string" }),
    status: text("status").notNull(),
    vendorStatus: text("vendor_status").notNull(),
    // why: exact decimals as the vendor sent them; numeric never rounds
    totalAmount: numeric("total_amount").notNull(),
    netAmount: numeric("net_amount"),
    taxAmount: numeric("tax_amount"),
    patientId: text("patient_id"),
    practitionerId: text("practitioner_id"),
    appointmentId: text("appointment_id"),
    closedAt: ts("closed_at"),
    deleted: boolean("deleted").notNull(),
    vendorUpdatedAt: ts("vendor_updated_at"),
    /** The full pass that last listed it (reconciliation: unseen by a complete pass = deleted at the vendor). */
    seenInPass: uuid("seen_in_pass"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.recordSetId, t.id] }),
    // why (docs/decisions/0038-briefing-metrics.md): the briefing reads 16 weeks of issued invoices, and
    // older ones still open (or closed since the briefed week ended) for AR ageing
    index("sync_invoices_set_issue_idx").on(t.recordSetId, t.issueDate),
    index("sync_invoices_set_open_idx")
      .on(t.recordSetId, t.issueDate)
      .where(sql`${t.status} in ('open', 'open_credit') and not ${t.deleted}`),
    index("sync_invoices_set_closed_idx")
      .on(t.recordSetId, t.closedAt)
      .where(sql`${t.closedAt} is not null`),
  ],
);

export const AVAILABILITY_KINDS = ["daily", "extra", "unavailable"] as const;
export type AvailabilityKind = (typeof AVAILABILITY_KINDS)[number];

/** Cliniko daily_availabilities (kind daily), availability_blocks (extra) and unavailable_blocks (unavailable). */
export const syncAvailability = pgTable(
  "sync_availability",
  {
    recordSetId: uuid("record_set_id")
      .notNull()
      .references(() => syncRecordSets.id, { onDelete: "cascade" }),
    kind: text("kind").$type<AvailabilityKind>().notNull(),
    id: text("id").notNull(),
    practitionerId: text("practitioner_id"),
    locationId: text("location_id"),
    dayOfWeek: integer("day_of_week"),
    spans: jsonb("spans").$type<{ startsAt: string; endsAt: string }[]>(),
    startsAt: ts("starts_at"),
    endsAt: ts("ends_at"),
    repeatRule: jsonb("repeat_rule").$type<Record<string, unknown>>(),
    deleted: boolean("deleted").notNull().default(false),
    vendorUpdatedAt: ts("vendor_updated_at"),
    syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.recordSetId, t.kind, t.id] }), check("sync_availability_kind_check", inList(t.kind, AVAILABILITY_KINDS))],
);

export type SyncRunRow = typeof syncRuns.$inferSelect;
export type SyncResourceRow = typeof syncResources.$inferSelect;
