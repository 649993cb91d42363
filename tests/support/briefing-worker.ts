/**
 * A briefing worker process (docs/decisions/0040-briefing-delivery.md): the worker's briefing,
 * briefing-sweep and deliver queues on a worker pg-boss, through the composition root — what
 * workers/main.ts registers, without probes and syncs. Used by the two-worker exactly-once test
 * (tests/integration/briefing-workers.test.ts) and `npm run bench:briefing-monday`.
 *
 * Prints JSON lines on stdout: {"ready":true}, {"stalled":clinicId} (see STALL_CLINIC), and on
 * SIGTERM {"cpuMs":…,"briefings":n} before exiting.
 *
 * Env: DATABASE_URL, MASTER_KEY; CLOCK_OFFSET_MS shifts the worker's clock (so "now" is a Monday
 * morning somewhere); STALL_CLINIC makes the render of that clinic's briefing never return, after
 * the row is claimed inside the transaction — the moment the test kills the process;
 * SUPERVISE_SECONDS shortens how soon a killed worker's job is retried by another.
 */
import { randomBytes } from "node:crypto";
import { parseEnv } from "../../config/env.ts";
import { composeServices } from "../../composition/services.ts";
import { openDb } from "../../db/client.ts";
import { createLogger } from "../../lib/logger.ts";
import { startBoss } from "../../workers/boss.ts";
import { workBriefingQueues } from "../../workers/handlers/briefing.ts";
import { workDeliverQueues } from "../../workers/handlers/deliver.ts";
import { briefingDelivery } from "../../composition/services.ts";

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
});
const logger = createLogger({ name: "briefing-worker", level: "silent", pretty: false });
const handle = openDb(databaseUrl, { max: 12, applicationName: "relink-briefing-worker" });
const boss = await startBoss({ databaseUrl, logger, role: "worker", superviseSeconds: Number(process.env.SUPERVISE_SECONDS ?? 0) || undefined });
const services = composeServices({
  env,
  logger,
  db: handle.db,
  boss,
  async checkDatabase() {
    await handle.sql`select 1`;
  },
});
const write = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const offset = Number(process.env.CLOCK_OFFSET_MS ?? 0);
const stall = process.env.STALL_CLINIC;
const base = briefingDelivery(services);
let briefings = 0;
const delivery = {
  ...base,
  now: () => new Date(Date.now() + offset),
  render: async (...args: Parameters<typeof base.render>) => {
    briefings++;
    if (stall && args[0].clinicId === stall) {
      write({ stalled: stall });
      // why: block inside the open transaction (row claimed, nothing committed) until the test kills us
      const until = Date.now() + 600_000;
      while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
    return base.render(...args);
  },
};
await workDeliverQueues(boss, { ...services.delivery, logger });
await workBriefingQueues(boss, { delivery, db: handle.db, queue: services.queues.briefing, logger }, { schedule: false });
const cpu0 = process.cpuUsage();
write({ ready: true, pid: process.pid });
process.on("SIGTERM", () => {
  void (async () => {
    await boss.stop({ graceful: true, timeout: 10_000 });
    const cpu = process.cpuUsage(cpu0);
    write({ cpuMs: Math.round((cpu.user + cpu.system) / 1000), briefings });
    await handle.close();
    process.exit(0);
  })();
});
