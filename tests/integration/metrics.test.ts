import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedEmailSender, createMetrics } from "../../composition/metrics.ts";
import { freePort } from "../../db/embedded.ts";
import { briefings, clinics, connections } from "../../db/schema/index.ts";
import { probeConnection, type ProbeContext } from "../../domain/health/probe.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { bearerMatches, startMetricsServer } from "../../lib/http/metrics.ts";
import { createLogger } from "../../lib/logger.ts";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { ROOT } from "../../scripts/build.ts";
import { deliverBriefing } from "../../domain/briefings/deliver.ts";
import { briefingDueAt } from "../../domain/briefings/schedule.ts";
import { seedBriefingWeek } from "../support/briefing-seams.ts";
import { briefingClinic, briefingDeps } from "../support/briefing-world.ts";
import { insertClinic } from "../support/fleet.ts";
import { scrape, type Scraped } from "../support/prometheus.ts";
import { startWebProcess, type WebProcess } from "../support/web-process.ts";
import { clinikoClinic, startSyncWorld, type SyncWorld } from "./sync-fixtures.ts";

// Issue 15, metrics: /metrics in the Prometheus text format, parsed by a Prometheus parser, over
// real HTTP; values move after real probes and syncs against the simulator and after state changes
// in Postgres; protected by a loopback port or a bearer token.

let w: SyncWorld;
let served: Awaited<ReturnType<typeof startMetricsServer>>;

beforeAll(async () => {
  w = await startSyncWorld();
  served = await startMetricsServer({ host: "127.0.0.1", port: 0, scrape: w.services.metrics.scrape, onError: (err) => console.error(err) });
});
afterAll(async () => {
  await served?.close();
  await w?.close();
});

const probeCtx = (): ProbeContext => ({
  db: w.services.db,
  keyring: w.services.keyring,
  vendors: w.services.probeVendors,
  alerts: w.services.alerts,
  probes: w.services.queues.probe,
  metrics: w.services.metrics.recorder,
});
const probe = (connectionId: string) => probeConnection(probeCtx(), { connectionId, probeId: randomUUID(), reason: "manual" });

describe("the metrics port of the composed services", () => {
  it("answers the text format on /metrics only", async () => {
    const s = await scrape(served.url);
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      "relink_connections",
      "relink_queue_waiting_jobs",
      "relink_sync_lag_connections",
      "relink_briefings_unfinished",
      "relink_vendor_rate_limited_total",
    ]) {
      expect(s.names().has(name), name).toBe(true);
    }
    expect(s.value("relink_metrics_fleet_read_ok")).toBe(1);
    expect((await fetch(served.url.replace("/metrics", "/"))).status).toBe(404);
    expect((await fetch(`${served.url}x`)).status).toBe(404);
  });

  it("counts connections of active clinics by state, failure code and vendor from Postgres", async () => {
    const labels = { state: "action_required", failure_code: "auth_rejected", vendor: "nookal" };
    const before = await scrape(served.url);
    await insertClinic(w.t.db, {
      name: "Metrics Rejected Nookal",
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      state: "action_required",
      failureCode: "auth_rejected",
    });
    const archived = await insertClinic(w.t.db, {
      name: "Metrics Archived",
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      state: "action_required",
      failureCode: "auth_rejected",
    });
    await w.t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, archived.clinicId));
    const after = await scrape(served.url);
    expect(after.value("relink_connections", labels)).toBe(before.value("relink_connections", labels) + 1);
    expect(after.value("relink_connections", { state: "healthy", failure_code: "none" })).toBe(
      before.value("relink_connections", { state: "healthy", failure_code: "none" }),
    );
  });

  it("reports sync lag as cumulative buckets per vendor and the longest lag", async () => {
    const before = await scrape(served.url);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await insertClinic(w.t.db, {
      name: "Metrics Lagging Sync",
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      state: "healthy",
      syncState: "succeeded",
      lastSyncSuccessAt: twoHoursAgo,
    });
    const after = await scrape(served.url);
    const lag = (s: Scraped, le: string) => s.value("relink_sync_lag_connections", { vendor: "nookal", le });
    expect(lag(after, "3600")).toBe(lag(before, "3600"));
    expect(lag(after, "14400")).toBe(lag(before, "14400") + 1);
    expect(lag(after, "+Inf")).toBe(lag(before, "+Inf") + 1);
    expect(after.value("relink_sync_lag_max_seconds", { vendor: "nookal" })).toBeGreaterThanOrEqual(7200);
  });

  it("reads queue depth and the oldest waiting job from pg-boss's own tables", async () => {
    const { connectionId } = await insertClinic(w.t.db, { name: "Metrics Queued Probe", state: "healthy" });
    const before = await scrape(served.url);
    expect(before.names().has("relink_queue_oldest_waiting_job_age_seconds")).toBe(true);
    await w.services.queues.probe.enqueue([{ data: { connectionId, reason: "schedule" } }]);
    const after = await scrape(served.url);
    expect(after.value("relink_queue_waiting_jobs", { queue: "probe" })).toBe(before.value("relink_queue_waiting_jobs", { queue: "probe" }) + 1);
    expect(after.value("relink_queue_oldest_waiting_job_age_seconds", { queue: "probe" })).toBeGreaterThanOrEqual(0);
    // a job created long ago that nobody picked up shows its age
    await w.t.sql`update pgboss.job set created_on = now() - interval '10 minutes' where name = 'probe' and state = 'created'`;
    expect((await scrape(served.url)).value("relink_queue_oldest_waiting_job_age_seconds", { queue: "probe" })).toBeGreaterThanOrEqual(600);
  });

  it("gauges held briefings from Postgres", async () => {
    const { clinicId } = await insertClinic(w.t.db, { name: "Metrics Held Briefing", state: "action_required", failureCode: "auth_rejected" });
    const before = await scrape(served.url);
    await w.t.db
      .insert(briefings)
      .values({ clinicId, weekStart: "2026-11-23", state: "held", dueAt: new Date("2026-11-29T20:00:00Z"), heldReason: "The key was rejected." });
    const after = await scrape(served.url);
    expect(after.value("relink_briefings_unfinished", { state: "held" })).toBe(before.value("relink_briefings_unfinished", { state: "held" }) + 1);
  });

  it("counts a real probe against the simulator: its outcome, duration and vendor requests", async () => {
    const { connectionId } = await clinikoClinic(w, "Metrics Probed Physio", { patients: 12 });
    const before = await scrape(served.url);
    const report = await probe(connectionId);
    expect(report.outcome).toBe("healthy");
    const after = await scrape(served.url);
    const healthy = { vendor: "cliniko", outcome: "healthy", failure_code: "none" };
    expect(after.value("relink_probes_total", healthy)).toBe(before.value("relink_probes_total", healthy) + 1);
    expect(after.count("relink_probe_duration_seconds", { vendor: "cliniko" })).toBe(before.count("relink_probe_duration_seconds", { vendor: "cliniko" }) + 1);
    const ok = { vendor: "cliniko", status: "200" };
    expect(after.value("relink_vendor_requests_total", ok)).toBeGreaterThan(before.value("relink_vendor_requests_total", ok));
    expect(after.count("relink_vendor_request_duration_seconds", { vendor: "cliniko" })).toBeGreaterThan(
      before.count("relink_vendor_request_duration_seconds", { vendor: "cliniko" }),
    );
  });

  it("counts a failed probe under its failure code", async () => {
    const { connectionId, key } = await clinikoClinic(w, "Metrics Archived Key Physio", { patients: 3 });
    await w.control.archiveClinikoKey(key);
    const before = await scrape(served.url);
    const report = await probe(connectionId);
    expect(report.failureCode).toBe("auth_rejected");
    const after = await scrape(served.url);
    const labels = { vendor: "cliniko", outcome: "failed", failure_code: "auth_rejected" };
    expect(after.value("relink_probes_total", labels)).toBe(before.value("relink_probes_total", labels) + 1);
    expect(after.value("relink_vendor_requests_total", { vendor: "cliniko", status: "401" })).toBeGreaterThan(
      before.value("relink_vendor_requests_total", { vendor: "cliniko", status: "401" }),
    );
  });

  it("counts a vendor's 429 (waited out, then the probe succeeds)", async () => {
    const { connectionId, view } = await clinikoClinic(w, "Metrics Throttled Physio", { patients: 5 });
    // why: the simulator's own per-user limit, one request per second: the probe's second call is a real 429 with X-RateLimit-Reset
    await w.control.setAccountFaults(view.id, { rateLimit: 1, rateWindowMs: 1000 });
    const before = await scrape(served.url);
    try {
      expect((await probe(connectionId)).outcome).toBe("healthy");
    } finally {
      await w.control.clearAccountFaults(view.id);
    }
    const after = await scrape(served.url);
    const limited =
      after.value("relink_vendor_rate_limited_total", { vendor: "cliniko" }) - before.value("relink_vendor_rate_limited_total", { vendor: "cliniko" });
    expect(limited).toBeGreaterThanOrEqual(1);
    // the same 429s, seen as request statuses
    expect(
      after.value("relink_vendor_requests_total", { vendor: "cliniko", status: "429" }) -
        before.value("relink_vendor_requests_total", { vendor: "cliniko", status: "429" }),
    ).toBe(limited);
  });

  it("counts the records a real sync committed, and its run", async () => {
    const { connectionId } = await clinikoClinic(w, "Metrics Synced Physio", { patients: 40, practitioners: 2 });
    const before = await scrape(served.url);
    const report = await syncConnection(w.ctx, { connectionId, jobId: randomUUID(), trigger: "manual" });
    expect(report.outcome).toBe("succeeded");
    const after = await scrape(served.url);
    const patients = { vendor: "cliniko", resource: "patients" };
    expect(after.value("relink_sync_records_total", patients) - before.value("relink_sync_records_total", patients)).toBe(40);
    expect(after.value("relink_sync_records_total", { vendor: "cliniko" }) - before.value("relink_sync_records_total", { vendor: "cliniko" })).toBe(
      report.recordsSeen,
    );
    const run = { vendor: "cliniko", outcome: "succeeded" };
    expect(after.value("relink_sync_runs_total", run)).toBe(before.value("relink_sync_runs_total", run) + 1);
    // the connection now synced a moment ago: inside the 5-minute bucket
    const [row] = await w.t.db.select({ at: connections.lastSyncSuccessAt }).from(connections).where(eq(connections.id, connectionId));
    expect(row!.at).not.toBeNull();
    expect(after.value("relink_sync_lag_connections", { vendor: "cliniko", le: "300" })).toBeGreaterThan(
      before.value("relink_sync_lag_connections", { vendor: "cliniko", le: "300" }),
    );
  });

  it("counts briefings sent, held (a week's first hold only) and skipped", async () => {
    const week = "2026-11-23";
    const due = briefingDueAt("Australia/Sydney", week);
    const at = (minutes: number) => new Date(due.getTime() + minutes * 60_000);
    const c = await briefingClinic(w.t, {
      name: "Metrics Briefed Physio",
      timeZone: "Australia/Sydney",
      syncedAt: at(-60),
      createdAt: new Date("2026-10-01T00:00:00Z"),
      state: "action_required",
      failureCode: "auth_rejected",
      firstFailureAt: at(-600),
    });
    await seedBriefingWeek(w.t, c, week);
    const deps = (now: Date) => briefingDeps(w.services, { now: () => now, metrics: w.services.metrics.recorder });
    const before = await scrape(served.url);
    const briefed = (s: Scraped, outcome: string) => s.value("relink_briefings_total", { outcome }) - before.value("relink_briefings_total", { outcome });
    expect((await deliverBriefing(deps(at(1)), { clinicId: c.clinic.id, weekStart: week })).outcome).toBe("held");
    expect((await deliverBriefing(deps(at(6)), { clinicId: c.clinic.id, weekStart: week })).outcome).toBe("held");
    const held = await scrape(served.url);
    expect(briefed(held, "held")).toBe(1);
    expect(briefed(held, "sent")).toBe(0);
    await w.t.db.update(connections).set({ state: "healthy", failureCode: null, firstFailureAt: null }).where(eq(connections.id, c.connection.id));
    expect((await deliverBriefing(deps(at(240)), { clinicId: c.clinic.id, weekStart: week })).outcome).toBe("sent");
    const sent = await scrape(served.url);
    expect(briefed(sent, "sent")).toBe(1);
    expect(briefed(sent, "held")).toBe(1);
  });

  it("offers the webhook delivery hook, and counts email deliveries through the counted sender", async () => {
    const silent = createLogger({ name: "test", level: "silent", pretty: false });
    const metrics = createMetrics({ db: w.services.db, logger: silent, role: "worker", defaultMetrics: false });
    const server = await startMetricsServer({ host: "127.0.0.1", port: 0, scrape: metrics.scrape, onError: () => {} });
    try {
      let fail = false;
      const sender = countedEmailSender(
        {
          async send() {
            if (fail) throw new Error("421 try later");
            return { messageId: "<m@test>" };
          },
          close() {},
        },
        metrics.recorder,
      );
      await sender.send({ from: "a@test", to: "b@test", subject: "s", text: "t" });
      fail = true;
      await expect(sender.send({ from: "a@test", to: "b@test", subject: "s", text: "t" })).rejects.toThrow(/421/);
      metrics.recorder.webhookDelivery("delivered");
      metrics.recorder.webhookDelivery("delivered");
      metrics.recorder.webhookDelivery("https://not-a-label.example/?secret=1");
      const s = await scrape(server.url);
      expect(s.value("relink_email_deliveries_total", { outcome: "sent" })).toBe(1);
      expect(s.value("relink_email_deliveries_total", { outcome: "failed" })).toBe(1);
      expect(s.value("relink_webhook_deliveries_total", { outcome: "delivered" })).toBe(2);
      expect(s.value("relink_webhook_deliveries_total", { outcome: "other" })).toBe(1);
      expect(s.value("relink_briefings_total", { outcome: "sent", process: "worker" })).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("still answers, with the fleet marked unread, when Postgres fails the read", async () => {
    const silent = createLogger({ name: "test", level: "silent", pretty: false });
    const metrics = createMetrics({ db: w.services.db, logger: silent, role: "web", defaultMetrics: false, bossSchema: "no_such_schema" });
    const text = (await metrics.scrape()).body;
    expect(text).toMatch(/^relink_metrics_fleet_read_ok\{process="web"\} 0$/m);
  });
});

describe("bearerMatches", () => {
  const token = "t".repeat(40);
  it("accepts exactly `Bearer <token>` and nothing else", () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    for (const bad of [undefined, "", "Bearer", `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, `Bearer  `]) {
      expect(bearerMatches(bad, token), String(bad)).toBe(false);
    }
  });
});

describe("the web process", () => {
  const token = randomBytes(24).toString("hex");
  let web: WebProcess;
  let bare: WebProcess;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    // why: the same master key as the services that sealed the test clinics' keys (the web process checks it at start)
    const key = { MASTER_KEY: w.services.masterKey };
    web = await startWebProcess(w.t.url, { ...key, METRICS_TOKEN: token, METRICS_PORT: String(metricsPort) });
    bare = await startWebProcess(w.t.url, key);
  }, 240_000);
  afterAll(async () => {
    await web?.stop();
    await bare?.stop();
  });

  it("serves /metrics on the console port only to the bearer token", async () => {
    const none = await fetch(`${web.baseUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain("relink_");
    expect((await fetch(`${web.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${token.slice(0, -1)}x` } })).status).toBe(401);
    const ok = await scrape(`${web.baseUrl}/metrics`, { Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.value("relink_connections", { process: "web" })).toBeGreaterThan(0);
    // prom-client's default process metrics
    expect(ok.names().has("process_cpu_user_seconds_total")).toBe(true);
    expect(ok.names().has("nodejs_eventloop_lag_seconds")).toBe(true);
    expect(web.output()).not.toContain(token);
  });

  it("serves /metrics on its own loopback port without a token", async () => {
    const s = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(s.status).toBe(200);
    expect(s.value("relink_metrics_fleet_read_ok")).toBe(1);
  });

  it("does not serve /metrics at all without configuration", async () => {
    expect((await fetch(`${bare.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${bare.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it("the Grafana dashboard parses and every expression names a metric the scrape exposes", async () => {
    const s = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, "docs/grafana/relink-dashboard.json"), "utf8")) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const exposed = s.names();
    for (const { panel, expr } of exprs) {
      const names = [...expr.matchAll(/\b((?:relink|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${panel}: ${name}`).toBe(true);
    }
  });
});

describe("the worker process", () => {
  let child: ChildProcess;
  let output = "";
  let port: number;
  const dataDir = path.join(ROOT, ".tmp", `metrics-worker-${process.pid}`);

  beforeAll(async () => {
    // why: its own clinic, never probed, with a working key: the start-up sweep probes it through the
    // simulator whatever the tests above left (run alone, there is nothing else; after them, a
    // keyless row probes without asking the vendor anything)
    await clinikoClinic(w, "Metrics Worker Swept Physio", { patients: 5 });
    port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      LOG_PRETTY: "false",
      DATABASE_URL: w.t.url,
      MASTER_KEY: w.services.masterKey,
      DATA_DIR: dataDir,
      WORKER_METRICS_PORT: String(port),
      ...simulatorVendorEnv(w.sim.url),
    };
    child = spawn(process.execPath, ["workers/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
      child.stdout!.on("data", () => output.includes("worker started") && (clearTimeout(timer), resolve()));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`worker exited with ${code}:\n${output}`))));
    });
  }, 90_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves its own metrics on WORKER_METRICS_PORT: its start-up sweep's probes against the simulator are counted", async () => {
    const url = `http://127.0.0.1:${port}/metrics`;
    // why: the worker sweeps the fleet at start; wait for its probes to show, not for a fixed time
    let s = await scrape(url);
    const seen = (x: Scraped) =>
      x.value("relink_probes_total", { process: "worker" }) > 0 && x.value("relink_vendor_requests_total", { process: "worker" }) > 0;
    for (let i = 0; i < 100 && !seen(s); i++) {
      await new Promise((r) => setTimeout(r, 200));
      s = await scrape(url);
    }
    expect(s.status).toBe(200);
    expect(s.value("relink_probes_total", { process: "worker" })).toBeGreaterThan(0);
    expect(s.value("relink_vendor_requests_total", { process: "worker" })).toBeGreaterThan(0);
    expect(s.names().has("process_resident_memory_bytes")).toBe(true);
    expect(output).toContain(`"url":"${url}"`);
  }, 40_000);
});
