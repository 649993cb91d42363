import type { Job, PgBoss } from "pg-boss";
import type { Db } from "../../db/client.ts";
import { listProbeableConnectionIds } from "../../db/queries/connections.ts";
import type { AlertWorkDeps } from "../../domain/alerts/apply.ts";
import type { Keyring } from "../../domain/connections/key-storage.ts";
import { probeConnection, type ProbeReport, type VendorAccess } from "../../domain/health/probe.ts";
import { expireLapsedReconnects } from "../../domain/reconnect/expire.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";

export interface ProbeDeps {
  db: Db;
  boss: PgBoss;
  logger: Logger;
  vendors: VendorAccess;
  keyring: Keyring;
  alerts: AlertWorkDeps;
}

const CONFIRM_AFTER_SECONDS = 20;

/** Probes a batch concurrently: each job is one connection; vendor calls dominate, so they overlap. */
export async function handleProbeBatch(jobs: Job<object>[], deps: ProbeDeps): Promise<ProbeReport[]> {
  return Promise.all(
    jobs.map(async (job) => {
      const payload = QUEUES.probe.schema.parse(job.data);
      const report = await probeConnection(
        { db: deps.db, keyring: deps.keyring, vendors: deps.vendors, alerts: deps.alerts },
        { connectionId: payload.connectionId, probeId: job.id, reason: payload.reason, requestedBy: payload.requestedBy },
      );
      if (report.confirm) {
        // why: a first rejection after a healthy history is confirmed before the clinic is told its key is broken
        await deps.boss.send(QUEUES.probe.name, { connectionId: payload.connectionId, reason: "confirm" }, {
          singletonKey: payload.connectionId,
          startAfter: CONFIRM_AFTER_SECONDS,
        });
      }
      deps.logger.debug({ connectionId: payload.connectionId, outcome: report.outcome, ms: report.ms }, "probe");
      return report;
    }),
  );
}

/**
 * Tidies lapsed reconnect links, then fans the fleet out into probe jobs in pages of 1,000; a
 * connection already queued is skipped by the singleton key.
 */
export async function handleProbeSweep(deps: ProbeDeps): Promise<void> {
  const lapse = await expireLapsedReconnects({}, deps.db);
  if (lapse.lapsed || lapse.retryKeysWiped) deps.logger.info(lapse, "reconnect links lapsed");
  let after: string | undefined;
  let total = 0;
  for (;;) {
    const ids = await listProbeableConnectionIds({ after, limit: 1000 }, deps.db);
    if (ids.length === 0) break;
    await deps.boss.insert(
      QUEUES.probe.name,
      ids.map((id) => ({ data: { connectionId: id, reason: "schedule" }, singletonKey: id })),
    );
    total += ids.length;
    after = ids[ids.length - 1];
  }
  deps.logger.info({ connections: total }, "probe sweep enqueued");
}
