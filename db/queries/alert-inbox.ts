import { and, asc, count, desc, eq, ne, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client.ts";
import { alerts, clinics, connections, users } from "../schema/index.ts";
import type { AlertKind, AlertStatus, Vendor } from "../../domain/vocabulary.ts";

export interface AlertInboxFilters {
  status: AlertStatus;
  kind?: AlertKind;
  vendor?: Vendor;
  clinicId?: string;
}

/**
 * The console's alert inbox: one status tab, filterable by kind, vendor and clinic. Open alerts
 * show the longest-standing first (oldest incident is the most urgent); history shows newest first.
 */
export async function listAlertInbox({ filters, page = 1, pageSize = 50 }: { filters: AlertInboxFilters; page?: number; pageSize?: number }, db: Db) {
  const where: SQL[] = [eq(alerts.status, filters.status)];
  if (filters.kind) where.push(eq(alerts.kind, filters.kind));
  if (filters.vendor) where.push(eq(connections.vendor, filters.vendor));
  if (filters.clinicId) where.push(eq(alerts.clinicId, filters.clinicId));
  const condition = and(...where);
  const order = filters.status === "resolved" ? [desc(alerts.resolvedAt), desc(alerts.id)] : [asc(alerts.firstSeenAt), asc(alerts.id)];
  const [rows, [totalRow], tabs] = await Promise.all([
    db
      .select({
        id: alerts.id,
        kind: alerts.kind,
        status: alerts.status,
        count: alerts.count,
        firstSeenAt: alerts.firstSeenAt,
        lastSeenAt: alerts.lastSeenAt,
        acknowledgedAt: alerts.acknowledgedAt,
        acknowledgedByName: users.name,
        acknowledgedByEmail: users.email,
        mutedUntil: alerts.mutedUntil,
        resolvedAt: alerts.resolvedAt,
        clinicId: alerts.clinicId,
        clinicName: clinics.name,
        vendor: connections.vendor,
        region: connections.region,
        failureCode: connections.failureCode,
        state: connections.state,
        firstFailureAt: connections.firstFailureAt,
      })
      .from(alerts)
      .innerJoin(clinics, eq(clinics.id, alerts.clinicId))
      .innerJoin(connections, eq(connections.id, alerts.connectionId))
      .leftJoin(users, eq(users.id, alerts.acknowledgedBy))
      .where(condition)
      .orderBy(...order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(alerts).innerJoin(connections, eq(connections.id, alerts.connectionId)).where(condition),
    db.select({ status: alerts.status, n: count() }).from(alerts).groupBy(alerts.status),
  ]);
  return { rows, total: totalRow?.n ?? 0, tabs: Object.fromEntries(tabs.map((t) => [t.status, t.n])) as Partial<Record<AlertStatus, number>> };
}

/**
 * The JSON API's alerts list (docs/decisions/0044-api-endpoints.md): the inbox's filters, with
 * `unresolved` for open, acknowledged and muted at once, in the inbox's order (unresolved: oldest
 * first; resolved: newest first) with the id as tiebreak, resuming after the alert `after` (the last of the previous page).
 */
export async function listAlertsAfter(
  {
    status,
    clinicId,
    kind,
    alertId,
    after,
    limit,
  }: { status: AlertStatus | "unresolved"; clinicId?: string; kind?: AlertKind; alertId?: string; after: string | null; limit: number },
  db: Db,
) {
  const resolved = status === "resolved";
  const key = resolved ? alerts.resolvedAt : alerts.firstSeenAt;
  const where: SQL[] = [status === "unresolved" ? ne(alerts.status, "resolved") : eq(alerts.status, status)];
  if (clinicId) where.push(eq(alerts.clinicId, clinicId));
  if (kind) where.push(eq(alerts.kind, kind));
  if (alertId) where.push(eq(alerts.id, alertId));
  if (after) {
    // why re-read by id: a timestamp carried through a JS Date loses its microseconds
    const cut = sql`(select a.${sql.identifier(resolved ? "resolved_at" : "first_seen_at")}, a.id from ${alerts} a where a.id = ${after}::uuid)`;
    where.push(resolved ? sql`(${key}, ${alerts.id}) < ${cut}` : sql`(${key}, ${alerts.id}) > ${cut}`);
  }
  const rows = await db
    .select({
      id: alerts.id,
      kind: alerts.kind,
      status: alerts.status,
      count: alerts.count,
      firstSeenAt: alerts.firstSeenAt,
      lastSeenAt: alerts.lastSeenAt,
      acknowledgedAt: alerts.acknowledgedAt,
      acknowledgedByEmail: users.email,
      mutedUntil: alerts.mutedUntil,
      resolvedAt: alerts.resolvedAt,
      clinicId: alerts.clinicId,
      clinicName: clinics.name,
      vendor: connections.vendor,
      failureCode: connections.failureCode,
      state: connections.state,
    })
    .from(alerts)
    .innerJoin(clinics, eq(clinics.id, alerts.clinicId))
    .innerJoin(connections, eq(connections.id, alerts.connectionId))
    .leftJoin(users, eq(users.id, alerts.acknowledgedBy))
    .where(and(...where))
    .orderBy(...(resolved ? [desc(key), desc(alerts.id)] : [asc(key), asc(alerts.id)]))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
