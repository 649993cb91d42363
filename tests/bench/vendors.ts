/**
 * Vendor benchmark (npm run bench:vendors). Prints figures and PASS/FAIL against the bounds in
 * issue 3:
 *  (a) simulator: Cliniko list requests/s on loopback (5 s, 32 concurrent keep-alive connections)
 *  (b) client: time to page 20,000 patients with the rate limit lifted (< 5 s)
 *  (c) client at the Cliniko budget: request rate and 429s after the first window (must be 0).
 *      200/min is scaled to 20 per 6 s on both sides so the run takes seconds, not minutes.
 * The simulator runs in a child process so the load generator does not share its event loop.
 */
import { Agent, request } from "node:http";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { createRateLimiter } from "../../domain/vendors/rate-limiter.ts";
import { controlClient, simulatorVendorSettings } from "../../simulator/control-client.ts";
import { startChildSimulator } from "./support.ts";

const THROUGHPUT_SECONDS = 5;
const CONCURRENCY = 32;
const PAGING_PATIENTS = 20_000;
const BUDGET = { limit: 20, windowMs: 6000 };
const BUDGET_WINDOWS = 4;

function verdict(ok: boolean): string {
  return ok ? "PASS" : "FAIL";
}

async function throughput(url: string, key: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const target = new URL(url);
  const auth = `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
  const deadline = Date.now() + THROUGHPUT_SECONDS * 1000;
  let done = 0;
  let failed = 0;
  const one = (page: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: `/cliniko/au1/v1/patients?per_page=100&page=${page}`,
          headers: { Authorization: auth, Accept: "application/json", "User-Agent": "Relink bench (bench@relink.example)" },
        },
        (res) => {
          if (res.statusCode === 200) done++;
          else failed++;
          res.resume();
          res.on("end", resolve);
        },
      );
      req.on("error", () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = 0; Date.now() < deadline; i++) await one(((worker * 7 + i) % 20) + 1);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  agent.destroy();
  if (failed > 0) console.log(`    (${failed} requests did not answer 200)`);
  return done / seconds;
}

async function main(): Promise<number> {
  const { url, child } = await startChildSimulator();
  const control = controlClient(url);
  const settings = simulatorVendorSettings(url, { appName: "Relink bench", contactEmail: "bench@relink.example", timeoutMs: 10_000 });
  let failures = 0;
  try {
    await control.setSettings({ rateLimit: 1_000_000_000 });

    // (a)
    const small = await control.createClinikoAccount({ shard: "au1", patients: 2000, patientsOnly: true });
    const rps = await throughput(url, small.keys[0]!.key);
    const a = rps >= 2000;
    failures += a ? 0 : 1;
    console.log(
      `(a) simulator Cliniko list requests/s (per_page=100, ${CONCURRENCY} connections, ${THROUGHPUT_SECONDS} s, loopback): ${rps.toFixed(0)} req/s  [bound >= 2000]  ${verdict(a)}`,
    );

    // (b)
    const big = await control.createClinikoAccount({ shard: "uk1", patients: PAGING_PATIENTS, patientsOnly: true });
    const client = createVendorClient({ vendor: "cliniko", key: big.keys[0]!.key, region: "", apiVersion: "v1" }, settings, {
      rateLimiter: createRateLimiter({ limit: 1_000_000, windowMs: 60_000 }),
    });
    // why: ~4% of generated patients are archived or deleted; grow the account until 20,000 are visible
    let generated = PAGING_PATIENTS;
    let total = await client.countPatients();
    while (total < PAGING_PATIENTS) {
      generated += PAGING_PATIENTS - total + 10;
      await control.setPatients(big.id, generated);
      total = await client.countPatients();
    }
    const t0 = performance.now();
    let seen = 0;
    let pages = 0;
    for await (const page of client.patients()) {
      seen += page.items.length;
      pages++;
    }
    const secs = (performance.now() - t0) / 1000;
    const b = secs < 5 && seen === total;
    failures += b ? 0 : 1;
    console.log(`(b) client paged ${seen} patients (${pages} pages of 100, rate limit lifted) in ${secs.toFixed(2)} s  [bound < 5 s]  ${verdict(b)}`);

    // (c)
    const limited = await control.createClinikoAccount({
      shard: "au2",
      patients: 3000,
      patientsOnly: true,
      faults: { rateLimit: BUDGET.limit, rateWindowMs: BUDGET.windowMs },
    });
    const sent: number[] = [];
    const limitedAt: number[] = [];
    const countingFetch: typeof fetch = async (input, init) => {
      sent.push(Date.now());
      const res = await fetch(input, init);
      if (res.status === 429) limitedAt.push(Date.now());
      return res;
    };
    const budgeted = createVendorClient({ vendor: "cliniko", key: limited.keys[0]!.key, region: "", apiVersion: "v1" }, settings, {
      fetch: countingFetch,
      rateLimiter: createRateLimiter(BUDGET),
    });
    const start = Date.now();
    const stopAt = start + BUDGET_WINDOWS * BUDGET.windowMs;
    outer: for (;;) {
      for await (const page of budgeted.patients()) {
        void page;
        if (Date.now() >= stopAt) break outer;
      }
    }
    const elapsed = (Date.now() - start) / 1000;
    let maxInWindow = 0;
    for (let i = 0; i < sent.length; i++) maxInWindow = Math.max(maxInWindow, sent.filter((t) => t >= sent[i]! && t < sent[i]! + BUDGET.windowMs).length);
    const after = limitedAt.filter((t) => t >= start + BUDGET.windowMs).length;
    const perMinute = (sent.length / elapsed) * 60 * (BUDGET.windowMs / 60_000) * (200 / BUDGET.limit);
    const c = after === 0 && maxInWindow <= BUDGET.limit;
    failures += c ? 0 : 1;
    console.log(
      `(c) at the budget (200/min scaled to ${BUDGET.limit} per ${BUDGET.windowMs / 1000} s): ${sent.length} requests in ${elapsed.toFixed(1)} s = ${(sent.length / elapsed).toFixed(2)} req/s ` +
        `(budget ${(BUDGET.limit / (BUDGET.windowMs / 1000)).toFixed(2)} req/s; ≈ ${perMinute.toFixed(0)}/min at real scale), max ${maxInWindow} in any ${BUDGET.windowMs / 1000} s, ` +
        `429s: ${limitedAt.length} total, ${after} after the first window  [bound 0]  ${verdict(c)}`,
    );
  } finally {
    child.kill("SIGTERM");
  }
  console.log(failures === 0 ? "ALL PASS" : `${failures} FAILED`);
  return failures;
}

process.exitCode = (await main()) === 0 ? 0 : 1;
