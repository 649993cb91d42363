/**
 * A sync worker process, on its own: runs ONE sync of one connection through the composition root
 * and reports on stdout as JSON lines — {"page":n,"resource":…} after every committed page, then
 * {"done":…,"maxRssKb":…,"cpuMs":…}. Used by `npm run bench:sync` (so the peak RSS measured is the
 * worker's alone) and by the kill -9 test (tests/integration/sync-worker.test.ts), which SIGKILLs it.
 *
 * Env: DATABASE_URL, SIM_URL, MASTER_KEY, CONNECTION_ID, JOB_ID; LIFT_RATE_LIMIT=1 gives the client a
 * limiter without a practical limit (the simulator's is lifted by the driver).
 */
import { randomBytes } from "node:crypto";
import { parseEnv } from "../../config/env.ts";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { composeServices, syncContext } from "../../composition/services.ts";
import { openDb } from "../../db/client.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { createRateLimiter } from "../../domain/vendors/rate-limiter.ts";
import { createLogger } from "../../lib/logger.ts";
import { startBoss } from "../../workers/boss.ts";

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const databaseUrl = need("DATABASE_URL");
const env = parseEnv({
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  DATABASE_URL: databaseUrl,
  MASTER_KEY: need("MASTER_KEY"),
  SESSION_SECRET: randomBytes(32).toString("hex"),
  ...simulatorVendorEnv(need("SIM_URL")),
});
const logger = createLogger({ name: "sync-worker", level: "silent", pretty: false });
const handle = openDb(databaseUrl, { max: 4, applicationName: "relink-sync-bench" });
const boss = await startBoss({ databaseUrl, logger, role: "sender" });
const services = composeServices({
  env,
  logger,
  db: handle.db,
  boss,
  async checkDatabase() {
    await handle.sql`select 1`;
  },
});
if (process.env.LIFT_RATE_LIMIT === "1") services.syncVendorDeps.rateLimiter = createRateLimiter({ limit: 1_000_000, windowMs: 60_000 });

const startRssKb = Math.round(process.memoryUsage.rss() / 1024);
const startHeapKb = Math.round(process.memoryUsage().heapUsed / 1024);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let peakRss = 0;
let peakHeap = 0;
const write = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const report = await syncConnection(
  {
    ...syncContext(services),
    onPage: ({ resource, pagesDone }) => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      write({ page: pagesDone, resource });
    },
  },
  { connectionId: need("CONNECTION_ID"), jobId: need("JOB_ID"), trigger: "schedule" },
);
const cpu = process.cpuUsage(cpu0);
write({
  done: report.outcome,
  pages: report.pages,
  recordsSeen: report.recordsSeen,
  recordsChanged: report.recordsChanged,
  ms: Math.round(performance.now() - t0),
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  // why: maxRSS is the kernel's high-water mark for this process (KiB), sampled pages miss short peaks
  maxRssKb: process.resourceUsage().maxRSS,
  sampledPeakRssKb: Math.round(peakRss / 1024),
  sampledPeakHeapKb: Math.round(peakHeap / 1024),
  startRssKb,
  startHeapKb,
});
await boss.stop({ graceful: false, timeout: 2000 });
await handle.close();
