import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import {
  groupOpenRegionAlerts,
  insertIncident,
  insertIncidentTimeline,
  moveRegionCounter,
  noteIncidentNotice,
  recomputeRegionHealth,
  resolveIncidentRow,
  listFailingConnectionIds,
} from "../../db/queries/incidents.ts";
import type { VendorIncident } from "../../db/schema/index.ts";
import type { AlertWorkDeps } from "../alerts/apply.ts";
import { renderIncidentEmail } from "../alerts/messages.ts";
import { queueMessages } from "../alerts/outbox.ts";
import { recordEvents } from "../events/record.ts";
import type { DeliveryJobQueue, ProbeJobQueue } from "../jobs.ts";
import type { IncidentEvidence, Vendor } from "../vocabulary.ts";
import { durationBetween } from "../duration.ts";
import { DEFAULT_INCIDENT_SETTINGS, incidentSummary, regionName, shouldOpen, shouldResolve, type IncidentSettings } from "./rules.ts";

/**
 * A vendor incident's life (docs/decisions/0049-vendor-incidents.md), always inside the caller's
 * transaction: opened by the flip that crosses the threshold, resolved by the flip (or the sweep's
 * recount) that falls under half of it. Each step writes its timeline row, its integration event,
 * and one message to support through the same outbox and `deliver` queue as every email.
 */

export interface IncidentDeps {
  /** The delivery queue for support's messages. */
  queue: DeliveryJobQueue;
  supportEmail: string | null;
  consoleUrl: string | null;
  settings?: IncidentSettings;
  /** Where canary probes go; none = no canaries (the sweep still probes the region, thinned). */
  probes?: ProbeJobQueue;
}

/** The incident deps every probe path has: its alert wiring (queue, support address, thresholds) and probe queue. */
export function incidentDepsOf(alerts: AlertWorkDeps, probes?: ProbeJobQueue): IncidentDeps {
  return {
    queue: alerts.queue,
    supportEmail: alerts.recipients.supportEmail,
    consoleUrl: alerts.recipients.consoleUrl,
    ...(alerts.incidents ? { settings: alerts.incidents } : {}),
    ...(probes ? { probes } : {}),
  };
}

export function incidentSettings(deps: Pick<IncidentDeps, "settings">): IncidentSettings {
  return deps.settings ?? DEFAULT_INCIDENT_SETTINGS;
}

export interface TransientFlip {
  vendor: Vendor;
  region: string;
  /** The connection's probe now fails transiently (true) or no longer does (false). */
  failing: boolean;
  /** What this probe saw, for an incident it opens. */
  evidence: IncidentEvidence | null;
  now: Date;
}

/**
 * One connection's flag flipped: move its region's counter (one statement) and open or resolve the
 * region's incident when the count crosses a threshold. Called from the probe's write.
 */
export async function countTransientFlip(flip: TransientFlip, tx: DbOrTx, deps: IncidentDeps): Promise<void> {
  const s = incidentSettings(deps);
  let count = await moveRegionCounter({ vendor: flip.vendor, region: flip.region, delta: flip.failing ? 1 : -1, now: flip.now }, tx);
  if (count.fresh) {
    // why: a region seen for the first time has no fleet size yet; count it once, here, not per flip
    const [row] = await recomputeRegionHealth({ now: flip.now, only: { vendor: flip.vendor, region: flip.region } }, tx);
    if (row) count = { ...count, connections: row.connections, transientFailing: row.transientFailing, fresh: false };
  }
  if (flip.failing && !count.openIncidentId && flip.evidence && shouldOpen(count.transientFailing, count.connections, s)) {
    await openIncident(
      { vendor: flip.vendor, region: flip.region, evidence: flip.evidence, failing: count.transientFailing, connections: count.connections, now: flip.now },
      tx,
      deps,
    );
  } else if (!flip.failing && count.openIncidentId && shouldResolve(count.transientFailing, count.connections, s)) {
    await resolveIncident({ id: count.openIncidentId, failing: count.transientFailing, connections: count.connections, now: flip.now }, tx, deps);
  }
}

async function openIncident(
  input: { vendor: Vendor; region: string; evidence: IncidentEvidence; failing: number; connections: number; now: Date },
  tx: DbOrTx,
  deps: IncidentDeps,
): Promise<void> {
  const incident = await insertIncident(
    { vendor: input.vendor, region: input.region, evidence: input.evidence, fleetSize: input.connections, affected: input.failing, now: input.now },
    tx,
  );
  // why: another flip opened it first (the partial unique index); nothing more to do
  if (!incident) return;
  await groupOpenRegionAlerts({ incidentId: incident.id, vendor: incident.vendor, region: incident.region }, tx);
  await insertIncidentTimeline(
    {
      incidentId: incident.id,
      at: input.now,
      kind: "opened",
      affected: input.failing,
      connections: input.connections,
      message: incidentSummary(incident, input.failing, input.connections),
    },
    tx,
  );
  await recordEvents(tx, [
    {
      type: "incident.opened",
      data: {
        ...eventFields(incident, input.failing, input.connections),
        failureCode: input.evidence.failureCode,
        httpStatus: input.evidence.httpStatus,
      },
    },
  ]);
  await notifySupport({ kind: "opened", incident, failing: input.failing, connections: input.connections, recovered: 0, now: input.now }, tx, deps);
  await startCanaries(incident, tx, deps);
}

export async function resolveIncident(
  input: { id: string; failing: number; connections: number; now: Date },
  tx: DbOrTx,
  deps: IncidentDeps,
): Promise<VendorIncident | null> {
  const incident = await resolveIncidentRow({ id: input.id, now: input.now, affected: input.failing }, tx);
  if (!incident) return null;
  const resolvedAt = incident.resolvedAt ?? input.now;
  await insertIncidentTimeline(
    {
      incidentId: incident.id,
      at: resolvedAt,
      kind: "resolved",
      affected: input.failing,
      connections: input.connections,
      message: `${regionName(incident.vendor, incident.region)} works again after ${durationBetween(incident.openedAt, resolvedAt)}: ${incident.recovered} recovered${
        input.failing > 0 ? `, ${input.failing} still failing (each alerts on its own if it keeps failing)` : ""
      }.`,
    },
    tx,
  );
  await recordEvents(tx, [
    {
      type: "incident.resolved",
      data: {
        ...eventFields(incident, input.failing, input.connections),
        resolvedAt: resolvedAt.toISOString(),
        durationSeconds: Math.max(0, Math.floor((resolvedAt.getTime() - incident.openedAt.getTime()) / 1000)),
        peakAffected: incident.peakAffected,
        recovered: incident.recovered,
      },
    },
  ]);
  await notifySupport(
    { kind: "resolved", incident, failing: input.failing, connections: input.connections, recovered: incident.recovered, now: resolvedAt },
    tx,
    deps,
  );
  return incident;
}

/** The throttled update: support hears the new count, and the timeline keeps it. */
export async function updateIncident(
  input: { incident: VendorIncident; failing: number; connections: number; now: Date },
  tx: DbOrTx,
  deps: IncidentDeps,
): Promise<void> {
  const { incident, failing, connections, now } = input;
  await noteIncidentNotice({ id: incident.id, now, affected: failing }, tx);
  await insertIncidentTimeline(
    { incidentId: incident.id, at: now, kind: "update", affected: failing, connections, message: incidentSummary(incident, failing, connections) },
    tx,
  );
  await recordEvents(tx, [
    { type: "incident.updated", data: { ...eventFields(incident, failing, connections), peakAffected: Math.max(incident.peakAffected, failing) } },
  ]);
  await notifySupport({ kind: "update", incident, failing, connections, recovered: incident.recovered, now }, tx, deps);
}

/**
 * Canaries: the first few failing connections of the region, probed every `canarySeconds` while
 * the incident lasts (workers/handlers/probe.ts continues the chain). The probe queue's singleton
 * key absorbs a canary already waiting, so starting them again each sweep never stacks them.
 */
export async function startCanaries(incident: Pick<VendorIncident, "vendor" | "region">, tx: DbOrTx, deps: IncidentDeps): Promise<number> {
  if (!deps.probes) return 0;
  const s = incidentSettings(deps);
  const ids = await listFailingConnectionIds({ vendor: incident.vendor, region: incident.region, limit: s.canaries }, tx);
  if (ids.length === 0) return 0;
  await deps.probes.enqueue(
    ids.map((connectionId) => ({ data: { connectionId, reason: "canary" as const }, startAfter: s.canarySeconds })),
    tx,
  );
  return ids.length;
}

function eventFields(incident: VendorIncident, failing: number, connections: number) {
  return {
    incidentId: incident.id,
    vendor: incident.vendor,
    region: incident.region,
    openedAt: incident.openedAt.toISOString(),
    affected: failing,
    connections,
  };
}

async function notifySupport(
  input: { kind: "opened" | "update" | "resolved"; incident: VendorIncident; failing: number; connections: number; recovered: number; now: Date },
  tx: DbOrTx,
  deps: IncidentDeps,
): Promise<void> {
  if (!deps.supportEmail) return;
  const content = renderIncidentEmail({ ...input, consoleUrl: deps.consoleUrl });
  const message = {
    id: randomUUID(),
    clinicId: null,
    connectionId: null,
    alertIds: [],
    event: input.kind === "opened" ? ("incident_opened" as const) : input.kind === "update" ? ("incident_update" as const) : ("incident_resolved" as const),
    channel: "email" as const,
    audience: "support" as const,
    target: deps.supportEmail,
    content,
    createdAt: input.now,
  };
  await queueMessages([message], tx, deps.queue);
}
