import type { Job } from "pg-boss";
import { briefingDelivery, createServices, syncContext, webhookDelivery } from "../composition/services.ts";
import { metricsSettings } from "../config/runtime.ts";
import { boot, failStartup, onShutdown, requireDatabaseUrl, serveMetrics } from "../scripts/process.ts";
import { QUEUES } from "./catalog.ts";
import { startMaintenance } from "./handlers/maintenance.ts";
import { handleProbeBatch, handleProbeDeadBatch, handleProbeSweep, type ProbeDeps } from "./handlers/probe.ts";
import { handleBulkRun } from "./handlers/bulk.ts";
import { workBriefingQueues } from "./handlers/briefing.ts";
import { workDeliverQueues } from "./handlers/deliver.ts";
import { workWebhookQueues } from "./handlers/webhooks.ts";
import { handleSyncJobs, handleSyncSweep, type SyncDeps } from "./handlers/sync.ts";

const { env, logger } = boot("worker");
try {
  const databaseUrl = requireDatabaseUrl(env);
  // why: the same composition root as the web process: one set of queue doors and alert wiring
  const services = await createServices({ env, logger, databaseUrl, role: "worker" });
  const { boss } = services;
  const deps: ProbeDeps = {
    db: services.db,
    logger,
    // why: scheduled probes spend the probe lane, which never waits on Postgres (docs/decisions/0034)
    vendors: services.probeVendors,
    keyring: services.keyring,
    alerts: services.alerts,
    probes: services.queues.probe,
    metrics: services.metrics.recorder,
    intervalMinutes: env.PROBE_INTERVAL_MINUTES,
  };
  await workDeliverQueues(boss, { ...services.delivery, logger });
  await boss.work(QUEUES.probe.name, QUEUES.probe.work, (jobs: Job<object>[]) => handleProbeBatch(jobs, deps));
  await boss.work(QUEUES["probe-dead"].name, QUEUES["probe-dead"].work, (jobs: Job<object>[]) => handleProbeDeadBatch(jobs, deps));
  await boss.work(QUEUES["probe-sweep"].name, QUEUES["probe-sweep"].work, () => handleProbeSweep(deps));
  await boss.work(QUEUES["bulk-run"].name, QUEUES["bulk-run"].work, (jobs: Job<object>[]) => handleBulkRun(jobs, services));
  const sync: SyncDeps = { ctx: syncContext(services), logger, queue: services.queues.sync, intervalSeconds: env.SYNC_INTERVAL_MINUTES * 60 };
  await boss.work(QUEUES.sync.name, QUEUES.sync.work, (jobs: Job<object>[]) => handleSyncJobs(jobs, sync));
  await boss.work(QUEUES["sync-sweep"].name, QUEUES["sync-sweep"].work, () => handleSyncSweep(sync));
  // why: every minute, each sweep takes the connections whose phase is in that minute (domain/sync/schedule.ts);
  // an interval of 0 syncs only on demand, and drops a schedule an earlier start left
  if (env.SYNC_INTERVAL_MINUTES > 0) await boss.schedule(QUEUES["sync-sweep"].name, "* * * * *");
  else await boss.unschedule(QUEUES["sync-sweep"].name);
  // why: cron has minute granularity; the interval is a whole number of minutes by the env schema
  await boss.schedule(QUEUES["probe-sweep"].name, `*/${env.PROBE_INTERVAL_MINUTES} * * * *`);
  // why: a fresh start should not wait up to one interval before the first probes
  await services.queues.probeSweep.enqueue([{ data: {} }]);
  // why: Monday 07:00 in each clinic's zone, exactly once (docs/decisions/0040-briefing-delivery.md); the sweep runs every 5 minutes
  await workBriefingQueues(
    boss,
    { delivery: briefingDelivery(services), db: services.db, queue: services.queues.briefing, logger },
    { schedule: services.queues.briefingSweep },
  );
  await workWebhookQueues(boss, { ...webhookDelivery(services), logger }, services.queues.webhookDispatch);
  await startMaintenance(boss, { db: services.db, logger });
  const metricsServer = await serveMetrics(metricsSettings(env, "worker"), services, logger);
  logger.info({ intervalMinutes: env.PROBE_INTERVAL_MINUTES }, "worker started");
  onShutdown(logger, async () => {
    await metricsServer?.close();
    await services.close();
  });
} catch (err) {
  failStartup(logger, err);
}
