/**
 * bench:sync — a full sync of one simulated Cliniko account (20,000 patients, ~100,000 appointments,
 * ~40,000 invoices, practitioners, types, availability) with the rate limit lifted, then an
 * incremental sync after 1% of the records changed. Three processes: this driver, the simulator
 * (its own process, so its CPU is not the worker's) and the sync worker (tests/bench/sync-worker.ts),
 * whose peak RSS and CPU are the figures.
 *
 * Prints: duration and records/s, the worker's peak RSS (bound 300 MB), CPU-seconds per 1,000
 * records (load-independent), and the incremental sync's requests against the minimum possible.
 * Uses DATABASE_URL's server (a scratch database) or embedded PostgreSQL. Exits 1 on FAIL.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import os from "node:os";
import { openDb } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { clinics, connections } from "../../db/schema/index.ts";
import { keyringFromConfig, sealApiKey } from "../../domain/connections/key-storage.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { ROOT, scratchDatabase, startChildSimulator } from "./support.ts";

const FULL_BOUND_S = 90;
const RSS_BOUND_MB = 300;
const PATIENTS = 20_000;
// why: appointments scale with practitioners (≈1,290 each over the simulated year); invoices with the share of attended ones
const PRACTITIONERS = Number(process.env.BENCH_SYNC_PRACTITIONERS ?? 78);
const INVOICE_SHARE = 0.61;

/** The worker process's Node flags, as workers/main.ts is started in production (package.json start:worker). */
const WORKER_NODE_FLAGS = (process.env.BENCH_SYNC_NODE_FLAGS ?? "--max-semi-space-size=8").split(" ").filter(Boolean);

const say = (line: string) => process.stdout.write(`${line}\n`);

interface WorkerResult {
  done: string;
  pages: number;
  recordsSeen: number;
  recordsChanged: number;
  ms: number;
  cpuMs: number;
  maxRssKb: number;
  sampledPeakRssKb: number;
  sampledPeakHeapKb: number;
  startRssKb: number;
  startHeapKb: number;
}

function runWorker(env: Record<string, string>): Promise<WorkerResult> {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, path.join(ROOT, "tests/bench/sync-worker.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let result: WorkerResult | undefined;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const msg = JSON.parse(line) as Partial<WorkerResult>;
      if (msg.done) result = msg as WorkerResult;
    });
    child.once("exit", (code) => (result && code === 0 ? resolve(result) : reject(new Error(`sync worker exited with ${code}`))));
  });
}

const db = await scratchDatabase("relink_bench_sync");
const sim = await startChildSimulator();
try {
  await migrateDatabase(db.url);
  const handle = openDb(db.url, { max: 2 });
  const control = controlClient(sim.url);
  // why: "rate limit lifted": the simulator's per-user budget and the client's limiter (LIFT_RATE_LIMIT) both
  await control.setSettings({ rateLimit: 1_000_000_000 });
  const account = await control.createClinikoAccount({ shard: "au1", patients: PATIENTS, practitioners: PRACTITIONERS, invoiceShare: INVOICE_SHARE });
  const key = account.keys[0]!.key;

  const masterKey = generateMasterKey();
  const keyring = keyringFromConfig(masterKey, "k1");
  const [clinic] = await handle.db
    .insert(clinics)
    .values({ name: "Bench Sync Physio", timeZone: "Australia/Sydney", country: "AU", adminName: "Pat", adminEmail: "pat@bench.test" })
    .returning({ id: clinics.id });
  const connectionId = randomUUID();
  await handle.db.insert(connections).values({
    id: connectionId,
    clinicId: clinic!.id,
    vendor: "cliniko",
    region: "au1",
    apiVersion: "v1",
    state: "healthy",
    lastSuccessAt: new Date(),
    ...sealApiKey(keyring, connectionId, { vendor: "cliniko", key, region: "au1" }),
  });
  const env = { DATABASE_URL: db.url, SIM_URL: sim.url, MASTER_KEY: masterKey, CONNECTION_ID: connectionId, LIFT_RATE_LIMIT: "1" };

  // warm the simulator's generated data so the first request's generation is not billed to the sync
  await fetch(`${sim.url}/cliniko/au1/v1/individual_appointments?per_page=1`, {
    headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`, Accept: "application/json", "User-Agent": "bench (bench@relink.example)" },
  });

  say(
    `bench:sync — ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const s0 = (await control.stats()).requests;
  const full = await runWorker({ ...env, JOB_ID: randomUUID() });
  const fullRequests = (await control.stats()).requests - s0;
  const [stored] = await handle.sql<{ patients: number; appointments: number; invoices: number; practitioners: number; types: number; availability: number }[]>`
    select (select count(*)::int from sync_patients) as patients, (select count(*)::int from sync_appointments) as appointments,
           (select count(*)::int from sync_invoices) as invoices, (select count(*)::int from sync_practitioners) as practitioners,
           (select count(*)::int from sync_appointment_types) as types, (select count(*)::int from sync_availability) as availability`;
  const records = stored!.patients + stored!.appointments + stored!.invoices + stored!.practitioners + stored!.types + stored!.availability;
  say(
    `stored: ${stored!.patients} patients, ${stored!.appointments} appointments, ${stored!.invoices} invoices, ${stored!.practitioners} practitioners, ${stored!.types} types, ${stored!.availability} availability rows`,
  );
  const fullS = full.ms / 1000;
  const rssMb = full.maxRssKb / 1024;
  say(
    `full sync: ${full.done} in ${fullS.toFixed(1)} s (bound ${FULL_BOUND_S} s), ${full.pages} pages, ${fullRequests} requests, ${Math.round(records / fullS)} records/s`,
  );
  say(
    `worker peak RSS: ${rssMb.toFixed(0)} MB (bound ${RSS_BOUND_MB} MB; sampled after each page: ${(full.sampledPeakRssKb / 1024).toFixed(0)} MB, of which JS heap ${(full.sampledPeakHeapKb / 1024).toFixed(0)} MB)`,
  );
  say(`worker CPU: ${(full.cpuMs / 1000).toFixed(1)} s = ${(full.cpuMs / records).toFixed(3)} CPU-seconds per 1,000 records`);

  // 1% of the records change (spread over patients, appointments and invoices in proportion)
  const changed = {
    patients: Math.round(stored!.patients / 100),
    appointments: Math.round(stored!.appointments / 100),
    invoices: Math.round(stored!.invoices / 100),
  };
  for (const [resource, count] of Object.entries(changed)) await control.touch(account.id, resource as keyof typeof changed, count);
  const s1 = (await control.stats()).requests;
  const incremental = await runWorker({ ...env, JOB_ID: randomUUID() });
  const incRequests = (await control.stats()).requests - s1 - 1;
  const resources = 10;
  const minimum = Object.values(changed).reduce((sum, n) => sum + Math.max(1, Math.ceil(n / 100)), 0) + (resources - 3);
  say(
    `incremental after 1% changed (${Object.values(changed).reduce((a, b) => a + b, 0)} records): ${incremental.done} in ${(incremental.ms / 1000).toFixed(1)} s, ${incRequests} requests vs minimum ${minimum} (ratio ${(incRequests / minimum).toFixed(2)}), ${incremental.recordsChanged} records changed`,
  );
  await handle.close();
  const ok = full.done === "succeeded" && incremental.done === "succeeded" && fullS < FULL_BOUND_S && rssMb < RSS_BOUND_MB;
  say(ok ? "PASS" : "FAIL");
  process.exitCode = ok ? 0 : 1;
} finally {
  sim.child.kill("SIGTERM");
  await db.drop();
}
