/**
 * bench:budget — the shared rate budget at the limit (docs/decisions/0034-shared-rate-budget.md).
 * Cliniko's 200 requests per minute is scaled in time to 200 per 6 s on both sides (as
 * bench:vendors scales it), so the run takes about half a minute. Two worker processes
 * (tests/support/budget-pager.ts) page the same account's appointments through the real vendor
 * client on the sync lane, sharing the budget through Postgres; this process meanwhile probes the
 * same Cliniko user (probe lane) and asks for a reconnect verdict (verifyCandidateKey, interactive).
 * Prints, against bounds:
 *   - duration vs pages ÷ allowed rate (the sync lane's share, (1 − reserve)·limit): efficiency ≥ 0.9
 *   - 429s after the first window (bound 0), and the most requests the simulator admitted in any window
 *   - Postgres round trips per 100 vendor requests (budget leases, pauses, pause-cache reads)
 *   - probe and verdict latency during the run vs their usual times (before it)
 * Uses DATABASE_URL's server (a scratch database) or embedded PostgreSQL; the simulator runs in its own process.
 */
import { migrateDatabase } from "../../db/migrate.ts";
import { openDb } from "../../db/client.ts";
import { createPostgresBudgetStore } from "../../domain/connections/vendor-budget-store.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { verifyCandidateKey } from "../../domain/health/verify-key.ts";
import { createSharedBudget, laneCaps } from "../../domain/vendors/shared-budget.ts";
import { controlClient, simulatorVendorSettings } from "../../simulator/control-client.ts";
import { maxInAnyWindow, startPager } from "../support/budget-processes.ts";
import { scratchDatabase, startChildSimulator, summary } from "./support.ts";

const LIMIT = 200;
const WINDOW_MS = 6000;
const RESERVE = 0.2;
const PROCESSES = 2;
/** Pages per process: together about five windows of the sync share. */
const TARGET_PAGES_PER_PROCESS = 400;

const say = (line: string) => process.stdout.write(`${line}\n`);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await fn();
  return { ms: performance.now() - s, value };
}

const { url: simUrl, child } = await startChildSimulator();
const db = await scratchDatabase("relink_bench_budget");
let ok = true;
try {
  await migrateDatabase(db.url);
  const handle = openDb(db.url, { max: 4, applicationName: "relink-bench-budget" });
  const control = controlClient(simUrl);
  const settings = simulatorVendorSettings(simUrl, { appName: "Relink bench", contactEmail: "bench@relink.example", timeoutMs: 10_000 });
  const account = await control.createClinikoAccount({ shard: "au4", patients: 4000, faults: { rateLimit: LIMIT, rateWindowMs: WINDOW_MS } });
  const key = account.keys[0]!.key;
  const first = await fetch(`${simUrl}/cliniko/au4/v1/individual_appointments?per_page=100`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`,
      Accept: "application/json",
      "User-Agent": "Relink bench (bench@relink.example)",
    },
  });
  const total = ((await first.json()) as { total_entries: number }).total_entries;
  const pagesPerPass = Math.ceil(total / 100);

  const budget = createSharedBudget({
    store: createPostgresBudgetStore({ db: handle.db }),
    limits: { cliniko: { limit: LIMIT } },
    reserve: RESERVE,
    windowMs: WINDOW_MS,
  });
  const interactive = createVendorAccess(settings, { rateLimiter: budget });
  const probes = createVendorAccess(settings, { rateLimiter: budget, lane: "probe" });
  const target = { vendor: "cliniko" as const, key, region: "au4", apiVersion: "v1" };
  const probe = () => timed(() => probes.verify(target, { includeLocations: false }));
  const reconnect = () => timed(() => verifyCandidateKey({ vendor: "cliniko", rawKey: key }, interactive));

  // usual times: the same calls with no sync running (the first of each warms connections, not counted)
  await probe();
  await reconnect();
  const usual = { probe: [] as number[], verdict: [] as number[] };
  for (let i = 0; i < 5; i++) {
    usual.probe.push((await probe()).ms);
    usual.verdict.push((await reconnect()).ms);
  }
  await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
  await control.resetRateLimits();

  const startAt = Date.now() + 2000;
  // why: the account has fewer pages than a run needs; a process pages it again from the start, as a resync would
  const maxRequests = TARGET_PAGES_PER_PROCESS;
  const pagers = Array.from({ length: PROCESSES }, () =>
    startPager({
      databaseUrl: db.url,
      simulatorUrl: simUrl,
      key,
      limit: LIMIT,
      windowMs: WINDOW_MS,
      reserve: RESERVE,
      lane: "sync",
      startAt,
      maxRequests,
      stopAt: startAt + 120_000,
    }),
  );
  await Promise.all(pagers.map((p) => p.ready));
  let running = true;
  const reports = Promise.all(pagers.map((p) => p.report)).finally(() => (running = false));
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const during = { probe: [] as number[], verdict: [] as number[], failed: 0 };
  while (running) {
    // why: one probe and one verdict every 2 s is already far more than one clinic sees; both stay within their shares
    await new Promise((r) => setTimeout(r, 2000));
    if (!running) break;
    const p = await probe();
    const v = await reconnect();
    during.probe.push(p.ms);
    during.verdict.push(v.ms);
    if (!v.value.ok) during.failed++;
  }
  const done = await reports;
  const finishedAt = Math.max(...done.map((r) => startAt + r.ms));
  const seconds = (finishedAt - startAt) / 1000;
  const requests = done.reduce((n, r) => n + r.requests.length, 0);
  const pages = done.reduce((n, r) => n + r.pages, 0);
  const roundTrips = done.reduce((n, r) => n + r.roundTrips, 0);
  const expired = done.reduce((n, r) => n + r.expiredTokens, 0);
  const caps = laneCaps(LIMIT, RESERVE);
  const syncRate = caps.sync / (WINDOW_MS / 1000);
  const bound = pages / syncRate;
  const efficiency = bound / seconds;
  const log = (await control.rateLog()).buckets.find((b) => b.bucket.startsWith(`cliniko:${account.id}:`)) ?? { admitted: [], limited: [] };
  const late429 = log.limited.filter((t) => t >= startAt + WINDOW_MS).length;
  const maxWindow = maxInAnyWindow(log.admitted, WINDOW_MS);

  const a = efficiency >= 0.9;
  say(
    `duration: ${PROCESSES} processes paged ${pages} appointment pages (the account has ${pagesPerPass}) (${requests} requests) in ${seconds.toFixed(1)} s; bound ${bound.toFixed(1)} s = pages ÷ sync share ` +
      `${caps.sync}/${WINDOW_MS / 1000} s (${LIMIT} per window less the ${RESERVE} reserve; 200/min scaled 10x in time) → efficiency ${efficiency.toFixed(3)}  [bound ≥ 0.9]  ${verdict(a)}`,
  );
  say(
    `  against the vendor's whole limit (${LIMIT}/${WINDOW_MS / 1000} s): ${((pages / (LIMIT / (WINDOW_MS / 1000)) / seconds) * 100).toFixed(1)}% of it; requests per page ${(requests / pages).toFixed(3)} (minimum 1)`,
  );
  const b = late429 === 0 && maxWindow <= LIMIT;
  say(
    `429s: ${log.limited.length} total, ${late429} after the first window  [bound 0]; most admitted in any ${WINDOW_MS / 1000} s (sliding, as the simulator logged): ${maxWindow}  [bound ≤ ${LIMIT}]  ${verdict(b)}`,
  );
  say(
    `postgres: ${roundTrips} budget round trips for ${requests} vendor requests = ${((roundTrips / requests) * 100).toFixed(1)} per 100 requests (sync lane, block leases); ${expired} leased tokens expired unused`,
  );
  const us = { probe: summary(usual.probe), verdict: summary(usual.verdict) };
  const du = { probe: summary(during.probe), verdict: summary(during.verdict) };
  // why: "within their usual time": a wait for budget would be at least one slot (200 ms here)
  const c =
    during.probe.length >= 3 &&
    during.failed === 0 &&
    budget.roomWaits.interactive === 0 &&
    du.probe.max <= Math.max(250, 3 * us.probe.max) &&
    du.verdict.max <= Math.max(250, 3 * us.verdict.max);
  const ms = (x: number) => x.toFixed(1);
  say(
    `probe of the same user (probe lane, 2 requests): usual p50 ${ms(us.probe.p50)} ms max ${ms(us.probe.max)} ms; during the sync p50 ${ms(du.probe.p50)} ms max ${ms(du.probe.max)} ms (${during.probe.length} probes)`,
  );
  say(
    `reconnect verdict (verifyCandidateKey, interactive lane): usual p50 ${ms(us.verdict.p50)} ms max ${ms(us.verdict.max)} ms; during the sync p50 ${ms(du.verdict.p50)} ms max ${ms(du.verdict.max)} ms, ${during.failed} not ok, ${budget.roomWaits.interactive} waits for budget  ${verdict(c)}`,
  );
  ok = a && b && c;
  await handle.close();
} finally {
  child.kill("SIGTERM");
  await db.drop();
}
say(`bench:budget ${ok ? "PASS" : "FAIL"}`);
process.exit(ok ? 0 : 1);
