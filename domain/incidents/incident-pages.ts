import type { Db } from "../../db/client.ts";
import {
  countGroupedAlerts,
  getIncident,
  getOpenIncidentForConnection,
  listFailingClinics,
  listIncidentsPage,
  listIncidentTimeline,
  listOpenIncidents,
  type IncidentWithCounts,
} from "../../db/queries/incidents.ts";
import type { VendorIncident } from "../../db/schema/incidents.ts";
import { TAXONOMY } from "../health/taxonomy.ts";
import { durationBetween } from "../duration.ts";
import { regionName } from "./rules.ts";

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

function bannerOf({ incident, connections, failing }: IncidentWithCounts): IncidentBanner {
  return { id: incident.id, vendor: incident.vendor, region: incident.region, openedAt: incident.openedAt.toISOString(), failing, connections };
}

/** Every open incident's banner, oldest first (the dashboard). */
export async function loadIncidentBanners(db: Db): Promise<IncidentBanner[]> {
  return (await listOpenIncidents(db)).map(bannerOf);
}

/**
 * The clinic page's banner: the open incident of the connection's region (one query), and whether
 * this connection is one of the failing (then its degraded alert is held under the incident). Null
 * when the region is fine.
 */
export async function loadConnectionIncident({ connectionId }: { connectionId: string }, db: Db) {
  const row = await getOpenIncidentForConnection({ connectionId }, db);
  return row ? { ...bannerOf(row), thisConnectionFailing: row.thisConnectionFailing } : null;
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
    duration: i.resolvedAt ? durationBetween(i.openedAt, i.resolvedAt) : null,
    /** For an open one, how long so far. */
    sinceOpened: durationBetween(i.openedAt, now),
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
    listIncidentsPage({ status: "resolved", after: before ? { openedAt: before } : null, limit: INCIDENT_PAGE }, db),
  ]);
  const last = history.rows.at(-1);
  return {
    open: open.map((r) => ({ ...listRow(r.incident, now), failing: r.failing, connections: r.connections })),
    history: history.rows.map((r) => listRow(r.incident, now)),
    older: history.more && last ? last.incident.openedAt.toISOString() : null,
    now: now.getTime(),
  };
}

/** One incident's page: summary, first evidence, counts, held alerts and the timeline. Null when no incident has that id. */
export async function loadIncidentPage({ id, now = new Date() }: { id: string; now?: Date }, db: Db) {
  const found = await getIncident({ id }, db);
  if (!found) return null;
  const { incident } = found;
  const open = incident.resolvedAt === null;
  const [timeline, alerts, affected] = await Promise.all([
    listIncidentTimeline({ incidentId: id }, db),
    countGroupedAlerts({ incidentId: id }, db),
    open ? listFailingClinics({ vendor: incident.vendor, region: incident.region, limit: AFFECTED_SHOWN }, db) : Promise.resolve([]),
  ]);
  const e = incident.firstEvidence;
  return {
    ...listRow(incident, now),
    banner: open ? bannerOf(found) : null,
    /** "Resolved after 41 min; 498 recovered" once it is over. */
    resolvedSummary: incident.resolvedAt ? `Resolved after ${durationBetween(incident.openedAt, incident.resolvedAt)}; ${incident.recovered} recovered` : null,
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
