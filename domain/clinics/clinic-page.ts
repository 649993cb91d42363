import type { Db } from "../../db/client.ts";
import { listClinicMessages } from "../../db/queries/alerts.ts";
import { listProbeTicks } from "../../db/queries/probe-history.ts";
import { listCampaignsOfClinic } from "../../db/queries/campaigns.ts";
import { getClinic, listTimeline, listTimelineBefore } from "../../db/queries/clinics.ts";
import { listUserNames } from "../../db/queries/users.ts";
import { loadOpenAccountChange } from "./account-change.ts";
import { DomainError } from "../errors.ts";
import type { ProbeEvidence } from "../health/classifier.ts";
import { buildEscalationPacket, escalationText } from "../health/escalation.ts";
import { playbookFor } from "../health/taxonomy.ts";
import { canSendReconnectLink } from "./console-actions.ts";
import { messageStatusLabel } from "../vocabulary.ts";
import { loadSyncCard } from "../sync/sync-card.ts";
import { loadConnectionIncident } from "../incidents/incident-pages.ts";
import { incidentSummary } from "../incidents/rules.ts";

/** Timeline events per page of the clinic page. */
const TIMELINE_PAGE = 25;

export const CLINIC_NOT_FOUND = "No clinic has that address.";

/**
 * Everything the clinic page shows, read in one place: the clinic, its connection (without the
 * raw evidence, which only feeds the packet), the timeline page, the campaigns it is in, the
 * escalation packet and the playbook for its failure. Null when no clinic has that id.
 */
export async function loadClinicPage({ clinicId, page, now = new Date() }: { clinicId: string; page: number; now?: Date }, db: Db) {
  const [row, timeline, campaigns, messages, accountChange, probes] = await Promise.all([
    getClinic({ clinicId }, db),
    listTimeline({ clinicId, page, pageSize: TIMELINE_PAGE }, db),
    listCampaignsOfClinic({ clinicId }, db),
    listClinicMessages({ clinicId }, db),
    loadOpenAccountChange(clinicId, db),
    listProbeTicks({ clinicId }, db),
  ]);
  if (!row) return null;
  const c = row.connection;
  const [sync, incident] = c ? await Promise.all([loadSyncCard({ connectionId: c.id }, db), loadConnectionIncident({ connectionId: c.id }, db)]) : [null, null];
  const packet = c
    ? escalationText(
        buildEscalationPacket({
          organisationName: row.clinic.name,
          vendor: c.vendor,
          region: c.region,
          apiVersion: c.apiVersion,
          state: c.state,
          failureCode: c.failureCode,
          evidence: (c.failureEvidence as ProbeEvidence | null) ?? null,
          keyHint: c.keyHint,
          keyUpdatedAt: c.keyUpdatedAt,
          firstFailureAt: c.firstFailureAt,
          lastSuccessAt: c.lastSuccessAt,
          visiblePatients: c.visiblePatientCount,
          visiblePatientsAtLeast: c.visiblePatientsAtLeast,
          supportFindings: c.supportFindings ?? null,
          // why (docs/decisions/0049): a ticket copied during a vendor incident says so
          vendorIncident: incident
            ? { id: incident.id, summary: incidentSummary({ ...incident, openedAt: new Date(incident.openedAt) }, incident.failing, incident.connections) }
            : null,
        }),
        { clinicTimeZone: row.clinic.timeZone },
      )
    : null;
  const names = await actorNames(
    timeline.rows.map((e) => e.actor),
    db,
  );
  return {
    clinic: row.clinic,
    connection: c ? { ...c, failureEvidence: null, canSendLink: canSendReconnectLink(c.state) } : null,
    timeline: { ...timeline, rows: timeline.rows.map((e) => ({ ...e, id: String(e.id), actor: names(e.actor) })) },
    page,
    pages: Math.max(1, Math.ceil(timeline.total / TIMELINE_PAGE)),
    packet,
    playbook: c?.failureCode ? playbookFor(c.failureCode, c.vendor) : null,
    campaigns,
    probes,
    /** What the clinic admin was sent, each "Queued" until the worker really sent it (messageStatusLabel). */
    messages: messages.map((m) => ({ ...m, status: messageStatusLabel(m.status, m.status === "queued" && m.lastError !== null) })),
    /** A key of a different vendor account waiting for support (docs/decisions/0026). */
    accountChange,
    /** The sync card (domain/sync/sync-card.ts). */
    sync,
    /** The open vendor incident of the connection's region, for the banner (domain/incidents/incident-pages.ts). */
    incident,
    now: now.getTime(),
  };
}

/**
 * One page of the clinic's timeline newest first, resuming before the event `beforeId` (the JSON API's cursor),
 * with actors in the same words as the clinic page. A DomainError 404 when no clinic has that id.
 */
export async function loadClinicTimeline({ clinicId, beforeId, limit }: { clinicId: string; beforeId: string | null; limit: number }, db: Db) {
  if (!(await getClinic({ clinicId }, db))) throw new DomainError(404, CLINIC_NOT_FOUND, { code: "clinic_not_found" });
  const { rows, more } = await listTimelineBefore({ clinicId, beforeId, limit }, db);
  const names = await actorNames(
    rows.map((e) => e.actor),
    db,
  );
  return { rows: rows.map((e) => ({ ...e, id: String(e.id), actor: names(e.actor) })), more };
}

/** Who a timeline actor tag names, in words: a person by name (not `user:<uuid>`), else what acted. */
const ACTOR_WORDS: Record<string, string> = {
  probe: "scheduled probe",
  link: "the clinic (reconnect link)",
  system: "system",
};

async function actorNames(actors: (string | null)[], db: Db): Promise<(actor: string | null) => string> {
  const ids = [...new Set(actors.filter((a): a is string => !!a && a.startsWith("user:")).map((a) => a.slice(5)))];
  const byId = new Map((await listUserNames({ ids }, db)).map((u) => [u.id, u.name || u.email]));
  return (actor) => {
    if (!actor) return "system";
    if (actor.startsWith("user:")) return byId.get(actor.slice(5)) ?? "a former user";
    return ACTOR_WORDS[actor] ?? actor;
  };
}

/** The clinic and its connection an action on the clinic page works on; a 404 DomainError when either is missing. */
export async function clinicWithConnection(clinicId: string, db: Db) {
  const row = await getClinic({ clinicId }, db);
  if (!row) throw new DomainError(404, CLINIC_NOT_FOUND, { code: "clinic_not_found" });
  if (!row.connection) throw new DomainError(404, "This clinic has no connection yet.", { code: "no_connection" });
  return { clinic: row.clinic, connection: row.connection };
}

/** The clinic's own details for the edit page (no connection facts), or null when no clinic has that id. */
export async function loadClinicDetails(clinicId: string, db: Db) {
  const row = await getClinic({ clinicId }, db);
  if (!row) return null;
  const c = row.clinic;
  return { id: c.id, name: c.name, timeZone: c.timeZone, country: c.country, adminName: c.adminName, adminEmail: c.adminEmail, archivedAt: c.archivedAt };
}
