/**
 * bench:metrics — the /metrics scrape stays cheap on a big fleet (docs/decisions/0046-metrics.md).
 * Against 100,000 seeded clinics (tests/bench/console-seed.ts), a week of briefings for each, and
 * pg-boss queues holding 100,000 waiting probe jobs behind 500,000 retained completed ones, it
 * scrapes /metrics over HTTP `--scrapes` times (default 200, one at a time) from the real metrics
 * composition (composition/metrics.ts, process metrics on) and prints scrape p50/p95, the database
 * time of each scrape's fleet read (relink_metrics_fleet_read_seconds), and each statement alone.
 * PASS when scrape p95 < 1,000 ms.
 *
 *   npm run bench:metrics [-- --database NAME] [-- --clinics 100000] [-- --scrapes 200]
 *
 * Database: DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432), database
 * `relink_bench_metrics`, seeded once and reused while it holds the right number of clinics.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createMetrics } from "../../composition/metrics.ts";
import { openDb } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { connectionGroups, queueDepths, unfinishedBriefings } from "../../db/queries/metrics.ts";
import { startMetricsServer } from "../../lib/http/metrics.ts";
import { createLogger } from "../../lib/logger.ts";
import { startBoss } from "../../workers/boss.ts";
import { seedConsoleBench } from "./console-seed.ts";
import { summary } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    database: { type: "string", default: "relink_bench_metrics" },
    clinics: { type: "string", default: "100000" },
    scrapes: { type: "string", default: "200" },
  },
});
const N = Number(args.clinics);
const SCRAPES = Math.max(20, Number(args.scrapes));
const BOUND_MS = 1000;
const WAITING_JOBS = 100_000;
const COMPLETED_JOBS = 500_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function database(): Promise<string> {
  const server = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = ${args.database}`;
  if (!exists) await admin.unsafe(`create database ${args.database}`);
  await admin.end();
  const u = new URL(server);
  u.pathname = `/${args.database}`;
  return u.toString();
}

/** Seeds what is missing: the fleet, a week of briefings, and the pg-boss job table's backlog and history. */
async function prepare(url: string): Promise<void> {
  await migrateDatabase(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [clinicRow] = await sql<{ n: number }[]>`select count(*)::int as n from clinics`;
    if (clinicRow?.n !== N) await seedConsoleBench(url, N, say);
    const [briefingRow] = await sql<{ n: number }[]>`select count(*)::int as n from briefings`;
    if (!briefingRow?.n) {
      // last week's briefing for every active clinic: 97% sent, 3% still held
      await sql.unsafe(`
        insert into briefings (clinic_id, week_start, state, due_at, sent_at, report, held_reason, held_at)
        select id, date_trunc('week', now() - interval '7 days')::date, s.state, now() - interval '1 day',
          case when s.state = 'sent' then now() - interval '1 day' end, case when s.state = 'sent' then '{}'::jsonb end,
          case when s.state = 'held' then 'The key was rejected.' end, case when s.state = 'held' then now() - interval '1 day' end
        from clinics cross join lateral (select case when random() < 0.03 then 'held' else 'sent' end as state offset 0) s
        where archived_at is null`);
      say("seeded a week of briefings");
    }
  } finally {
    await sql.end();
  }
  const logger = createLogger({ name: "bench", level: "warn", pretty: false });
  // why: the worker's own start creates the pg-boss schema and every queue of the catalog
  const boss = await startBoss({ databaseUrl: url, logger, role: "sender" });
  await boss.stop({ graceful: false });
  const sql2 = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [jobRow] = await sql2<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'probe'`;
    if ((jobRow?.n ?? 0) < WAITING_JOBS + COMPLETED_JOBS) {
      await sql2.unsafe(`delete from pgboss.job where name = 'probe'`);
      await sql2.unsafe(`
        insert into pgboss.job (name, data, state, created_on, started_on, completed_on, keep_until)
        select 'probe', jsonb_build_object('connectionId', gen_random_uuid(), 'reason', 'schedule'), 'completed',
          now() - make_interval(secs => i), now() - make_interval(secs => i), now() - make_interval(secs => i), now() + interval '14 days'
        from generate_series(1, ${COMPLETED_JOBS}) i`);
      await sql2.unsafe(`
        insert into pgboss.job (name, data, state, created_on)
        select 'probe', jsonb_build_object('connectionId', gen_random_uuid(), 'reason', 'schedule'), 'created', now() - make_interval(secs => i % 600)
        from generate_series(1, ${WAITING_JOBS}) i`);
      await sql2.unsafe(`vacuum analyze pgboss.job`);
      say(`seeded pg-boss: ${WAITING_JOBS.toLocaleString("en")} waiting probe jobs, ${COMPLETED_JOBS.toLocaleString("en")} completed`);
    }
  } finally {
    await sql2.end();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const url = await database();
await prepare(url);
const handle = openDb(url, { max: 10, applicationName: "relink-bench-metrics" });
const logger = createLogger({ name: "bench", level: "warn", pretty: false });
const metrics = createMetrics({ db: handle.db, logger, role: "web", defaultMetrics: true });
// label sets as a busy worker has them: every vendor × outcome × failure code, and vendor statuses
for (const vendor of ["cliniko", "nookal"] as const) {
  for (const code of [null, "auth_rejected", "permission_denied", "network", "rate_limited", "vendor_unavailable"]) {
    metrics.recorder.probe({ vendor, outcome: code ? "failed" : "healthy", failureCode: code, seconds: 0.3 });
  }
  for (const status of [200, 401, 403, 404, 429, 500, 503, "network", "timeout"] as const) metrics.recorder.vendorRequest({ vendor, status, seconds: 0.1 });
}
const served = await startMetricsServer({ host: "127.0.0.1", port: 0, scrape: metrics.scrape, onError: (err) => logger.error({ err }) });

try {
  // warm-up: plans cached, pages in memory
  for (let i = 0; i < 5; i++) await (await fetch(served.url)).text();
  const scrapeMs: number[] = [];
  const dbMs: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now();
    const body = await (await fetch(served.url)).text();
    scrapeMs.push(performance.now() - t0);
    const m = /^relink_metrics_fleet_read_seconds\{[^}]*\} (\S+)$/m.exec(body);
    if (!m || !/^relink_metrics_fleet_read_ok\{[^}]*\} 1$/m.test(body)) throw new Error("the scrape did not read the fleet");
    dbMs.push(Number(m[1]) * 1000);
    bytes = body.length;
    series = body.split("\n").filter((l) => l && !l.startsWith("#")).length;
  }
  const statements: Record<string, number[]> = { "connections (state × failure × vendor, sync lag)": [], "pg-boss queues": [], "unfinished briefings": [] };
  for (let i = 0; i < 30; i++) {
    statements["connections (state × failure × vendor, sync lag)"]!.push(await timed(() => connectionGroups(handle.db)));
    statements["pg-boss queues"]!.push(await timed(() => queueDepths(handle.db)));
    statements["unfinished briefings"]!.push(await timed(() => unfinishedBriefings(handle.db)));
  }
  const s = summary(scrapeMs);
  const d = summary(dbMs);
  const f = (x: number) => x.toFixed(1);
  say(`\n/metrics on ${N.toLocaleString("en")} clinics, ${WAITING_JOBS.toLocaleString("en")} waiting + ${COMPLETED_JOBS.toLocaleString("en")} retained jobs`);
  say(`  ${series} samples, ${(bytes / 1024).toFixed(1)} KiB per scrape, ${s.n} scrapes one at a time`);
  say(`  scrape     p50 ${f(s.p50)} ms   p95 ${f(s.p95)} ms   max ${f(s.max)} ms`);
  say(`  DB (fleet) p50 ${f(d.p50)} ms   p95 ${f(d.p95)} ms   (three statements run concurrently)`);
  for (const [name, ms] of Object.entries(statements)) {
    const x = summary(ms);
    say(`    ${name.padEnd(52)} p50 ${f(x.p50)} ms   p95 ${f(x.p95)} ms`);
  }
  const pass = s.p95 < BOUND_MS;
  say(`\n${pass ? "PASS" : "FAIL"}: scrape p95 ${f(s.p95)} ms (bound ${BOUND_MS} ms)`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await served.close();
  await handle.close();
}
