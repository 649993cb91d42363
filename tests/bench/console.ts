/**
 * bench:console — issue 5's numbers. With 100,000 clinics seeded (tests/bench/console-seed.ts),
 * the clinics table answers any filter / sort / page / free-text combination with p95 < 100 ms
 * and the dashboard with p95 < 200 ms, measured over ≥ 200 requests per case against the running
 * web server (scripts/web.ts, the production build, NODE_ENV=production) on 127.0.0.1.
 *
 * What is timed: a full document request (GET /clinics?…, HTML streamed to the last byte), i.e.
 * what opening a shared link costs — root loader, the route's loader and server rendering. With
 * `--data` it times the single-fetch `.data` request a client-side navigation makes instead.
 * Requests go one at a time (latency, not throughput). Combinations are drawn from a fixed seed.
 *
 *   npm run bench:console [-- --clinics 100000] [-- --reseed] [-- --data] [-- --requests 200] [-- --database NAME]
 *
 * Beside each time it prints CPU ms per request of the PostgreSQL backends serving the web process
 * and of the web process itself (from /proc, when the database server runs on this machine): a
 * figure that does not grow when other work loads the machine, unlike the wall-clock times. Cases
 * marked "(revalidate)" time the single-fetch `.data` request that a page's auto-refresh makes.
 *
 * Database: DATABASE_URL's server gets a database `relink_bench_console`, seeded once and reused
 * while it holds the right number of clinics (migrations are applied every run, so new indexes
 * land); without DATABASE_URL an embedded PostgreSQL in .tmp/ is used. Exits 1 on FAIL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { freePort, ensureDatabase, startEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { hashPassword } from "../../domain/auth/passwords.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { ensureBuilt, ROOT } from "../../scripts/build.ts";
import { seedConsoleBench } from "./console-seed.ts";
import { CLINIC_SORTS } from "../../db/queries/clinics.ts";
import { summary } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    clinics: { type: "string", default: "100000" },
    requests: { type: "string", default: "200" },
    reseed: { type: "boolean", default: false },
    data: { type: "boolean", default: false },
    database: { type: "string", default: "relink_bench_console" },
    /** Only the cases whose name contains this text (a diagnosis run; the verdict needs every case). */
    case: { type: "string" },
  },
});
const N = Number(args.clinics);
const PER_CASE = Math.max(200, Number(args.requests));
const BOUND = { clinics: 100, dashboard: 200 } as const;
const CASE_TIME_LIMIT_MS = 180_000;
// why: a name of its own per worktree keeps parallel runs with different migrations apart
const DB_NAME = args.database;
const ADMIN = { email: "bench-admin@relink.test", password: `bench-${randomBytes(6).toString("hex")}` };

const say = (line: string) => process.stdout.write(`${line}\n`);

async function database(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const [exists] = await admin`select 1 from pg_database where datname = ${DB_NAME}`;
    if (!exists) await admin.unsafe(`create database ${DB_NAME}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${DB_NAME}`;
    return { url: u.toString(), stop: async () => {} };
  }
  const dir = path.resolve(ROOT, ".tmp", "bench-console-pg");
  const pg: EmbeddedHandle = await startEmbeddedPostgres({ dataDir: dir, port: await freePort() });
  await ensureDatabase(pg.url(), DB_NAME);
  return { url: pg.url(DB_NAME), stop: () => pg.stop() };
}

async function clinicCount(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from clinics`;
    return row?.n ?? 0;
  } finally {
    await sql.end();
  }
}

async function startWeb(databaseUrl: string): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["scripts/web.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      PUBLIC_URL: "https://relink.bench.example",
      LOG_LEVEL: "warn",
      LOG_PRETTY: "false",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      MASTER_KEY: generateMasterKey(),
      SESSION_SECRET: randomBytes(32).toString("hex"),
      DATA_DIR: path.resolve(ROOT, ".tmp", "bench-console-data"),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`web exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("web did not answer /healthz within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl, child };
}

async function signIn(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseUrl },
    body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password, redirectTo: "/clinics" }),
  });
  // why: production names the session cookie __Host-relink (app/session.server.ts)
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-relink=") || c.startsWith("__relink="));
  if (res.status !== 302 || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return cookie.split(";")[0]!;
}

/** A small deterministic PRNG, so every run draws the same combinations. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

// why: every sort the table offers, so a new one (e.g. last sync) is benched the day it lands
const SORTS = CLINIC_SORTS;
const STATES = ["healthy", "degraded", "action_required", "reconnect_pending", "pending_disconnect", "setup_pending", "paused"] as const;
const FAILURES = [
  "auth_rejected",
  "wrong_region",
  "permission_denied",
  "no_patients_visible",
  "rate_limited",
  "vendor_unavailable",
  "network",
  "key_missing",
  "key_malformed",
  "integration_paused",
] as const;
const REGIONS = ["au1", "au2", "au3", "uk1", "ca1", "eu1", "us1", "au", "eu", "us"] as const;
const TEXT = [
  "physio",
  "Harbourside",
  "tauranga hand",
  "mitchell",
  "isla.davies",
  "spine & sport",
  "pain clinic",
  "@glasgow",
  "zzzz-none",
  "Coastal Podiatry",
  "sarah",
  "rehab",
] as const;

type Params = Record<string, string>;
interface Case {
  name: string;
  bound: number;
  path: string;
  draw: (r: ReturnType<typeof prng>) => Params;
  /** Time the `.data` request (what useRevalidator's auto-refresh fetches) whatever --data says. */
  revalidate?: boolean;
}

const sortDir = (r: ReturnType<typeof prng>): Params => ({ sort: r.pick(SORTS), dir: r.pick(["asc", "desc"]) });
const CASES: Case[] = [
  { name: "clinics: sorts, first pages", bound: BOUND.clinics, path: "/clinics", draw: (r) => ({ ...sortDir(r), page: String(1 + Math.floor(r.next() * 3)) }) },
  {
    name: "clinics: one filter + sort",
    bound: BOUND.clinics,
    path: "/clinics",
    draw: (r) => {
      const f = r.pick([
        { state: r.pick(STATES) },
        { failure: r.pick(FAILURES) },
        { vendor: r.pick(["cliniko", "nookal"]) },
        { region: r.pick(REGIONS) },
        { sync: "failing" },
      ] as Params[]);
      return { ...f, ...sortDir(r) };
    },
  },
  { name: "clinics: free text + sort", bound: BOUND.clinics, path: "/clinics", draw: (r) => ({ q: r.pick(TEXT), ...sortDir(r) }) },
  {
    name: "clinics: deep pages",
    bound: BOUND.clinics,
    path: "/clinics",
    draw: (r) => ({ ...sortDir(r), page: String(r.pick([10, 50, 200, 600, 1000, 1900, 1940])) }),
  },
  {
    name: "clinics: combined filters + text + page",
    bound: BOUND.clinics,
    path: "/clinics",
    draw: (r) => {
      const p: Params = { ...sortDir(r) };
      if (r.next() < 0.6) p.state = r.pick(["action_required", "degraded", "reconnect_pending", "healthy"]);
      if (r.next() < 0.5) p.vendor = r.pick(["cliniko", "nookal"]);
      if (r.next() < 0.4) p.failure = r.pick(["auth_rejected", "permission_denied", "no_patients_visible"]);
      if (r.next() < 0.4) p.region = r.pick(REGIONS);
      if (r.next() < 0.4) p.q = r.pick(TEXT);
      p.page = String(r.pick([1, 1, 1, 2, 5, 20]));
      return p;
    },
  },
  {
    name: "clinics: broken now / failing since",
    bound: BOUND.clinics,
    path: "/clinics",
    draw: (r) => {
      const p: Params = r.next() < 0.4 ? { broken: "now" } : { since: r.pick(["today", "yesterday", "week"]) };
      if (r.next() < 0.5) Object.assign(p, sortDir(r));
      if (r.next() < 0.3) p.vendor = r.pick(["cliniko", "nookal"]);
      if (r.next() < 0.2) p.region = r.pick(REGIONS);
      // why: 999 is past the end of every broken view: the clamp to the last page is timed too
      p.page = String(r.pick([1, 1, 1, 2, 5, 20, 999]));
      return p;
    },
  },
  {
    name: "clinics (revalidate): default + broken now",
    bound: BOUND.clinics,
    path: "/clinics",
    revalidate: true,
    draw: (r) => r.pick([{}, { broken: "now" }, { broken: "now", sort: "failingSince", dir: "desc" }, { since: "today" }] as Params[]),
  },
  { name: "dashboard", bound: BOUND.dashboard, path: "/dashboard", draw: () => ({}) },
  { name: "dashboard (revalidate)", bound: BOUND.dashboard, path: "/dashboard", revalidate: true, draw: () => ({}) },
];

/** CPU seconds (user + system) of one process from /proc; 0 when it is gone or not visible. */
function cpuOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU of the web process and of the PostgreSQL backends connected to the bench database. */
async function cpuNow(monitor: postgres.Sql, webPid: number | undefined): Promise<{ db: number; web: number }> {
  const rows = await monitor<
    { pid: number }[]
  >`select pid from pg_stat_activity where datname = ${DB_NAME} and backend_type = 'client backend' and pid <> pg_backend_pid()`;
  return { db: rows.reduce((sum, r) => sum + cpuOf(r.pid), 0), web: webPid ? cpuOf(webPid) : 0 };
}

async function timeOne(url: string, cookie: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { Cookie: cookie, Accept: "text/html" }, redirect: "manual" });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status };
}

async function main() {
  const db = await database();
  let web: ChildProcess | undefined;
  let failed = false;
  try {
    await migrateDatabase(db.url);
    const have = await clinicCount(db.url);
    if (args.reseed || have !== N) {
      say(`seeding ${N.toLocaleString("en")} clinics (had ${have.toLocaleString("en")})…`);
      await seedConsoleBench(db.url, N, (l) => say(`  ${l}`));
    } else {
      say(`reusing ${have.toLocaleString("en")} seeded clinics in ${DB_NAME} (--reseed to start over)`);
      // why: indexes a migration just added (the expression index especially) need statistics, as autovacuum would give them
      const maint = postgres(db.url, { max: 1, onnotice: () => {} });
      await maint.unsafe("vacuum analyze");
      await maint.end();
    }
    // the bench admin, with this run's password even when the user survives from an earlier run
    const admin = postgres(db.url, { max: 1, onnotice: () => {} });
    await admin`insert into users (email, name, role, password_hash) values (${ADMIN.email}, 'Bench Admin', 'admin', ${await hashPassword(ADMIN.password)})
      on conflict (email) do update set password_hash = excluded.password_hash, role = 'admin', disabled_at = null`;
    await admin.end();

    if (!ensureBuilt()) throw new Error("the Remix build failed");
    const started = await startWeb(db.url);
    web = started.child;
    const cookie = await signIn(started.baseUrl);
    const mode = args.data ? ".data (client navigation)" : "HTML document (full page load)";
    say(`\nbench:console — ${N.toLocaleString("en")} clinics, ${PER_CASE} requests per case, one at a time, timing the ${mode}\n`);

    // why: the first requests pay for JIT and cold caches; a short warm-up keeps them out of the figures
    for (let i = 0; i < 20; i++) await timeOne(`${started.baseUrl}/clinics?page=${1 + i}`, cookie);

    const monitor = postgres(db.url, { max: 1, onnotice: () => {} });
    const load = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    say(`load average at start: ${load()}`);
    const rng = prng(20_260_523);
    const slowest: { ms: number; url: string }[] = [];
    const all: number[] = [];
    say(
      `${"case".padEnd(44)} ${"n".padStart(4)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"max".padStart(7)}  ${"db cpu".padStart(7)} ${"web cpu".padStart(7)}  bound`,
    );
    for (const c of CASES) {
      if (args.case && !c.name.includes(args.case)) {
        // why: the skipped case's draws are consumed, so a diagnosis run times the very URLs a full run does
        for (let i = 0; i < PER_CASE; i++) c.draw(rng);
        continue;
      }
      const times: number[] = [];
      const caseSlowest: { ms: number; url: string }[] = [];
      const caseStart = performance.now();
      const cpu0 = await cpuNow(monitor, web.pid);
      for (let i = 0; i < PER_CASE && performance.now() - caseStart < CASE_TIME_LIMIT_MS; i++) {
        const qs = new URLSearchParams(c.draw(rng)).toString();
        const route = args.data || c.revalidate ? `${c.path}.data` : c.path;
        const url = `${started.baseUrl}${route}${qs ? `?${qs}` : ""}`;
        const { ms, status } = await timeOne(url, cookie);
        if (status !== 200) throw new Error(`${url} answered ${status}`);
        times.push(ms);
        slowest.push({ ms, url: `${route}${qs ? `?${qs}` : ""}` });
        caseSlowest.push(slowest.at(-1)!);
      }
      const cpu1 = await cpuNow(monitor, web.pid);
      if (c.path === "/clinics") all.push(...times);
      const s = summary(times);
      // why: CPU ms per request, not wall time: what the case costs the database and the web process whatever else runs
      const dbCpu = ((cpu1.db - cpu0.db) * 1000) / Math.max(1, times.length);
      const webCpu = ((cpu1.web - cpu0.web) * 1000) / Math.max(1, times.length);
      const pass = s.p95 < c.bound && s.n >= 200;
      failed ||= !pass;
      say(
        `${c.name.padEnd(44)} ${String(s.n).padStart(4)} ${s.p50.toFixed(1).padStart(7)} ${s.p95.toFixed(1).padStart(7)} ${s.max.toFixed(1).padStart(7)}  ${dbCpu.toFixed(1).padStart(7)} ${webCpu.toFixed(1).padStart(7)}  p95 < ${c.bound} ms ${pass ? "PASS" : "FAIL"}  (load ${load()})`,
      );
      // why: a failing p95 is the case's slowest twentieth; naming them tells which combination to fix
      if (!pass || args.case)
        for (const r of caseSlowest.sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(times.length / 20)))
          say(`      ${r.ms.toFixed(1).padStart(7)} ms  ${decodeURIComponent(r.url)}`);
    }
    const s = summary(all);
    say(
      `${"clinics: all combinations".padEnd(44)} ${String(s.n).padStart(4)} ${s.p50.toFixed(1).padStart(7)} ${s.p95.toFixed(1).padStart(7)} ${s.max.toFixed(1).padStart(7)}  p95 < ${BOUND.clinics} ms ${s.p95 < BOUND.clinics ? "PASS" : "FAIL"}`,
    );
    say("\nslowest single requests:");
    for (const r of slowest.sort((a, b) => b.ms - a.ms).slice(0, 8)) say(`  ${r.ms.toFixed(1).padStart(7)} ms  ${decodeURIComponent(r.url)}`);
    say(`\nload average at end: ${load()}`);
    await monitor.end();
    say(`\n${failed ? "FAIL" : "PASS"}`);
  } finally {
    if (web && web.exitCode === null) {
      web.kill("SIGTERM");
      await new Promise((r) => web!.once("exit", r));
    }
    await db.stop();
  }
  if (failed) process.exitCode = 1;
}

await main();
fs.rmSync(path.resolve(ROOT, ".tmp", "bench-console-data"), { recursive: true, force: true });
