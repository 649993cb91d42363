import type { Job } from "pg-boss";
import { masterKeyBase64, vendorSettings } from "../config/runtime.ts";
import { openDb } from "../db/client.ts";
import { keyringFromConfig } from "../domain/connections/key-storage.ts";
import { createVendorAccess } from "../domain/health/vendor-access.ts";
import { boot, failStartup, onShutdown, requireDatabaseUrl } from "../scripts/process.ts";
import { startBoss } from "./boss.ts";
import { QUEUES } from "./catalog.ts";
import { alertWorker, workAlertQueues } from "./handlers/alerts.ts";
import { startMaintenance } from "./handlers/maintenance.ts";
import { handleProbeBatch, handleProbeSweep, type ProbeDeps } from "./handlers/probe.ts";

const { env, logger } = boot("worker");
try {
  const databaseUrl = requireDatabaseUrl(env);
  const handle = openDb(databaseUrl, { max: 12, applicationName: "relink-worker" });
  const boss = await startBoss({ databaseUrl, logger, role: "worker" });
  // why: built once; alerts.work is what the probe path passes to applyAlertWork
  const alerts = alertWorker({ env, db: handle.db, boss, logger });
  const deps: ProbeDeps = {
    db: handle.db,
    boss,
    logger,
    vendors: createVendorAccess(vendorSettings(env)),
    keyring: keyringFromConfig(masterKeyBase64(env), env.MASTER_KEY_ID, env.MASTER_KEYS_PREVIOUS),
    alerts: alerts.work,
  };
  await workAlertQueues(boss, alerts.delivery);
  await boss.work(QUEUES.probe.name, QUEUES.probe.work, async (jobs: Job<object>[]) => {
    // why: the reports are for benches and logs; returning them would store them as job output
    await handleProbeBatch(jobs, deps);
  });
  await boss.work(QUEUES["probe-sweep"].name, QUEUES["probe-sweep"].work, () => handleProbeSweep(deps));
  // why: cron has minute granularity; the interval is a whole number of minutes by the env schema
  await boss.schedule(QUEUES["probe-sweep"].name, `*/${env.PROBE_INTERVAL_MINUTES} * * * *`);
  // why: a fresh start should not wait up to one interval before the first probes
  await boss.send(QUEUES["probe-sweep"].name, {});
  await startMaintenance(boss, { db: handle.db, logger });
  logger.info({ intervalMinutes: env.PROBE_INTERVAL_MINUTES }, "worker started");
  onShutdown(logger, async () => {
    await boss.stop({ graceful: true, timeout: 10_000 });
    alerts.close();
    await handle.close();
  });
} catch (err) {
  failStartup(logger, err);
}
