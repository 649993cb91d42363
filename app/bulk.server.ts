import { sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import { publicUrl } from "../config/runtime.ts";
import type { BulkDeps, ProbeQueue } from "../domain/bulk/operations.ts";
import { QUEUES } from "../workers/catalog.ts";
import type { Services } from "./services.server.ts";

/**
 * Probe jobs for bulk actions, inserted on the caller's transaction so the operation row and its
 * jobs commit together. The singleton key is the connection (the queue is "stately"): a probe
 * already waiting for it absorbs this one, and the item still settles when that probe runs.
 */
export function pgBossProbeQueue(boss: PgBoss): ProbeQueue {
  return {
    async enqueue(jobs, tx) {
      if (jobs.length === 0) return;
      await boss.insert(
        QUEUES.probe.name,
        jobs.map((j) => ({ data: QUEUES.probe.schema.parse({ connectionId: j.connectionId, reason: "manual", requestedBy: j.requestedBy }), singletonKey: j.connectionId })),
        { db: fromDrizzle(tx, sql) },
      );
    },
  };
}

export function bulkDepsFor(services: Services): BulkDeps {
  return { db: services.db, probes: pgBossProbeQueue(services.boss), publicUrl: publicUrl(services.env), linkTtlHours: services.env.RECONNECT_LINK_TTL_HOURS };
}
