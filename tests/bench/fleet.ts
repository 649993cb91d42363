/**
 * bench:fleet — issue 4's numbers. A fleet of healthy Cliniko connections (default 10,000) against
 * the simulator in its own process with 20 ms latency on every request:
 *   1. two full sweeps (the first after an import, which learns each key's account, then the
 *      steady state): wall time (bound 30 s each), probes/s, p50/p95 per-connection probe latency,
 *      rows written per probe, timeline rows written (bound 0), CPU per 1,000 probes;
 *   2. 5% of the keys archived: time until every one is action_required with exactly one open
 *      alert, and zero healthy connections flagged.
 * Uses DATABASE_URL (a fresh database beside it) or embedded PostgreSQL. Loopback only; bounded.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "pg-boss";
import postgres from "postgres";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { openDb } from "../../db/client.ts";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { clinics, connections } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { createPostgresBudgetStore } from "../../domain/connections/vendor-budget-store.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { createSharedBudget } from "../../domain/vendors/shared-budget.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createLogger } from "../../lib/logger.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { createQueues } from "../../workers/queues.ts";
import { handleProbeBatch, handleProbeSweep, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { benchKey } from "./fleet-simulator.ts";
import { summary } from "./support.ts";
import { healthyClinikoConnection } from "../support/fleet.ts";

const N = Number(process.env.FLEET_SIZE ?? 10_000);
const ARCHIVE_FRACTION = 0.05;
const LATENCY_MS = 20;
const SWEEP_BOUND_S = 30;
const PROBE_INTERVAL_S = 5 * 60;

const log = createLogger({ name: "bench", level: "warn", pretty: false });
const say = (line: string) => process.stdout.write(`${line}\n`);

async function database(): Promise<{ url: string; stop: () => Promise<void> }> {
  // why: a per-run name, so two benches on one shared server (CI, another branch) never drop each other's database
  const name = `relink_bench_fleet_${process.pid}`;
  if (process.env.DATABASE_URL) {
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    const drop = async () => {
      const done = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      await done.unsafe(`drop database if exists ${name} with (force)`);
      await done.end();
    };
    return { url: u.toString(), stop: drop };
  }
  const dir = path.resolve(".tmp", "bench-fleet-pg");
  await fs.rm(dir, { recursive: true, force: true });
  const pg: EmbeddedHandle = await startEmbeddedPostgres({ dataDir: dir, port: 55_432 });
  await ensureDatabase(pg.url(), name);
  return { url: pg.url(name), stop: () => pg.stop() };
}

async function startFleetSimulator(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ["tests/bench/fleet-simulator.ts", String(N), String(LATENCY_MS)], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`simulator exited ${code}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

const CLK_TCK = 100;

/** utime + stime of one process from /proc/<pid>/stat, in seconds; null when not visible. */
async function procCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
    // why: the command name (field 2) may contain spaces; the fields after its ")" are fixed
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU seconds so far of this process (the worker's probe path runs here) and of every postgres
 * backend serving the bench database. Backends are pooled for the whole run, so before/after
 * differences are the sweep's work.
 */
async function cpuSnapshot(sql: postgres.Sql): Promise<{ worker: number; postgres: number | null }> {
  const u = process.cpuUsage();
  const pids = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  let total = 0;
  for (const { pid } of pids) {
    const s = await procCpuSeconds(pid);
    if (s === null) return { worker: (u.user + u.system) / 1e6, postgres: null };
    total += s;
  }
  return { worker: (u.user + u.system) / 1e6, postgres: total };
}

async function tableWrites(sql: postgres.Sql): Promise<number> {
  // why: other backends flush their pg_stat counters at most once a second when idle
  await sleep(1500);
  const [row] = await sql<
    { n: string }[]
  >`select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text as n from pg_stat_user_tables where schemaname = 'public'`;
  return Number(row!.n);
}

const started = Date.now();
const db = await database();
await migrateDatabase(db.url);
const sim = await startFleetSimulator();
const handle = openDb(db.url, { max: 20 });
const masterKey = generateMasterKey();
const keyring = keyringFromConfig(masterKey, "k1");
let ok = true;

try {
  // ---- a healthy fleet, as it looks after months of probing
  const lastSuccess = new Date(Date.now() - 3600_000);
  for (let from = 0; from < N; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, N - from) }, (_, j) => from + j);
    const clinicRows = await handle.db
      .insert(clinics)
      .values(batch.map((i) => ({ name: `Bench Clinic ${i}`, timeZone: "Australia/Sydney", country: "AU" })))
      .returning({ id: clinics.id });
    await handle.db
      .insert(connections)
      .values(batch.map((i, j) => healthyClinikoConnection(keyring, { clinicId: clinicRows[j]!.id, ...benchKey(i), since: lastSuccess, patients: 40 })));
  }
  await handle.sql`analyze`;
  say(`fleet: ${N} healthy Cliniko connections seeded in ${((Date.now() - started) / 1000).toFixed(1)} s; vendor latency ${LATENCY_MS} ms per request`);

  const urls = simulatorVendorEnv(sim.url);
  const boss = await startBoss({ databaseUrl: db.url, logger: log, role: "worker" });
  const latencies: number[] = [];
  const queues = createQueues(boss);
  const deps: ProbeDeps = {
    db: handle.db,
    logger: log,
    probes: queues.probe,
    onReport: (r) => latencies.push(r.ms),
    keyring,
    // why: as the worker builds it (composition/services.ts): the shared budget's probe lane
    vendors: createVendorAccess(
      {
        clinikoBaseUrlTemplate: urls.CLINIKO_API_URL!,
        nookalV3BaseUrls: { au: urls.NOOKAL_API_URL_AU! },
        nookalV2BaseUrl: urls.NOOKAL_V2_API_URL!,
        appName: "Relink bench",
        contactEmail: "bench@relink.example",
        timeoutMs: 10_000,
      },
      {
        rateLimiter: createSharedBudget({ store: createPostgresBudgetStore({ db: handle.db }), limits: { cliniko: { limit: 200 } }, reserve: 0.2 }),
        lane: "probe",
      },
    ),
    alerts: { queue: queues.deliver, recipients: { emailClinicAdmin: true, supportEmail: "support@relink.example", consoleUrl: null } },
  };
  await boss.work(QUEUES.probe.name, QUEUES.probe.work, (jobs: Job<object>[]) => handleProbeBatch(jobs, deps));

  const probedSince = async (t: Date) =>
    Number((await handle.sql<{ n: string }[]>`select count(*)::text as n from connections where last_probe_at >= ${t.toISOString()}`)[0]!.n);
  const eventsCount = async () => Number((await handle.sql<{ n: string }[]>`select count(*)::text as n from connection_events`)[0]!.n);

  // ---- 1. full sweeps of a healthy fleet: the first after an import learns each key's account
  // (one more request, /businesses, and a fingerprint); the second is the steady state
  const sweep = async (label: string, requests: string) => {
    latencies.length = 0;
    const eventsBefore = await eventsCount();
    const writesBefore = await tableWrites(handle.sql);
    const cpu0 = await cpuSnapshot(handle.sql);
    const t0 = new Date();
    await handleProbeSweep(deps);
    const deadline = Date.now() + 120_000;
    while ((await probedSince(t0)) < N && Date.now() < deadline) await sleep(200);
    const sweepS = (Date.now() - t0.getTime()) / 1000;
    const cpu1 = await cpuSnapshot(handle.sql);
    const probed = await probedSince(t0);
    const writes = (await tableWrites(handle.sql)) - writesBefore;
    const timelineRows = (await eventsCount()) - eventsBefore;
    const sweepOk = probed === N && sweepS < SWEEP_BOUND_S && timelineRows === 0;
    ok &&= sweepOk;
    say(`${label}: ${probed}/${N} probed in ${sweepS.toFixed(1)} s (bound ${SWEEP_BOUND_S} s) = ${(probed / sweepS).toFixed(0)} probes/s`);
    say(
      `${label}: per-connection probe latency p50 ${summary(latencies).p50} ms, p95 ${summary(latencies).p95} ms (each probe = ${requests}, each + ${LATENCY_MS} ms)`,
    );
    say(
      `${label}: ${(writes / Math.max(1, probed)).toFixed(2)} table rows written per probe (public schema, pg-boss excluded); timeline rows written: ${timelineRows} (bound 0)`,
    );
    const per1000 = (s: number) => ((s / Math.max(1, probed)) * 1000).toFixed(2);
    const pgCpu = cpu0.postgres !== null && cpu1.postgres !== null ? cpu1.postgres - cpu0.postgres : null;
    say(
      `${label}: CPU per 1,000 probes: worker ${per1000(cpu1.worker - cpu0.worker)} s, postgres ${pgCpu === null ? "n/a (backends not visible in /proc)" : `${per1000(pgCpu)} s`} ` +
        `(user+system CPU time, independent of machine load; the simulator is excluded)`,
    );
    say(`${label}: ${sweepOk ? "PASS" : "FAIL"}`);
  };
  await sweep("first sweep", "3 vendor requests, /user, /businesses to learn the account, and the /patients count");
  await sweep("steady sweep", "2 vendor requests, /user and the /patients count");

  // ---- 2. 5% of keys archived mid-run
  const archived = Array.from({ length: Math.round(N * ARCHIVE_FRACTION) }, (_, j) => Math.floor(j / ARCHIVE_FRACTION));
  for (const i of archived) {
    const res = await fetch(`${sim.url}/_control/cliniko/keys/archive`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: benchKey(i).key }),
    });
    if (!res.ok) throw new Error(`archive failed: ${res.status} ${await res.text()}`);
  }
  const tArchive = Date.now();
  latencies.length = 0;
  // why: the next scheduled sweep; in production it starts within one probe interval of the archival
  await handleProbeSweep(deps);
  const flagged = async () =>
    (
      await handle.sql<{ state: string; n: string; alerts: string }[]>`
        select c.state, count(*)::text as n,
               (select count(*) from alerts a where a.status <> 'resolved')::text as alerts
        from connections c group by c.state`
    ).reduce<Record<string, number> & { alerts: number }>((acc, r) => ({ ...acc, [r.state]: Number(r.n), alerts: Number(r.alerts) }), { alerts: 0 });
  let counts = await flagged();
  const deadline2 = Date.now() + (PROBE_INTERVAL_S + 60) * 1000;
  while ((counts.action_required ?? 0) < archived.length || counts.alerts < archived.length) {
    if (Date.now() > deadline2) break;
    await sleep(500);
    counts = await flagged();
  }
  const flagS = (Date.now() - tArchive) / 1000;
  const archivedNames = archived.map((i) => `Bench Clinic ${i}`);
  const wrongly = Number(
    (
      await handle.sql<{ n: string }[]>`
        select count(*)::text as n from connections c join clinics k on k.id = c.clinic_id
        where c.state <> 'healthy' and k.name <> all(${archivedNames})`
    )[0]!.n,
  );
  const actionKeysOk = counts.action_required === archived.length;
  const flagOk = actionKeysOk && counts.alerts === archived.length && flagS <= 60 && wrongly === 0;
  ok &&= flagOk;
  say(
    `archival: ${counts.action_required ?? 0}/${archived.length} archived keys action_required with ${counts.alerts} open alerts, ` +
      `${flagS.toFixed(1)} s after the archival when the next sweep starts at once (bound: interval ${PROBE_INTERVAL_S} s + 60 s, so ≤ 60 s after the sweep)`,
  );
  say(`archival: healthy connections flagged: ${wrongly} (bound 0); still healthy: ${counts.healthy ?? 0}/${N - archived.length}`);
  say(`archival: ${flagOk ? "PASS" : "FAIL"}`);
  await boss.stop({ graceful: true, timeout: 10_000 });
} finally {
  sim.stop();
  await handle.close();
  await db.stop();
}
say(`bench:fleet ${ok ? "PASS" : "FAIL"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(ok ? 0 : 1);
