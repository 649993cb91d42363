/**
 * Reconnect benchmark (npm run bench:reconnect). Issue 6: from submit to verdict under 1.5 s at
 * p95 against the simulator with 100 ms of injected vendor latency, including the wrong-region
 * detection for a Nookal key entered with the wrong region.
 *
 * Each submission is a real form POST through the built Remix server handler (in process, the same
 * build `npm start` serves), with the real services (PostgreSQL, pg-boss, vendor clients) and the
 * simulator in a child process on loopback. Every submission gets its own clinic, link, vendor
 * account and client address, so neither the region cache nor a rate limit flatters the figures.
 * Prints p50/p95/max per kind and overall, then PASS/FAIL; exits 1 on FAIL.
 *
 * Database: DATABASE_URL (a scratch database is created and dropped), else embedded PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { createServices } from "../../app/services.server.ts";
import { parseEnv } from "../../config/env.ts";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { clinics, connections } from "../../db/schema/index.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createLogger } from "../../lib/logger.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { ensureBuilt } from "../../scripts/build.ts";
import { ROOT, scratchDatabase, startChildSimulator, summary } from "./support.ts";

const LATENCY_MS = 100;
const BOUND_P95_MS = 1500;
const PLAN = { clinikoConnects: 20, nookalWrongRegion: 20, clinikoArchived: 10, nookalZeroPatients: 5 };

type Kind = "cliniko_connects" | "nookal_wrong_region" | "nookal_use_suggested" | "cliniko_archived" | "nookal_zero_patients";

async function main() {
  if (!ensureBuilt()) throw new Error("vite build failed");
  const build = (await import(pathToFileURL(path.resolve(ROOT, "build/server/index.js")).href)) as ServerBuild;
  const handler = createRequestHandler(build, "production");

  const sim = await startChildSimulator();
  const db = await scratchDatabase(`relink_bench_reconnect_${process.pid}`);
  const control = controlClient(sim.url);
  let services: Awaited<ReturnType<typeof createServices>> | undefined;
  try {
    await migrateDatabase(db.url);
    const env = parseEnv({
      NODE_ENV: "production",
      PUBLIC_URL: "https://relink.bench.example",
      LOG_LEVEL: "silent",
      DATABASE_URL: db.url,
      MASTER_KEY: generateMasterKey(),
      SESSION_SECRET: randomBytes(32).toString("hex"),
      VENDOR_TIMEOUT_MS: "5000",
      ...simulatorVendorEnv(sim.url),
    });
    const logger = createLogger({ name: "bench", level: "silent", pretty: false });
    services = await createServices(env, logger, db.url);
    await control.setGlobalFaults({ latencyMs: LATENCY_MS });

    let seq = 0;
    const newLink = async (vendor: "cliniko" | "nookal", region: string) => {
      seq += 1;
      const [clinic] = await services!.db
        .insert(clinics)
        .values({ name: `Bench Clinic ${seq}`, timeZone: "Australia/Sydney", country: "AU" })
        .returning({ id: clinics.id });
      await services!.db.insert(connections).values({
        clinicId: clinic!.id,
        vendor,
        region,
        apiVersion: vendor === "cliniko" ? "v1" : "v3",
        state: "action_required",
        failureCode: "auth_rejected",
        consecutiveFailures: 3,
      });
      const link = await createReconnectLink({ clinicId: clinic!.id, purpose: "Benchmark reconnect", createdBy: "system" }, services!.db);
      return link.path;
    };
    const post = async (pathname: string, form: Record<string, string>, address: string) => {
      const request = new Request(`http://127.0.0.1${pathname}`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Host: "127.0.0.1" },
        body: new URLSearchParams(form),
      });
      const started = performance.now();
      const res = await handler(request, { services: services!, clientAddress: address });
      const body = await res.text();
      return { ms: performance.now() - started, status: res.status, body };
    };

    const samples: Record<Kind, number[]> = {
      cliniko_connects: [],
      nookal_wrong_region: [],
      nookal_use_suggested: [],
      cliniko_archived: [],
      nookal_zero_patients: [],
    };
    const failures: string[] = [];
    const expect = (kind: Kind, ok: boolean, what: string) => {
      if (!ok) failures.push(`${kind}: ${what}`);
    };

    // Build the plan first (accounts in the simulator), then run the submissions one after another.
    type Step = { kind: Kind; run: () => Promise<void> };
    const steps: Step[] = [];
    for (let i = 0; i < PLAN.clinikoConnects; i++) {
      const account = await control.createClinikoAccount({
        shard: "au2",
        patients: 400,
        user: { firstName: "Jane", lastName: `Smith ${i}`, role: "administrator" },
      });
      const pathname = await newLink("cliniko", "au2");
      steps.push({
        kind: "cliniko_connects",
        run: async () => {
          const r = await post(pathname, { intent: "verify", key: `  "${account.keys[0]!.key}"\n` }, `198.51.100.${i}`);
          samples.cliniko_connects.push(r.ms);
          expect("cliniko_connects", r.status === 302, `status ${r.status}`);
        },
      });
    }
    for (let i = 0; i < PLAN.nookalWrongRegion; i++) {
      const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 300 }] });
      const pathname = await newLink("nookal", "us");
      steps.push({
        kind: "nookal_wrong_region",
        run: async () => {
          const r = await post(pathname, { intent: "verify", key: account.keys[0]!.key, region: "us", apiVersion: "auto" }, `203.0.113.${i}`);
          samples.nookal_wrong_region.push(r.ms);
          expect("nookal_wrong_region", r.status === 422 && r.body.includes("Use AU/NZ"), `status ${r.status}`);
          const retry = await post(pathname, { intent: "use_suggested_region" }, `203.0.113.${i}`);
          samples.nookal_use_suggested.push(retry.ms);
          expect("nookal_use_suggested", retry.status === 302, `status ${retry.status}`);
        },
      });
    }
    for (let i = 0; i < PLAN.clinikoArchived; i++) {
      const account = await control.createClinikoAccount({ shard: "au3", patients: 200, keys: 2 });
      await control.archiveClinikoKey(account.keys[0]!.key);
      const pathname = await newLink("cliniko", "au3");
      steps.push({
        kind: "cliniko_archived",
        run: async () => {
          const r = await post(pathname, { intent: "verify", key: account.keys[0]!.key }, `192.0.2.${i}`);
          samples.cliniko_archived.push(r.ms);
          expect("cliniko_archived", r.status === 422 && r.body.includes("key rejected"), `status ${r.status}`);
        },
      });
    }
    for (let i = 0; i < PLAN.nookalZeroPatients; i++) {
      const account = await control.createNookalAccount({ region: "eu", locations: [{ name: "Opening soon", patients: 0 }] });
      const pathname = await newLink("nookal", "eu");
      steps.push({
        kind: "nookal_zero_patients",
        run: async () => {
          const r = await post(pathname, { intent: "verify", key: account.keys[0]!.key, region: "eu" }, `192.0.2.${100 + i}`);
          samples.nookal_zero_patients.push(r.ms);
          expect("nookal_zero_patients", r.status === 422 && r.body.includes("can&#x27;t see any patients"), `status ${r.status}`);
        },
      });
    }
    // why: interleave the kinds so a slow phase (JIT warm-up, pool growth) does not land on one kind
    const ordered = steps.map((step, i) => ({ step, order: hash(`${step.kind}:${i}`) })).sort((a, b) => a.order - b.order);
    for (const { step } of ordered) await step.run();

    const all = Object.values(samples).flat();
    console.log(`\nreconnect: submit → verdict through the Remix handler, simulator latency ${LATENCY_MS} ms per vendor request\n`);
    console.log("kind                     n     p50 ms   p95 ms   max ms");
    for (const [kind, ms] of Object.entries(samples)) {
      const s = summary(ms);
      console.log(
        `${kind.padEnd(22)} ${String(s.n).padStart(3)} ${s.p50.toFixed(0).padStart(10)} ${s.p95.toFixed(0).padStart(8)} ${s.max.toFixed(0).padStart(8)}`,
      );
    }
    const total = summary(all);
    const region = summary(samples.nookal_wrong_region);
    console.log(
      `${"all submissions".padEnd(22)} ${String(total.n).padStart(3)} ${total.p50.toFixed(0).padStart(10)} ${total.p95.toFixed(0).padStart(8)} ${total.max.toFixed(0).padStart(8)}`,
    );
    const pass = failures.length === 0 && total.n >= 50 && total.p95 < BOUND_P95_MS && region.p95 < BOUND_P95_MS;
    if (failures.length) console.log(`\nunexpected verdicts:\n  ${failures.slice(0, 10).join("\n  ")}`);
    console.log(
      `\np95 overall ${total.p95.toFixed(0)} ms, p95 wrong-region detection ${region.p95.toFixed(0)} ms (bound < ${BOUND_P95_MS} ms, n ≥ 50): ${pass ? "PASS" : "FAIL"}`,
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await control.clearGlobalFaults().catch(() => {});
    await services?.close();
    sim.child.kill("SIGTERM");
    await db.drop();
  }
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

await main();
