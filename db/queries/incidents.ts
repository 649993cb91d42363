import { and, asc, desc, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { alerts, clinics, connections, vendorIncidents, vendorIncidentTimeline, vendorRegionHealth, type VendorIncident } from "../schema/index.ts";
import type { IncidentEvidence, IncidentTimelineKind, Vendor } from "../../domain/vocabulary.ts";

/** What a flip of one connection's transient flag left its region at. */
export interface RegionCount {
  connections: number;
  transientFailing: number;
  /** Never recomputed from the fleet: `connections` is not known yet. */
  fresh: boolean;
  openIncidentId: string | null;
}

/**
 * Moves a region's transient-failure counter by `delta` (+1 or -1) inside the probe's transaction.
 * why (docs/decisions/0049): ONE statement per flip — the region's counter moved, and the open
 * incident's peak and recovered count kept with it — so detection costs a probe nothing beyond it.
 */
export async function moveRegionCounter(
  { vendor, region, delta, now }: { vendor: Vendor; region: string; delta: 1 | -1; now: Date },
  tx: DbOrTx,
): Promise<RegionCount> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const rows = await tx.execute<{ connections: number; transient_failing: number; fresh: boolean; incident_id: string | null }>(sql`
    with h as (
      insert into vendor_region_health as h (vendor, region, connections, transient_failing)
      values (${vendor}, ${region}, 0, greatest(${delta}::int, 0))
      on conflict (vendor, region) do update set transient_failing = greatest(h.transient_failing + ${delta}::int, 0)
      returning connections, transient_failing, recomputed_at
    ), i as (
      update vendor_incidents set
        peak_at = case when (select transient_failing from h) > peak_affected then ${at} else peak_at end,
        peak_affected = greatest(peak_affected, (select transient_failing from h)),
        recovered = recovered + case when ${delta}::int < 0 then 1 else 0 end
      where vendor = ${vendor} and region = ${region} and resolved_at is null
      returning id
    )
    select h.connections, h.transient_failing, h.recomputed_at is null as fresh, (select id from i) as incident_id from h`);
  const r = rows[0]!;
  return { connections: r.connections, transientFailing: r.transient_failing, fresh: r.fresh, openIncidentId: r.incident_id };
}

/** What the probe sweep counts: the connections it probes (not paused, clinic not archived). */
const PROBEABLE = sql`${connections.state} <> 'paused' and not ${connections.clinicArchived}`;

/**
 * Recounts every region (or one) from the fleet: fleet size and failing connections. Corrects the
 * drift a flip racing an archive, a pause or a new key leaves; regions with no connection left go to 0.
 */
export async function recomputeRegionHealth({ now, only }: { now: Date; only?: { vendor: Vendor; region: string } }, db: DbOrTx) {
  const scope = only ? sql`and ${connections.vendor} = ${only.vendor} and ${connections.region} = ${only.region}` : sql``;
  const stamp = sql`${now.toISOString()}::timestamptz`;
  await db.execute(sql`
    insert into ${vendorRegionHealth} as h (vendor, region, connections, transient_failing, recomputed_at)
    select ${connections.vendor}, ${connections.region}, count(*)::int, (count(*) filter (where ${connections.transientFailing}))::int, ${stamp}
    from ${connections} where ${PROBEABLE} ${scope}
    group by 1, 2
    on conflict (vendor, region) do update set
      connections = excluded.connections, transient_failing = excluded.transient_failing, recomputed_at = excluded.recomputed_at`);
  await db
    .update(vendorRegionHealth)
    .set({ connections: 0, transientFailing: 0, recomputedAt: now })
    .where(
      and(
        only ? and(eq(vendorRegionHealth.vendor, only.vendor), eq(vendorRegionHealth.region, only.region)) : undefined,
        sql`(${vendorRegionHealth.recomputedAt} is null or ${vendorRegionHealth.recomputedAt} < ${stamp})`,
      ),
    );
  return db
    .select()
    .from(vendorRegionHealth)
    .where(only ? and(eq(vendorRegionHealth.vendor, only.vendor), eq(vendorRegionHealth.region, only.region)) : undefined);
}

/** Opens the region's incident unless one is open (the partial unique index decides); the new row, or null. */
export async function insertIncident(
  input: { vendor: Vendor; region: string; evidence: IncidentEvidence; fleetSize: number; affected: number; now: Date },
  tx: DbOrTx,
): Promise<VendorIncident | null> {
  const [row] = await tx
    .insert(vendorIncidents)
    .values({
      vendor: input.vendor,
      region: input.region,
      openedAt: input.now,
      firstEvidence: input.evidence,
      fleetSize: input.fleetSize,
      affectedAtOpen: input.affected,
      peakAffected: input.affected,
      peakAt: input.now,
      lastNoticeAt: input.now,
      lastNoticeAffected: input.affected,
    })
    .onConflictDoNothing({ target: [vendorIncidents.vendor, vendorIncidents.region], where: sql`${vendorIncidents.resolvedAt} is null` })
    .returning();
  return row ?? null;
}

/** Resolves an open incident; the resolved row, or null when it was already resolved. */
export async function resolveIncidentRow({ id, now, affected }: { id: string; now: Date; affected: number }, tx: DbOrTx): Promise<VendorIncident | null> {
  const [row] = await tx
    .update(vendorIncidents)
    .set({ resolvedAt: sql`greatest(${vendorIncidents.openedAt}, ${now.toISOString()}::timestamptz)`, affectedAtResolve: affected })
    .where(and(eq(vendorIncidents.id, id), isNull(vendorIncidents.resolvedAt)))
    .returning();
  return row ?? null;
}

/** Records that an update went to support: the next one waits from here. */
export async function noteIncidentNotice({ id, now, affected }: { id: string; now: Date; affected: number }, tx: DbOrTx): Promise<void> {
  await tx.update(vendorIncidents).set({ lastNoticeAt: now, lastNoticeAffected: affected }).where(eq(vendorIncidents.id, id));
}

export async function insertIncidentTimeline(
  row: { incidentId: string; at: Date; kind: IncidentTimelineKind; affected: number; connections: number; message: string },
  tx: DbOrTx,
): Promise<void> {
  await tx.insert(vendorIncidentTimeline).values(row);
}

/** An incident with its region's live counts (vendor_region_health). */
export interface IncidentWithCounts {
  incident: VendorIncident;
  /** Probeable connections of the region now. */
  connections: number;
  /** Of them, failing transiently now. */
  failing: number;
}

const withCounts = { incident: vendorIncidents, connections: vendorRegionHealth.connections, failing: vendorRegionHealth.transientFailing };
const regionOfIncident = and(eq(vendorRegionHealth.vendor, vendorIncidents.vendor), eq(vendorRegionHealth.region, vendorIncidents.region));

// why: a region row can lag a fresh incident (no recount yet); the incident's own numbers stand in
function counted(row: { incident: VendorIncident; connections: number | null; failing: number | null }): IncidentWithCounts {
  return { incident: row.incident, connections: row.connections ?? row.incident.fleetSize, failing: row.failing ?? row.incident.peakAffected };
}

function incidentsWithCounts(db: DbOrTx) {
  return db.select(withCounts).from(vendorIncidents).leftJoin(vendorRegionHealth, regionOfIncident);
}

/** The open incident of one region, if any (the partial unique index's lookup). */
export async function getOpenIncident({ vendor, region }: { vendor: Vendor; region: string }, db: DbOrTx): Promise<IncidentWithCounts | undefined> {
  const [row] = await incidentsWithCounts(db).where(
    and(eq(vendorIncidents.vendor, vendor), eq(vendorIncidents.region, region), isNull(vendorIncidents.resolvedAt)),
  );
  return row ? counted(row) : undefined;
}

/** Open incidents, oldest first (the dashboard banner, /incidents and the sweep). */
export async function listOpenIncidents(db: DbOrTx): Promise<IncidentWithCounts[]> {
  return (await incidentsWithCounts(db).where(isNull(vendorIncidents.resolvedAt)).orderBy(asc(vendorIncidents.openedAt))).map(counted);
}

/**
 * Incidents newest first, a page at a time: `open`, `resolved` or all, after a position — (opened_at,
 * id) for the API's cursor, or opened_at alone for the console's "Older" link. `more` when another page follows.
 */
export async function listIncidentsPage(
  { status, after, limit }: { status: "open" | "resolved" | "all"; after: { openedAt: Date; id?: string } | null; limit: number },
  db: DbOrTx,
): Promise<{ rows: IncidentWithCounts[]; more: boolean }> {
  const at = after ? sql`${after.openedAt.toISOString()}::timestamptz` : null;
  const rows = await incidentsWithCounts(db)
    .where(
      and(
        status === "open" ? isNull(vendorIncidents.resolvedAt) : status === "resolved" ? isNotNull(vendorIncidents.resolvedAt) : undefined,
        after?.id
          ? sql`(${vendorIncidents.openedAt}, ${vendorIncidents.id}) < (${at}, ${after.id}::uuid)`
          : at
            ? sql`${vendorIncidents.openedAt} < ${at}`
            : undefined,
      ),
    )
    .orderBy(desc(vendorIncidents.openedAt), desc(vendorIncidents.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit).map(counted), more: rows.length > limit };
}

/** One incident, open or resolved, with its region's live counts. */
export async function getIncident({ id }: { id: string }, db: DbOrTx): Promise<IncidentWithCounts | undefined> {
  const [row] = await incidentsWithCounts(db).where(eq(vendorIncidents.id, id));
  return row ? counted(row) : undefined;
}

export async function listIncidentTimeline({ incidentId }: { incidentId: string }, db: DbOrTx) {
  return db
    .select()
    .from(vendorIncidentTimeline)
    .where(eq(vendorIncidentTimeline.incidentId, incidentId))
    .orderBy(asc(vendorIncidentTimeline.at), asc(vendorIncidentTimeline.kind));
}

/** The alerts grouped under an incident, and how many of them were held (their clinic was never told while it lasted). */
export async function countGroupedAlerts({ incidentId }: { incidentId: string }, db: DbOrTx): Promise<{ grouped: number; held: number }> {
  const [row] = await db
    .select({ grouped: sql<number>`count(*)::int`, held: sql<number>`(count(*) filter (where ${alerts.hold} is not null))::int` })
    .from(alerts)
    .where(eq(alerts.incidentId, incidentId));
  return { grouped: row?.grouped ?? 0, held: row?.held ?? 0 };
}

/** The clinics of a region failing transiently now, by name (the first `limit`): who an open incident affects. */
export async function listFailingClinics({ vendor, region, limit }: { vendor: Vendor; region: string; limit: number }, db: DbOrTx) {
  return db
    .select({ clinicId: clinics.id, name: clinics.name, state: connections.state })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(and(eq(connections.transientFailing, true), eq(connections.vendor, vendor), eq(connections.region, region), PROBEABLE))
    .orderBy(asc(clinics.name), asc(clinics.id))
    .limit(limit);
}

/**
 * Groups the region's degraded alerts already open when the incident opened under it (they were
 * notified before it existed, so they stay notified: no hold).
 */
export async function groupOpenRegionAlerts({ incidentId, vendor, region }: { incidentId: string; vendor: Vendor; region: string }, tx: DbOrTx): Promise<void> {
  await tx.execute(sql`
    update ${alerts} a set incident_id = ${incidentId}
    from ${connections} c
    where c.id = a.connection_id and c.vendor = ${vendor} and c.region = ${region}
      and a.kind = 'degraded_too_long' and a.status <> 'resolved' and a.incident_id is null`);
}

/** Holds an alert under an open incident (a new one, after the one it was held under ended). */
export async function holdAlert({ alertId, incidentId }: { alertId: string; incidentId: string }, tx: DbOrTx): Promise<void> {
  await tx.update(alerts).set({ hold: "held", incidentId }).where(eq(alerts.id, alertId));
}

/** A held alert has been announced: it is an ordinary alert from now on. */
export async function clearAlertHold({ alertId }: { alertId: string }, tx: DbOrTx): Promise<void> {
  await tx.update(alerts).set({ hold: null }).where(eq(alerts.id, alertId));
}

/** The region's transiently failing connections, in id order, a page at a time (canaries, the recovery re-probe). */
export async function listFailingConnectionIds(
  { vendor, region, after, limit }: { vendor: Vendor; region: string; after?: string; limit: number },
  db: DbOrTx,
) {
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.transientFailing, true),
        eq(connections.vendor, vendor),
        eq(connections.region, region),
        after ? gt(connections.id, after) : undefined,
        PROBEABLE,
      ),
    )
    .orderBy(asc(connections.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The open incident of a connection's region, and whether this connection is one of the failing; null when the region is fine. */
export async function getOpenIncidentForConnection({ connectionId }: { connectionId: string }, db: DbOrTx) {
  const [row] = await db
    .select({ ...withCounts, transientFailing: connections.transientFailing })
    .from(connections)
    .innerJoin(
      vendorIncidents,
      and(eq(vendorIncidents.vendor, connections.vendor), eq(vendorIncidents.region, connections.region), isNull(vendorIncidents.resolvedAt)),
    )
    .leftJoin(vendorRegionHealth, regionOfIncident)
    .where(eq(connections.id, connectionId));
  return row ? { ...counted(row), thisConnectionFailing: row.transientFailing } : null;
}
