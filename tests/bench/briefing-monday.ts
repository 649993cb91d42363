/**
 * The Monday run (issue 14): 5,000 small clinics (5 practitioners, 5 weeks of synced data each,
 * the compute helper's generator) briefed through the real worker queue path — the briefing sweep
 * enqueues one `briefing` job per clinic, two worker processes (tests/support/briefing-worker.ts)
 * compose, render and write each email to the outbox path, and the `deliver` queue moves it into
 * email_outbox (no SMTP). Bound: under 15 minutes on this machine.
 *
 * Prints total wall time, per-clinic job time p50/p95 (pg-boss started_on → completed_on), worker
 * CPU-seconds per 1,000 briefings (load-independent), and checks exactly one outbox row per clinic.
 *
 * Database: relink_bench_monday on DATABASE_URL's server (or an embedded one), created and dropped here.
 * Options: CLINICS (default 5000), WORKERS (default 2).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseEnv } from "../../config/env.ts";
import { composeServices } from "../../composition/services.ts";
import { openDb } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { briefingDueAt, latestDueBriefing } from "../../domain/briefings/schedule.ts";
import { sweepBriefings } from "../../domain/briefings/sweep.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createLogger } from "../../lib/logger.ts";
import { startBoss } from "../../workers/boss.ts";
import { seedBriefingData } from "../support/briefing-data.ts";
import { scratchDatabase, summary } from "./support.ts";

const CLINICS = Number(process.env.CLINICS ?? 5000);
const WORKERS = Number(process.env.WORKERS ?? 2);
const BOUND_MS = 15 * 60_000;
const ZONE = "Australia/Melbourne";
const WORKER = fileURLToPath(new URL("../support/briefing-worker.ts", import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);

const db = await scratchDatabase("relink_bench_monday");
const children: ChildProcess[] = [];
let ok = true;
try {
  await migrateDatabase(db.url);
  const handle = openDb(db.url, { max: 4, applicationName: "relink-bench-monday" });
  const masterKey = generateMasterKey();
  const env = parseEnv({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: db.url, MASTER_KEY: masterKey, SESSION_SECRET: randomBytes(32).toString("hex") });
  const logger = createLogger({ name: "bench", level: "silent", pretty: false });
  const boss = await startBoss({ databaseUrl: db.url, logger, role: "sender" });
  const services = composeServices({ env, logger, db: handle.db, boss, checkDatabase: async () => {} });

  // the briefed week: the last one due; the workers' clocks read its Monday 07:01 local
  const week = latestDueBriefing(ZONE, new Date()).weekStart;
  const due = briefingDueAt(ZONE, week);
  const offset = due.getTime() + 60_000 - Date.now();
  const seedStart = performance.now();
  const seeded = await seedBriefingData(handle.db, {
    clinics: CLINICS,
    practitioners: 5,
    weeks: 5,
    weekStart: week,
    timeZone: ZONE,
    appointmentsPerPractitionerPerWeek: 25,
    now: new Date(due.getTime() - 30 * 60_000),
    seed: 14,
  });
  await handle.sql`update clinics set created_at = ${new Date(due.getTime() - 60 * 86_400_000).toISOString()}::timestamptz`;
  await handle.sql`analyze`;
  say(
    `seeded ${CLINICS} clinics (${seeded.counts.appointments} appointments, ${seeded.counts.invoices} invoices) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; week of ${week}, due ${due.toISOString()}`,
  );

  const cpu: Promise<{ cpuMs: number; briefings: number }>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, DATABASE_URL: db.url, MASTER_KEY: masterKey, CLOCK_OFFSET_MS: String(offset) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    ready.push(new Promise((resolve) => lines.on("line", (l) => l.includes('"ready"') && resolve())));
    cpu.push(new Promise((resolve) => lines.on("line", (l) => l.includes('"cpuMs"') && resolve(JSON.parse(l)))));
  }
  await Promise.all(ready);

  const t0 = performance.now();
  const { enqueued } = await sweepBriefings({ db: handle.db, queue: services.queues.briefing, now: new Date(Date.now() + offset) });
  const sweepMs = performance.now() - t0;
  let last = "";
  for (;;) {
    const [row] = await handle.sql<{ sent: number; outboxed: number }[]>`
      select (select count(*)::int from briefings where state = 'sent') as sent,
             (select count(*)::int from email_outbox o join alert_notifications n on n.id = o.notification_id where n.event = 'briefing') as outboxed`;
    const line = `  ${row!.sent} sent, ${row!.outboxed} in the outbox after ${((performance.now() - t0) / 1000).toFixed(0)} s`;
    if (line !== last && Math.round(performance.now() - t0) % 10_000 < 1000) say(line);
    last = line;
    if (row!.outboxed >= CLINICS) break;
    // why: a failing briefing retries for minutes; say why at once instead of waiting out the bound
    const [failed] = await handle.sql<{ output: unknown }[]>`select output from pgboss.job where name = 'briefing' and state in ('retry', 'failed') limit 1`;
    if (failed) throw new Error(`a briefing job failed: ${JSON.stringify(failed.output)}`);
    if (performance.now() - t0 > BOUND_MS + 60_000) throw new Error(`not done within the bound: ${line}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const totalMs = performance.now() - t0;
  for (const c of children) c.kill("SIGTERM");
  const reports = await Promise.all(cpu);
  const cpuMs = reports.reduce((s, r) => s + r.cpuMs, 0);
  const briefed = reports.reduce((s, r) => s + r.briefings, 0);

  const jobs = await handle.sql<{ ms: number }[]>`
    select extract(epoch from (completed_on - started_on)) * 1000 as ms from pgboss.job where name = 'briefing' and state = 'completed'`;
  const per = summary(jobs.map((j) => Number(j.ms)));
  const [check] = await handle.sql<{ clinics: number; rows: number; duplicates: number; states: string }[]>`
    select count(distinct n.clinic_id)::int as clinics, count(*)::int as rows,
      (select count(*)::int from (select clinic_id from alert_notifications where event = 'briefing' group by clinic_id having count(*) > 1) d) as duplicates,
      (select string_agg(state || ':' || n, ' ') from (select state, count(*) as n from briefings group by state) s) as states
    from email_outbox o join alert_notifications n on n.id = o.notification_id where n.event = 'briefing'`;
  const exact = check!.rows === CLINICS && check!.clinics === CLINICS && check!.duplicates === 0;
  ok = totalMs < BOUND_MS && exact;
  say(`sweep: ${enqueued} jobs enqueued in ${sweepMs.toFixed(0)} ms`);
  say(
    `total: ${(totalMs / 1000).toFixed(1)} s for ${CLINICS} briefings with ${WORKERS} workers (bound ${BOUND_MS / 60_000} min) ${totalMs < BOUND_MS ? "PASS" : "FAIL"}`,
  );
  say(`per clinic (job start → complete): p50 ${per.p50.toFixed(0)} ms, p95 ${per.p95.toFixed(0)} ms, max ${per.max.toFixed(0)} ms (n=${per.n})`);
  say(`worker CPU: ${(cpuMs / 1000).toFixed(1)} s in all = ${(cpuMs / 1000 / (CLINICS / 1000)).toFixed(2)} CPU-s per 1,000 briefings (${briefed} rendered)`);
  say(
    `outbox: ${check!.rows} rows for ${check!.clinics} clinics, ${check!.duplicates} clinics with more than one; briefings ${check!.states} ${exact ? "PASS" : "FAIL"}`,
  );
  await boss.stop({ graceful: false, timeout: 2000 });
  await handle.close();
} catch (err) {
  ok = false;
  say(`bench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await db.drop();
}
process.exit(ok ? 0 : 1);
