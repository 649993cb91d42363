import { and, asc, count, desc, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client.ts";
import { pageClinicIds } from "./clinic-paging.ts";
import { stateSeverity } from "../schema/columns.ts";
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

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// why: "worst first" reads better than alphabetical when sorting by state
const STATE_SEVERITY = stateSeverity(connections.state);

/** Unresolved alerts per clinic; small (only broken clinics have alerts), so it joins cheaply when sorting by it. */
const openAlertCounts = sql`(select ${alerts.clinicId} as clinic_id, count(*)::int as n from ${alerts} where ${alerts.status} <> 'resolved' group by ${alerts.clinicId})`;

function clinicListCondition(filters: ClinicListFilters): SQL {
  const where: SQL[] = [isNull(clinics.archivedAt)];
  if (filters.state) where.push(eq(connections.state, filters.state));
  if (filters.failureCode) where.push(eq(connections.failureCode, filters.failureCode));
  if (filters.vendor) where.push(eq(connections.vendor, filters.vendor));
  if (filters.region) where.push(eq(connections.region, filters.region));
  if (filters.brokenNow || filters.failingSince) where.push(brokenNowCondition(filters.failingSince));
  if (filters.syncFailing) where.push(eq(connections.syncState, "failed"));
  if (filters.clinicIds) where.push(filters.clinicIds.length ? inArray(clinics.id, filters.clinicIds) : sql`false`);
  if (filters.q) {
    const pattern = `%${escapeLike(filters.q)}%`;
    where.push(or(ilike(clinics.name, pattern), ilike(clinics.adminEmail, pattern))!);
  }
  return and(...where)!;
}

function orderFor(sort: ClinicSort, desc: boolean): SQL[] {
  const dir = sql.raw(desc ? "desc" : "asc");
  const key: Record<ClinicSort, SQL> = {
    name: sql`${clinics.name}`,
    vendor: sql`${connections.vendor}`,
    region: sql`${connections.region}`,
    state: sql`${STATE_SEVERITY}`,
    failure: sql`${connections.failureCode}`,
    lastSuccess: sql`${connections.lastSuccessAt}`,
    lastSync: sql`${connections.lastSyncSuccessAt}`,
    failingSince: sql`${connections.firstFailureAt}`,
    patients: sql`${connections.visiblePatientCount}`,
    alerts: sql`coalesce(oa.n, 0)`,
  };
  return [sql`${key[sort]} ${dir} nulls last`, sql`${clinics.name} asc`, sql`${clinics.id} asc`];
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
  const condition = clinicListCondition(filters);
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
  // why: most views page through an index (clinic-paging.ts); then only the page's 50 rows are read here
  const fast = await pageClinicIds({ filters, sort, desc, page, pageSize, countCap }, db);
  let rows: (Omit<ClinicListRow, "openAlerts"> & { openAlerts?: number })[];
  let total: number;
  let totalCapped = false;
  if (fast) {
    const found = fast.ids.length
      ? await db.select(columns).from(clinics).leftJoin(connections, eq(connections.clinicId, clinics.id)).where(inArray(clinics.id, fast.ids))
      : [];
    const at = new Map(fast.ids.map((id, i) => [id, i]));
    rows = found.sort((a, b) => at.get(a.id)! - at.get(b.id)!);
    total = fast.total;
    totalCapped = fast.totalCapped;
  } else {
    const base = db
      .select({ ...columns, ...(sort === "alerts" ? { openAlerts: sql<number>`coalesce(oa.n, 0)` } : {}) })
      .from(clinics)
      .leftJoin(connections, eq(connections.clinicId, clinics.id))
      .$dynamic();
    const paged = (sort === "alerts" ? base.leftJoin(sql`${openAlertCounts} oa`, sql`oa.clinic_id = ${clinics.id}`) : base)
      .where(condition)
      .orderBy(...orderFor(sort, desc))
      .limit(pageSize)
      .offset((page - 1) * pageSize);
    // why: as on the index-served views, a page within the cap counts at most cap + 1 matches
    const cap = countCap !== undefined && page * pageSize <= countCap ? countCap : undefined;
    const matching = db
      .select({ one: sql`1` })
      .from(clinics)
      .leftJoin(connections, eq(connections.clinicId, clinics.id))
      .where(condition)
      .$dynamic();
    if (cap !== undefined) matching.limit(cap + 1);
    const [found, [totalRow]] = await Promise.all([paged, db.select({ n: count() }).from(sql`(${matching}) as counted`)]);
    rows = found;
    total = totalRow?.n ?? 0;
    if (cap !== undefined && total > cap) [total, totalCapped] = [cap, true];
  }
  let withAlerts: ClinicListRow[];
  if (!fast && sort === "alerts") withAlerts = rows as ClinicListRow[];
  else {
    // why: counted for the visible page only, so the common sorts never aggregate the alerts table
    const ids = rows.map((r) => r.id);
    const counts = ids.length
      ? await db
          .select({ clinicId: alerts.clinicId, n: count() })
          .from(alerts)
          .where(and(inArray(alerts.clinicId, ids), ne(alerts.status, "resolved")))
          .groupBy(alerts.clinicId)
      : [];
    const byId = new Map(counts.map((c) => [c.clinicId, c.n]));
    withAlerts = rows.map((r) => ({ ...r, openAlerts: byId.get(r.id) ?? 0 }));
  }
  return { rows: withAlerts, total, totalCapped };
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
