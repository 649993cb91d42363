import type { Job, JobResult } from "pg-boss";
import type { Db } from "../../db/client.ts";
import { listProbeableConnectionIds } from "../../db/queries/connections.ts";
import type { AlertWorkDeps } from "../../domain/alerts/apply.ts";
import type { Keyring } from "../../domain/connections/key-storage.ts";
import { recordDeadProbe } from "../../domain/health/dead-probes.ts";
import { probeConnection, type ProbeReport, type VendorAccess } from "../../domain/health/probe.ts";
import type { ProbeJobQueue } from "../../domain/jobs.ts";
import type { MetricsRecorder } from "../../domain/metrics.ts";
import { expireLapsedReconnects } from "../../domain/reconnect/expire.ts";
import type { Logger } from "../../lib/logger.ts";
import { incidentDepsOf } from "../../domain/incidents/lifecycle.ts";
import { continueCanary, sweepIncidents } from "../../domain/incidents/sweep.ts";
import { QUEUES } from "../catalog.ts";

export interface ProbeDeps {
  db: Db;
  logger: Logger;
  vendors: VendorAccess;
  keyring: Keyring;
  alerts: AlertWorkDeps;
  probes: ProbeJobQueue;
  /** Probe outcomes and durations (Services.metrics.recorder); none = not recorded. */
  metrics?: MetricsRecorder;
  /** Sees every probe's report (benches, logs); the reports are not stored as job output. */
  onReport?: (report: ProbeReport) => void;
  /** PROBE_INTERVAL_MINUTES: a failing region under an incident is probed one sweep in `thinning` (default 5). */
  intervalMinutes?: number;
  /** The clock (tests move it); default the wall clock. */
  now?: () => Date;
}

/**
 * Probes a batch concurrently (vendor calls dominate, so they overlap) and reports per job
 * (perJobResults): a job that throws fails and retries alone; its batch completes.
 */
export async function handleProbeBatch(jobs: Job<object>[], deps: ProbeDeps): Promise<JobResult[]> {
  return Promise.all(
    jobs.map(async (job): Promise<JobResult> => {
      const payload = QUEUES.probe.schema.safeParse(job.data);
      if (!payload.success) return { id: job.id, status: "deadletter", output: { error: "invalid payload" } };
      const { connectionId, reason, requestedBy } = payload.data;
      try {
        const report = await probeConnection(
          {
            db: deps.db,
            keyring: deps.keyring,
            vendors: deps.vendors,
            alerts: deps.alerts,
            probes: deps.probes,
            metrics: deps.metrics,
            ...(deps.now ? { now: deps.now } : {}),
          },
          { connectionId, probeId: job.id, reason, requestedBy },
        );
        deps.onReport?.(report);
        // why (docs/decisions/0049): a canary keeps watching its failing region, or calls the recovery re-probe
        if (reason === "canary")
          await continueCanary({ connectionId, outcome: report.outcome }, deps.db, { settings: deps.alerts.incidents, probes: deps.probes });
        if (report.failureCode === "key_unreadable") deps.logger.error({ connectionId }, "stored key cannot be decrypted with the configured master keys");
        deps.logger.debug({ connectionId, outcome: report.outcome, ms: report.ms }, "probe");
        return { id: job.id, status: "completed" };
      } catch (err) {
        deps.logger.error({ err, connectionId }, "probe crashed");
        // why: only the error's class is stored with the job; its text may quote query parameters
        return { id: job.id, status: "failed", output: { error: (err as Error).name } };
      }
    }),
  );
}

/** Retries exhausted: the dead probe goes onto the clinic's timeline (and into the dashboard's count). */
export async function handleProbeDeadBatch(jobs: Job<object>[], deps: Pick<ProbeDeps, "db" | "logger">): Promise<void> {
  for (const job of jobs) {
    const payload = QUEUES["probe-dead"].schema.safeParse(job.data);
    if (!payload.success) continue;
    const written = await recordDeadProbe({ connectionId: payload.data.connectionId, probeId: job.id, reason: payload.data.reason }, deps.db);
    if (written) deps.logger.warn({ connectionId: payload.data.connectionId }, "probe gave up after its retries");
  }
}

/**
 * Tidies lapsed reconnect links, brings vendor incidents up to date (recount, resolve, update,
 * canaries), then fans the fleet out into probe jobs in pages of 1,000 — a region under an incident
 * thinned — and a connection already queued is skipped by the singleton key.
 */
export async function handleProbeSweep(deps: ProbeDeps): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const lapse = await expireLapsedReconnects({}, deps.db);
  if (lapse.lapsed || lapse.retryKeysWiped || lapse.accountQuestionsExpired) deps.logger.info(lapse, "reconnect links lapsed");
  const { thin, ...incidents } = await sweepIncidents({ now, intervalMinutes: deps.intervalMinutes ?? 5 }, deps.db, incidentDepsOf(deps.alerts, deps.probes));
  if (incidents.open || incidents.resolved) deps.logger.info(incidents, "vendor incidents");
  let after: string | undefined;
  let total = 0;
  for (;;) {
    const ids = await listProbeableConnectionIds({ after, limit: 1000, thin }, deps.db);
    if (ids.length === 0) break;
    await deps.probes.enqueue(ids.map((id) => ({ data: { connectionId: id, reason: "schedule" as const } })));
    total += ids.length;
    after = ids[ids.length - 1];
  }
  deps.logger.info({ connections: total }, "probe sweep enqueued");
}
