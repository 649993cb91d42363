import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { inList, bytea, stateSeverity } from "./columns.ts";
import {
  ACCOUNT_CHANGE_STATUSES,
  type AccountChangePreapproval,
  type AccountChangeStatus,
  CONNECTION_STATES,
  type ConnectionState,
  FAILURE_CODES,
  type FailureCode,
  type SupportFindings,
  type Vendor,
  type VendorAccountIdentity,
  VENDORS,
  SYNC_STATES,
  type SyncState,
} from "../../domain/vocabulary.ts";

export const connections = pgTable(
  "connections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "restrict" }),
    vendor: text("vendor").$type<Vendor>().notNull(),
    /** Cliniko shard (au1, uk2…) or Nookal region (au, eu, us). */
    region: text("region").notNull(),
    /** Cliniko: v1. Nookal: v3 (GraphQL) or v2 (REST). */
    apiVersion: text("api_version").notNull(),
    // why: AES-256-GCM parts kept apart so the key id can drive rotation without parsing blobs
    keyCiphertext: bytea("key_ciphertext"),
    keyIv: bytea("key_iv"),
    keyTag: bytea("key_tag"),
    keyId: text("key_id"),
    keyHint: text("key_hint"),
    keyUpdatedAt: timestamp("key_updated_at", { withTimezone: true }),
    state: text("state").$type<ConnectionState>().notNull().default("setup_pending"),
    stateChangedAt: timestamp("state_changed_at", { withTimezone: true }).notNull().defaultNow(),
    failureCode: text("failure_code").$type<FailureCode>(),
    /** The evidence of the current failure: HTTP status, vendor message, probe id. */
    failureEvidence: jsonb("failure_evidence").$type<Record<string, unknown>>(),
    suggestedRegion: text("suggested_region"),
    expectsPatients: boolean("expects_patients").notNull().default(true),
    /** A probe or sync has seen at least one patient through this connection. */
    everHadPatients: boolean("ever_had_patients").notNull().default(false),
    visiblePatientCount: integer("visible_patient_count"),
    /**
     * The count stopped at a cap (Nookal lists carry no totals and are paged only so far): at least
     * `visible_patient_count` patients are visible. Written with the count, from the same verify result.
     */
    visiblePatientsAtLeast: boolean("visible_patients_at_least").notNull().default(false),
    /** What support learned (live patient lookup count, notes copied by hand today): shown in the escalation packet. */
    supportFindings: jsonb("support_findings").$type<SupportFindings>(),
    vendorUserName: text("vendor_user_name"),
    vendorUserRole: text("vendor_user_role"),
    /** Who the key belongs to (docs/decisions/0026): learned at every successful verify, kept current by probes. */
    vendorAccount: jsonb("vendor_account").$type<VendorAccountIdentity>(),
    /**
     * HMAC-SHA256 of the key under a key derived from the master keyring, `v1:<master key id>:<mac>`:
     * finds "this key already serves another clinic" without the plain key or an unkeyed hash.
     * Null until computed (written with every new key; older rows at their next probe or keys:rotate).
     */
    keyFingerprint: text("key_fingerprint"),
    /** Support pre-approved a move to another vendor account: the next key of another account connects without a question, once. */
    accountChangePreapproval: jsonb("account_change_preapproval").$type<AccountChangePreapproval>(),
    lastProbeAt: timestamp("last_probe_at", { withTimezone: true }),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
    firstFailureAt: timestamp("first_failure_at", { withTimezone: true }),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    /** The probe (pg-boss job id) whose result is stored: a retried job with the same id is not counted twice. */
    lastProbeId: text("last_probe_id"),
    /** Probes written so far: the next probe's tick goes into slot probe_seq % PROBE_HISTORY_KEEP (a ring). */
    probeSeq: integer("probe_seq").notNull().default(0),
    /**
     * The clinic is archived (clinics.archived_at is set): copied here, in the same transaction as the
     * archive or restore, so "broken now" is one partial index without an anti-join to the archived
     * clinics (docs/decisions/0037-clinic-archived-on-connection.md).
     */
    clinicArchived: boolean("clinic_archived").notNull().default(false),
    /**
     * The latest probe saw a vendor-side transient failure (5xx, timeout, maintenance page, network):
     * what vendor incidents count (docs/decisions/0049-vendor-incidents.md). A flip moves the region's
     * counter in vendor_region_health in the probe's transaction.
     */
    transientFailing: boolean("transient_failing").notNull().default(false),
    /** The latest sync run's state (docs/decisions/0033-sync.md); null before the first. Set with the run's row. */
    syncState: text("sync_state").$type<SyncState>(),
    lastSyncAt: timestamp("last_sync_at", { withTimezone: true }),
    lastSyncSuccessAt: timestamp("last_sync_success_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("connections_vendor_check", inList(t.vendor, VENDORS)),
    check("connections_state_check", inList(t.state, CONNECTION_STATES)),
    check("connections_failure_code_check", sql`${t.failureCode} is null or ${inList(t.failureCode, FAILURE_CODES)}`),
    check(
      "connections_region_check",
      sql`(${t.vendor} = 'cliniko' and ${t.region} ~ '^[a-z]{2}[0-9]{1,2}$') or (${t.vendor} = 'nookal' and ${t.region} in ('au', 'eu', 'us'))`,
    ),
    check(
      "connections_api_version_check",
      sql`(${t.vendor} = 'cliniko' and ${t.apiVersion} = 'v1') or (${t.vendor} = 'nookal' and ${t.apiVersion} in ('v2', 'v3'))`,
    ),
    check(
      "connections_key_parts_together",
      sql`(${t.keyCiphertext} is null) = (${t.keyIv} is null) and (${t.keyIv} is null) = (${t.keyTag} is null) and (${t.keyTag} is null) = (${t.keyId} is null)`,
    ),
    check("connections_consecutive_failures_nonneg", sql`${t.consecutiveFailures} >= 0`),
    // why: one EHR connection per clinic keeps every screen and alert unambiguous (docs/decisions/0002)
    uniqueIndex("connections_clinic_id_uidx").on(t.clinicId),
    index("connections_state_failure_idx").on(t.state, t.failureCode),
    // why: not unique — a fingerprint changes with the master key, and rows from before 0026 may share a key;
    // the domain refuses a second clinic under an advisory lock on the fingerprint instead
    index("connections_key_fingerprint_idx")
      .on(t.keyFingerprint)
      .where(sql`${t.keyFingerprint} is not null`),
    index("connections_last_probe_idx").on(t.lastProbeAt),
    // why (docs/decisions/0015-console-indexes.md): one (key, clinic_id) index per sortable column of the
    // clinics table, so a page is an index walk; nullable keys get a partial index for each side of NULL
    index("connections_vendor_clinic_idx").on(t.vendor, t.clinicId),
    index("connections_region_clinic_idx").on(t.region, t.clinicId),
    // why: state as a trailing key (clinic_id is unique, so the order is unchanged) lets a deep page
    // read this index alone: an expression's column must be in the index for an index-only scan
    // (bench:console sort=state page=1000: 177 -> 18 ms; drizzle has no INCLUDE)
    index("connections_state_severity_idx").on(sql`(${stateSeverity(t.state)})`, t.clinicId, t.state),
    index("connections_failure_clinic_idx")
      .on(t.failureCode, t.clinicId)
      .where(sql`${t.failureCode} is not null`),
    index("connections_no_failure_idx")
      .on(t.clinicId)
      .where(sql`${t.failureCode} is null`),
    index("connections_last_success_clinic_idx")
      .on(t.lastSuccessAt, t.clinicId)
      .where(sql`${t.lastSuccessAt} is not null`),
    index("connections_never_succeeded_idx")
      .on(t.clinicId)
      .where(sql`${t.lastSuccessAt} is null`),
    index("connections_first_failure_clinic_idx")
      .on(t.firstFailureAt, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null`),
    index("connections_not_failing_idx")
      .on(t.clinicId)
      .where(sql`${t.firstFailureAt} is null`),
    // why (docs/decisions/0028-broken-now.md): "broken now" (db/queries/broken-now.ts BROKEN_NOW, the same
    // predicate) counted and paged index-only: the dashboard headline, the table's filter and its chips
    index("connections_broken_now_idx")
      .on(t.firstFailureAt, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived}`),
    // why (docs/decisions/0032-console-cpu.md): the dashboard's failures by vendor and region group the
    // broken-now connections index-only (same predicate as above)
    index("connections_broken_now_vendor_idx")
      .on(t.vendor, t.region, t.failureCode, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived}`),
    // why (docs/decisions/0015-console-indexes.md): the broken-now view sorted by a key its rows go
    // together with — the worst state, and the oldest success, come last among broken clinics, and
    // broken ones rarely lack a failure code — walks the whole fleet's index to fill a page; over
    // the broken rows only, the walk reads the page. Same predicate as above.
    index("connections_broken_now_severity_idx")
      .on(sql`(${stateSeverity(t.state)})`, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived}`),
    index("connections_broken_now_last_success_idx")
      .on(t.lastSuccessAt, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived}`),
    index("connections_broken_now_last_sync_idx")
      .on(t.lastSyncSuccessAt, t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived}`),
    index("connections_broken_now_no_failure_idx")
      .on(t.clinicId)
      .where(sql`${t.firstFailureAt} is not null and ${t.state} <> 'paused' and not ${t.clinicArchived} and ${t.failureCode} is null`),
    // why (docs/decisions/0049): an incident's canaries and its thinned probing read the failing connections of one region
    index("connections_transient_failing_idx")
      .on(t.vendor, t.region, t.id)
      .where(sql`${t.transientFailing}`),
    index("connections_patients_clinic_idx")
      .on(t.visiblePatientCount, t.clinicId)
      .where(sql`${t.visiblePatientCount} is not null`),
    check("connections_sync_state_check", sql`${t.syncState} is null or ${inList(t.syncState, SYNC_STATES)}`),
    // why (docs/decisions/0033-sync.md): the fleet table sorts by last successful sync and filters
    // "sync failing" through indexes, like every other column (0015)
    index("connections_last_sync_success_clinic_idx")
      .on(t.lastSyncSuccessAt, t.clinicId)
      .where(sql`${t.lastSyncSuccessAt} is not null`),
    index("connections_never_synced_idx")
      .on(t.clinicId)
      .where(sql`${t.lastSyncSuccessAt} is null`),
    index("connections_sync_failing_idx")
      .on(t.lastSyncSuccessAt, t.clinicId)
      .where(sql`${t.syncState} = 'failed'`),
    index("connections_patients_unknown_idx")
      .on(t.clinicId)
      .where(sql`${t.visiblePatientCount} is null`),
  ],
);

export const CONNECTION_EVENT_KINDS = [
  "created",
  "state_changed",
  "probe_failed",
  "key_replaced",
  "region_changed",
  "note",
  "recovered",
  "probe_dead",
  "account_changed",
] as const;
export type ConnectionEventKind = (typeof CONNECTION_EVENT_KINDS)[number];

/** The clinic's timeline: every state change and failure, with its evidence. Append-only. */
export const connectionEvents = pgTable(
  "connection_events",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind").$type<ConnectionEventKind>().notNull(),
    fromState: text("from_state").$type<ConnectionState>(),
    toState: text("to_state").$type<ConnectionState>(),
    failureCode: text("failure_code").$type<FailureCode>(),
    httpStatus: integer("http_status"),
    vendorMessage: text("vendor_message"),
    probeId: text("probe_id"),
    /** Who or what caused it: "system", "probe", "user:<id>", "link". */
    actor: text("actor").notNull(),
    message: text("message").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [
    check("connection_events_kind_check", inList(t.kind, CONNECTION_EVENT_KINDS)),
    check("connection_events_from_state_check", sql`${t.fromState} is null or ${inList(t.fromState, CONNECTION_STATES)}`),
    check("connection_events_to_state_check", sql`${t.toState} is null or ${inList(t.toState, CONNECTION_STATES)}`),
    check("connection_events_failure_code_check", sql`${t.failureCode} is null or ${inList(t.failureCode, FAILURE_CODES)}`),
    index("connection_events_clinic_at_idx").on(t.clinicId, t.at.desc(), t.id.desc()),
    index("connection_events_connection_at_idx").on(t.connectionId, t.at.desc()),
    // why: the dashboard's recovery medians and 30-day chart start from the recoveries of the window
    index("connection_events_recovered_at_idx")
      .on(t.at)
      .where(sql`${t.kind} = 'recovered'`),
    // why (docs/decisions/0032-console-cpu.md): the two probes per recovery (previous recovery, first
    // failure after it) read these index-only instead of filtering connection_at_idx's heap rows
    index("connection_events_recovered_conn_at_idx")
      .on(t.connectionId, t.at)
      .where(sql`${t.kind} = 'recovered'`),
    index("connection_events_failed_conn_at_idx")
      .on(t.connectionId, t.at)
      .where(sql`${t.failureCode} is not null`),
    // why: the dashboard's and /healthz's "dead probes, 24 hours" read these few rows, not every event
    index("connection_events_probe_dead_at_idx")
      .on(t.at)
      .where(sql`${t.kind} = 'probe_dead'`),
  ],
);

export type Connection = typeof connections.$inferSelect;
export type NewConnection = typeof connections.$inferInsert;
export type ConnectionEvent = typeof connectionEvents.$inferSelect;
export type NewConnectionEvent = typeof connectionEvents.$inferInsert;

/**
 * A key for a different vendor account than the connection's, held until support confirms it
 * (docs/decisions/0026). The key is sealed (AES-256-GCM, AAD bound to this row) and wiped when the
 * change is decided.
 */
export const accountChanges = pgTable(
  "account_changes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "cascade" }),
    status: text("status").$type<AccountChangeStatus>().notNull(),
    vendor: text("vendor").$type<Vendor>().notNull(),
    /** The reconnect link it came through. */
    linkId: uuid("link_id"),
    keyCiphertext: bytea("key_ciphertext"),
    keyIv: bytea("key_iv"),
    keyTag: bytea("key_tag"),
    keyId: text("key_id"),
    keyHint: text("key_hint").notNull(),
    keyFingerprint: text("key_fingerprint").notNull(),
    region: text("region").notNull(),
    apiVersion: text("api_version").notNull(),
    account: jsonb("account").$type<VendorAccountIdentity>().notNull(),
    previousAccount: jsonb("previous_account").$type<VendorAccountIdentity>(),
    visiblePatients: integer("visible_patients").notNull(),
    visiblePatientsAtLeast: boolean("visible_patients_at_least").notNull().default(false),
    previousVisiblePatients: integer("previous_visible_patients"),
    vendorUserName: text("vendor_user_name"),
    vendorUserRole: text("vendor_user_role"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decidedBy: text("decided_by"),
  },
  (t) => [
    check("account_changes_status_check", inList(t.status, ACCOUNT_CHANGE_STATUSES)),
    check(
      "account_changes_key_parts_together",
      sql`(${t.keyCiphertext} is null) = (${t.keyIv} is null) and (${t.keyIv} is null) = (${t.keyTag} is null) and (${t.keyTag} is null) = (${t.keyId} is null)`,
    ),
    // why: one open question per connection; a newer key replaces the older question
    uniqueIndex("account_changes_one_open_uidx")
      .on(t.connectionId)
      .where(sql`${t.status} in ('asked', 'awaiting_support')`),
    index("account_changes_clinic_created_idx").on(t.clinicId, t.createdAt.desc()),
  ],
);

export type AccountChange = typeof accountChanges.$inferSelect;
export type NewAccountChange = typeof accountChanges.$inferInsert;
