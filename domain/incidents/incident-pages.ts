import type { Db } from "../../db/client.ts";
import {
  countGroupedAlerts,
  getIncident,
  getOpenIncident,
  getOpenIncidentForConnection,
  listIncidents,
  listFailingClinics,
  listIncidentTimeline,
  listOpenIncidents,
} from "../../db/queries/incidents.ts";
import type { VendorIncident } from "../../db/schema/incidents.ts";
import { TAXONOMY } from "../health/taxonomy.ts";
import { incidentDuration, regionName } from "./rules.ts";

/**
 * The read models of vendor incidents in the console (issue 16, docs/decisions/0049): the banner
 * on the dashboard and on an affected clinic page, the /incidents list and one incident's page.
 * Nothing here holds a key: the stored evidence never had one.
 */

/** An open incident as its banner says it: the region, since when, and the region's live counts. */
export interface IncidentBanner {
  id: string;
  vendor: VendorIncident["vendor"];
  region: string;
  openedAt: string;
  failing: number;
  connections: number;
}

// why: the region's live counts can lag a fresh incident (no recount yet); the incident's own
// numbers stand in, as getOpenIncident does
function bannerOf(incident: VendorIncident, connections: number | null, failing: number | null): IncidentBanner {
  return {
    id: incident.id,
    vendor: incident.vendor,
    region: incident.region,
    openedAt: incident.openedAt.toISOString(),
    failing: failing ?? incident.peakAffected,
    connections: connections ?? incident.fleetSize,
  };
}

/** Every open incident's banner, oldest first (the dashboard). */
export async function loadIncidentBanners(db: Db): Promise<IncidentBanner[]> {
  return (await listOpenIncidents(db)).map((r) => bannerOf(r.incident, r.connections, r.failing));
}

/**
 * The clinic page's banner: the open incident of the connection's region (one query), and whether
 * this connection is one of the failing (then its degraded alert is held under the incident). Null
 * when the region is fine.
 */
export async function loadConnectionIncident({ connectionId }: { connectionId: string }, db: Db) {
  const row = await getOpenIncidentForConnection({ connectionId }, db);
  return row ? { ...bannerOf(row.incident, row.connections, row.failing), thisConnectionFailing: row.transientFailing } : null;
}

/** How many affected clinics an open incident's page names (the rest: the clinics table, filtered). */
const AFFECTED_SHOWN = 12;

/** History rows per page of /incidents. */
export const INCIDENT_PAGE = 25;

function listRow(i: VendorIncident, now: Date) {
  return {
    id: i.id,
    name: regionName(i.vendor, i.region),
    open: i.resolvedAt === null,
    openedAt: i.openedAt.toISOString(),
    resolvedAt: i.resolvedAt?.toISOString() ?? null,
    /** "41 min", or null while it lasts ("ongoing"). */
    duration: i.resolvedAt ? incidentDuration(i.openedAt, i.resolvedAt) : null,
    /** For an open one, how long so far. */
    sinceOpened: incidentDuration(i.openedAt, now),
    peakAffected: i.peakAffected,
    fleetSize: i.fleetSize,
    recovered: i.recovered,
  };
}

export type IncidentListRow = ReturnType<typeof listRow>;

/**
 * /incidents: the open incidents first (all of them: a handful at most, one per region), then one
 * page of the resolved history newest first, resuming before `before` (the last row's opened_at).
 */
export async function loadIncidentList({ before, now = new Date() }: { before?: Date; now?: Date }, db: Db) {
  const [open, history] = await Promise.all([
    before ? Promise.resolve([]) : listOpenIncidents(db),
    // why: one more than a page, so "Older" shows only when there is an older incident
    listIncidents({ before, limit: INCIDENT_PAGE + 1, resolvedOnly: true }, db),
  ]);
  const page = history.slice(0, INCIDENT_PAGE);
  return {
    open: open.map((r) => ({ ...listRow(r.incident, now), failing: r.failing ?? r.incident.peakAffected, connections: r.connections ?? r.incident.fleetSize })),
    history: page.map((i) => listRow(i, now)),
    older: history.length > INCIDENT_PAGE ? page[page.length - 1]!.openedAt.toISOString() : null,
    now: now.getTime(),
  };
}

/** One incident's page: summary, first evidence, counts, held alerts and the timeline. Null when no incident has that id. */
export async function loadIncidentPage({ id, now = new Date() }: { id: string; now?: Date }, db: Db) {
  const incident = await getIncident({ id }, db);
  if (!incident) return null;
  const open = incident.resolvedAt === null;
  const [timeline, alerts, live, affected] = await Promise.all([
    listIncidentTimeline({ incidentId: id }, db),
    countGroupedAlerts({ incidentId: id }, db),
    open ? getOpenIncident({ vendor: incident.vendor, region: incident.region }, db) : Promise.resolve(undefined),
    open ? listFailingClinics({ vendor: incident.vendor, region: incident.region, limit: AFFECTED_SHOWN }, db) : Promise.resolve([]),
  ]);
  const e = incident.firstEvidence;
  return {
    ...listRow(incident, now),
    banner: incident.resolvedAt ? null : bannerOf(incident, live?.connections ?? null, live?.failing ?? null),
    /** "Resolved after 41 min; 498 recovered" once it is over. */
    resolvedSummary: incident.resolvedAt ? `Resolved after ${incidentDuration(incident.openedAt, incident.resolvedAt)}; ${incident.recovered} recovered` : null,
    evidence: {
      code: e.failureCode,
      title: TAXONOMY[e.failureCode]?.title ?? e.failureCode,
      httpStatus: e.httpStatus,
      vendorMessage: e.vendorMessage,
      at: e.at,
      clinicId: e.clinicId,
    },
    affectedAtOpen: incident.affectedAtOpen,
    peakAt: incident.peakAt.toISOString(),
    affectedAtResolve: incident.affectedAtResolve,
    heldAlerts: alerts.held,
    groupedAlerts: alerts.grouped,
    /** While open: the first failing clinics by name, and the clinics table of all of them. */
    affected: open
      ? {
          clinics: affected.map((c) => ({ id: c.clinicId, name: c.name, state: c.state })),
          allUrl: `/clinics?${new URLSearchParams({ vendor: incident.vendor, region: incident.region, broken: "now" }).toString()}`,
        }
      : null,
    timeline: timeline.map((t) => ({ id: t.id, at: t.at.toISOString(), kind: t.kind, affected: t.affected, connections: t.connections, message: t.message })),
    now: now.getTime(),
  };
}
