import { and, asc, count, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client.ts";
import { idIn, pageClinicIds, textMatch } from "./clinic-paging.ts";
import { alerts, clinics, connectionEvents, connections } from "../schema/index.ts";
import type { ConnectionState, FailingSinceBand, FailureCode, SyncState, Vendor } from "../../domain/vocabulary.ts";
import { brokenNowCondition } from "./broken-now.ts";

export interface ClinicListFilters {
  state?: ConnectionState;
  failureCode?: FailureCode;
  vendor?: Vendor;
  region?: string;
  /** Broken now (db/queries/broken-now.ts), optionally failing since one band (which implies broken now). */
  brokenNow?: boolean;
  failingSince?: FailingSinceBand;
  /** The latest sync failed (docs/decisions/0033-sync.md). */
  syncFailing?: boolean;
  q?: string;
  /** Only these clinics (a selection or a campaign). */
  clinicIds?: string[];
}

/** Every column the clinics table can sort by; the URL carries one of these. */
export const CLINIC_SORTS = ["name", "vendor", "region", "state", "failure", "lastSuccess", "lastSync", "failingSince", "patients", "alerts"] as const;
export type ClinicSort = (typeof CLINIC_SORTS)[number];

export interface ClinicListRow {
  id: string;
  name: string;
  adminEmail: string | null;
  vendor: Vendor | null;
  region: string | null;
  state: ConnectionState | null;
  failureCode: FailureCode | null;
  lastProbeAt: Date | null;
  lastSuccessAt: Date | null;
  firstFailureAt: Date | null;
  syncState: SyncState | null;
  lastSyncSuccessAt: Date | null;
  visiblePatientCount: number | null;
  /** The count stopped at a cap (null without a connection). */
  visiblePatientsAtLeast: boolean | null;
  openAlerts: number;
}

function clinicListCondition(filters: ClinicListFilters): SQL {
  const where: SQL[] = [isNull(clinics.archivedAt)];
  if (filters.state) where.push(eq(connections.state, filters.state));
  if (filters.failureCode) where.push(eq(connections.failureCode, filters.failureCode));
  if (filters.vendor) where.push(eq(connections.vendor, filters.vendor));
  if (filters.region) where.push(eq(connections.region, filters.region));
  if (filters.brokenNow || filters.failingSince) where.push(brokenNowCondition(filters.failingSince));
  if (filters.syncFailing) where.push(eq(connections.syncState, "failed"));
  if (filters.clinicIds) where.push(idIn(clinics.id, filters.clinicIds));
  if (filters.q) {
    where.push(textMatch(filters.q));
  }
  return and(...where)!;
}

/**
 * Exactly one page of clinics with their connection, in the requested order; the count uses the
 * same filters. Default order: the problems that started longest ago first.
 */
export async function listClinics(
  {
    filters = {},
    sort = "failingSince",
    desc = false,
    page = 1,
    pageSize = 50,
    countCap,
  }: { filters?: ClinicListFilters; sort?: ClinicSort; desc?: boolean; page?: number; pageSize?: number; countCap?: number },
  db: Db,
): Promise<{ rows: ClinicListRow[]; total: number; totalCapped: boolean }> {
  const columns = {
    id: clinics.id,
    name: clinics.name,
    adminEmail: clinics.adminEmail,
    vendor: connections.vendor,
    region: connections.region,
    state: connections.state,
    failureCode: connections.failureCode,
    lastProbeAt: connections.lastProbeAt,
    lastSuccessAt: connections.lastSuccessAt,
    firstFailureAt: connections.firstFailureAt,
    syncState: connections.syncState,
    lastSyncSuccessAt: connections.lastSyncSuccessAt,
    visiblePatientCount: connections.visiblePatientCount,
    visiblePatientsAtLeast: connections.visiblePatientsAtLeast,
  };
  // why: every view pages through an index (clinic-paging.ts); then only the page's rows are read
  // here, with their open alerts counted per row (only broken clinics have any), in one round trip
  const paged = await pageClinicIds({ filters, sort, desc, page, pageSize, countCap }, db);
  const openAlerts = sql<number>`(select count(*)::int from ${alerts} where ${alerts.clinicId} = ${clinics.id} and ${alerts.status} <> 'resolved')`;
  const found = paged.ids.length
    ? await db
        .select({ ...columns, openAlerts })
        .from(clinics)
        .leftJoin(connections, eq(connections.clinicId, clinics.id))
        .where(inArray(clinics.id, paged.ids))
    : [];
  const at = new Map(paged.ids.map((id, i) => [id, i]));
  const rows: ClinicListRow[] = found.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
  return { rows, total: paged.total, totalCapped: paged.totalCapped };
}

/** Ids of every clinic matching the filters (for "select all that match"), capped. */
export async function listClinicIds({ filters, limit = 10_000 }: { filters: ClinicListFilters; limit?: number }, db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: clinics.id })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(clinicListCondition(filters))
    .orderBy(asc(clinics.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

export async function getClinic({ clinicId }: { clinicId: string }, db: Db) {
  const [row] = await db
    .select({
      clinic: clinics,
      connection: {
        id: connections.id,
        vendor: connections.vendor,
        region: connections.region,
        apiVersion: connections.apiVersion,
        keyHint: connections.keyHint,
        state: connections.state,
        failureCode: connections.failureCode,
        failureEvidence: connections.failureEvidence,
        suggestedRegion: connections.suggestedRegion,
        visiblePatientCount: connections.visiblePatientCount,
        visiblePatientsAtLeast: connections.visiblePatientsAtLeast,
        supportFindings: connections.supportFindings,
        vendorUserName: connections.vendorUserName,
        vendorUserRole: connections.vendorUserRole,
        lastProbeAt: connections.lastProbeAt,
        lastSuccessAt: connections.lastSuccessAt,
        firstFailureAt: connections.firstFailureAt,
        consecutiveFailures: connections.consecutiveFailures,
        keyUpdatedAt: connections.keyUpdatedAt,
        stateChangedAt: connections.stateChangedAt,
        vendorAccount: connections.vendorAccount,
        syncState: connections.syncState,
        lastSyncAt: connections.lastSyncAt,
        lastSyncSuccessAt: connections.lastSyncSuccessAt,
        accountChangePreapproval: connections.accountChangePreapproval,
      },
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId));
  return row;
}

export async function listTimeline({ clinicId, page = 1, pageSize = 25 }: { clinicId: string; page?: number; pageSize?: number }, db: Db) {
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        id: connectionEvents.id,
        at: connectionEvents.at,
        kind: connectionEvents.kind,
        fromState: connectionEvents.fromState,
        toState: connectionEvents.toState,
        failureCode: connectionEvents.failureCode,
        httpStatus: connectionEvents.httpStatus,
        vendorMessage: connectionEvents.vendorMessage,
        probeId: connectionEvents.probeId,
        actor: connectionEvents.actor,
        message: connectionEvents.message,
      })
      .from(connectionEvents)
      .where(eq(connectionEvents.clinicId, clinicId))
      .orderBy(desc(connectionEvents.at), desc(connectionEvents.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(connectionEvents).where(eq(connectionEvents.clinicId, clinicId)),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

/**
 * One page of the clinics the filters match (the console table's filters, `clinicListCondition`),
 * by name then id — a stable order a cursor can resume: `after` is the last row of the previous
 * page. The JSON API's list (docs/decisions/0044-api-endpoints.md); `limit + 1` rows are read so
 * the caller knows whether another page follows.
 */
export async function listClinicsAfter(
  { filters, after, limit }: { filters: ClinicListFilters; after: { name: string; id: string } | null; limit: number },
  db: Db,
): Promise<{ rows: ClinicListRow[]; more: boolean }> {
  const openAlerts = sql<number>`(select count(*)::int from ${alerts} where ${alerts.clinicId} = ${clinics.id} and ${alerts.status} <> 'resolved')`;
  const rows = await db
    .select({
      id: clinics.id,
      name: clinics.name,
      adminEmail: clinics.adminEmail,
      vendor: connections.vendor,
      region: connections.region,
      state: connections.state,
      failureCode: connections.failureCode,
      lastProbeAt: connections.lastProbeAt,
      lastSuccessAt: connections.lastSuccessAt,
      firstFailureAt: connections.firstFailureAt,
      syncState: connections.syncState,
      lastSyncSuccessAt: connections.lastSyncSuccessAt,
      visiblePatientCount: connections.visiblePatientCount,
      visiblePatientsAtLeast: connections.visiblePatientsAtLeast,
      openAlerts,
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(and(clinicListCondition(filters), after ? sql`(${clinics.name}, ${clinics.id}) > (${after.name}, ${after.id}::uuid)` : undefined))
    // why: clinics_active_name_idx is (name, id) over active clinics: this order walks it and never ties
    .orderBy(asc(clinics.name), asc(clinics.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/**
 * The clinic's timeline newest first from just before the event `beforeId` (the last of the previous
 * page); `limit + 1` read. why the key is re-read by id: a timestamp carried through a JS Date loses
 * its microseconds, which would skip events of the same millisecond.
 */
export async function listTimelineBefore({ clinicId, beforeId, limit }: { clinicId: string; beforeId: string | null; limit: number }, db: Db) {
  const rows = await db
    .select({
      id: connectionEvents.id,
      at: connectionEvents.at,
      kind: connectionEvents.kind,
      fromState: connectionEvents.fromState,
      toState: connectionEvents.toState,
      failureCode: connectionEvents.failureCode,
      httpStatus: connectionEvents.httpStatus,
      actor: connectionEvents.actor,
      message: connectionEvents.message,
    })
    .from(connectionEvents)
    .where(
      and(
        eq(connectionEvents.clinicId, clinicId),
        beforeId
          ? sql`(${connectionEvents.at}, ${connectionEvents.id}) < (select e.at, e.id from ${connectionEvents} e where e.id = ${beforeId}::bigint and e.clinic_id = ${clinicId}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(connectionEvents.at), desc(connectionEvents.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
