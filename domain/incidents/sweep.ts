import { inTransaction, type Db } from "../../db/client.ts";
import { getOpenIncidentForConnection, listFailingConnectionIds, listOpenIncidents, recomputeRegionHealth } from "../../db/queries/incidents.ts";
import type { ProbeJobQueue } from "../jobs.ts";
import { incidentSettings, resolveIncident, startCanaries, updateIncident, type IncidentDeps } from "./lifecycle.ts";
import { shouldResolve, thinningSlot, updateDue } from "./rules.ts";

export interface IncidentSweepResult {
  open: number;
  resolved: number;
  updated: number;
  canaries: number;
  /**
   * What the sweep's fan-out skips while an incident is open: a failing connection of its region is
   * probed one sweep in `of`, in its turn (`slot`) — listProbeableConnectionIds's `thin`.
   */
  thin?: { slot: number; of: number };
}

/**
 * Run by every probe sweep, before it fans out (docs/decisions/0049-vendor-incidents.md): recount
 * every region from the fleet (correcting the drift of flips racing archives, pauses and new keys),
 * resolve an incident the recount puts under half its threshold, send support the throttled update
 * of one whose count moved, and restart the canaries of the rest.
 */
export async function sweepIncidents(
  { now, intervalMinutes }: { now: Date; intervalMinutes: number },
  db: Db,
  deps: IncidentDeps,
): Promise<IncidentSweepResult> {
  const s = incidentSettings(deps);
  await recomputeRegionHealth({ now }, db);
  const result: IncidentSweepResult = { open: 0, resolved: 0, updated: 0, canaries: 0 };
  for (const { incident, connections: fleet, failing: count } of await listOpenIncidents(db)) {
    await inTransaction(db, async (tx) => {
      if (shouldResolve(count, fleet, s)) {
        if (await resolveIncident({ id: incident.id, failing: count, connections: fleet, now }, tx, deps)) result.resolved++;
        return;
      }
      result.open++;
      if (updateDue(incident, count, now, s)) {
        await updateIncident({ incident, failing: count, connections: fleet, now }, tx, deps);
        result.updated++;
      }
      result.canaries += await startCanaries(incident, tx, deps);
    });
  }
  if (result.open > 0) result.thin = { slot: thinningSlot(now, intervalMinutes, s), of: s.thinning };
  return result;
}

/**
 * After a canary's probe: while its region's incident lasts, a canary that still fails is probed
 * again in `canarySeconds`; one that works asks for a probe of every failing connection of the
 * region at once, so the recovery is seen (and the incident resolved) within a minute.
 */
export async function continueCanary(
  { connectionId, outcome }: { connectionId: string; outcome: "healthy" | "failed" | "skipped" | "conflict" },
  db: Db,
  deps: Pick<IncidentDeps, "settings"> & { probes: ProbeJobQueue },
): Promise<"again" | "recovery" | "done"> {
  const open = await getOpenIncidentForConnection({ connectionId }, db);
  if (!open) return "done";
  const { vendor, region } = open.incident;
  const s = incidentSettings(deps);
  if (outcome === "failed" || outcome === "conflict") {
    await deps.probes.enqueue([{ data: { connectionId, reason: "canary" }, startAfter: s.canarySeconds }]);
    return "again";
  }
  if (outcome !== "healthy") return "done";
  let after: string | undefined;
  for (;;) {
    const ids = await listFailingConnectionIds({ vendor, region, after, limit: 1000 }, db);
    if (ids.length === 0) break;
    await deps.probes.enqueue(ids.map((id) => ({ data: { connectionId: id, reason: "schedule" as const } })));
    after = ids[ids.length - 1];
  }
  return "recovery";
}
