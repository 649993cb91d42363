import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { alertNotifications, alerts, clinics, connectionEvents, connections } from "../../db/schema/index.ts";
import { keyringFromConfig, sealApiKey } from "../../domain/connections/key-storage.ts";
import { probeConnection, type ProbeContext } from "../../domain/health/probe.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { clinikoKey } from "../../simulator/keys.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { addClinikoAccount, addClinikoKey } from "../../simulator/world.ts";
import { startBoss } from "../../workers/boss.ts";
import { loader as healthz } from "../../app/routes/healthz.ts";
import type { Services } from "../../composition/services.ts";
import { deadProbesLastDay } from "../../domain/health/dead-probes.ts";
import { handleProbeBatch, handleProbeDeadBatch, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { createQueues } from "../../workers/queues.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let sim: SimulatorHandle;
let boss: PgBoss;
let ctx: ProbeContext;
let clock = new Date();
const keyring = keyringFromConfig(generateMasterKey(), "k1");

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0, demo: false })]);
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  const u = simulatorVendorEnv(sim.url);
  ctx = {
    db: t.db,
    keyring,
    now: () => clock,
    vendors: createVendorAccess({
      clinikoBaseUrlTemplate: u.CLINIKO_API_URL!,
      nookalV3BaseUrls: { au: u.NOOKAL_API_URL_AU! },
      nookalV2BaseUrl: u.NOOKAL_V2_API_URL!,
      appName: "Relink tests",
      contactEmail: "tests@relink.example",
      timeoutMs: 3000,
    }),
    alerts: { queue: createQueues(boss).deliver, recipients: { emailClinicAdmin: true, supportEmail: "support@relink.example", consoleUrl: null } },
    probes: createQueues(boss).probe,
  };
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await Promise.all([t?.drop(), sim?.close()]);
});

/** A clinic whose Cliniko key works, with a healthy history. */
async function healthyClinic(label: string) {
  const key = clinikoKey(label, "au2");
  const account = addClinikoAccount(sim.world, { label, shard: "au2", patients: 30 });
  const record = addClinikoKey(sim.world, account, { key });
  const [clinic] = await t.db
    .insert(clinics)
    .values({ name: `Clinic ${label}`, timeZone: "Australia/Sydney", country: "AU", adminEmail: `admin@${label}.example` })
    .returning();
  const id = randomUUID();
  await t.db.insert(connections).values({
    id,
    clinicId: clinic!.id,
    vendor: "cliniko",
    region: "au2",
    apiVersion: "v1",
    ...sealApiKey(keyring, id, { vendor: "cliniko", key, region: "au2" }),
  });
  const probe = () => probeConnection(ctx, { connectionId: id, probeId: randomUUID(), reason: "schedule" });
  expect((await probe()).state).toBe("healthy");
  return { id, account, record, probe };
}

const connection = async (id: string) => (await t.db.select().from(connections).where(eq(connections.id, id)))[0]!;
const alertsOf = (id: string) => t.db.select().from(alerts).where(eq(alerts.connectionId, id));
const notificationsOf = (id: string, event: string) =>
  t.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.connectionId, id), eq(alertNotifications.event, event as "opened")));
const eventsOf = (id: string) => t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, id));

describe("the health engine against the simulator", () => {
  it("confirms an archived key once, alerts once, counts repeats, and recovers with one message per target", async () => {
    clock = new Date();
    const c = await healthyClinic("archival");
    c.record.status = "archived";

    const first = await c.probe();
    // why: a first 401 after a healthy history is confirmed before anyone is told
    expect(first).toMatchObject({ state: "degraded", failureCode: "auth_rejected", confirm: true });
    expect(await alertsOf(c.id)).toHaveLength(0);

    expect((await c.probe()).state).toBe("action_required");
    const opened = await alertsOf(c.id);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ kind: "connection_needs_action", status: "open", count: 1 });
    const sent = (await notificationsOf(c.id, "opened")).length;
    // one email to the clinic admin and one to support; no webhook endpoints exist in this database
    expect(sent).toBe(2);
    await c.probe();
    await c.probe();
    expect((await alertsOf(c.id))[0]!.count).toBe(3);
    expect(await notificationsOf(c.id, "opened")).toHaveLength(sent);

    c.record.status = "active";
    const recovered = await c.probe();
    expect(recovered).toMatchObject({ state: "healthy", failureCode: null });
    expect((await alertsOf(c.id)).every((a) => a.status === "resolved")).toBe(true);
    const recoveredMessages = await notificationsOf(c.id, "recovered");
    expect(new Set(recoveredMessages.map((n) => n.target)).size).toBe(recoveredMessages.length);
    expect(recoveredMessages.length).toBeGreaterThan(0);
    const kinds = (await eventsOf(c.id)).map((e) => e.kind);
    expect(kinds).toContain("recovered");
  });

  it("keeps an outage degraded without an auth alert, raises degraded-too-long past 30 minutes, then recovers", async () => {
    clock = new Date();
    const c = await healthyClinic("outage");
    c.account.faults = { outage: {} };
    expect(await c.probe()).toMatchObject({ state: "degraded", failureCode: "vendor_unavailable" });
    clock = new Date(clock.getTime() + 10 * 60_000);
    await c.probe();
    expect(await alertsOf(c.id)).toHaveLength(0);
    expect((await connection(c.id)).state).toBe("degraded");

    clock = new Date(clock.getTime() + 25 * 60_000);
    await c.probe();
    const open = await alertsOf(c.id);
    expect(open.map((a) => a.kind)).toEqual(["degraded_too_long"]);

    c.account.faults = {};
    clock = new Date(clock.getTime() + 60_000);
    expect((await c.probe()).state).toBe("healthy");
    expect((await alertsOf(c.id)).every((a) => a.status === "resolved")).toBe(true);
  });

  it("recovers silently from a short outage that never alerted", async () => {
    clock = new Date();
    const c = await healthyClinic("blip");
    c.account.faults = { failNext: 6, errorStatus: 502 };
    expect((await c.probe()).state).toBe("degraded");
    c.account.faults = {};
    expect((await c.probe()).state).toBe("healthy");
    expect(await alertsOf(c.id)).toHaveLength(0);
    expect(await notificationsOf(c.id, "recovered")).toHaveLength(0);
  });

  it("refuses a ciphertext moved to another connection's row", async () => {
    clock = new Date();
    const a = await healthyClinic("moved-a");
    const b = await healthyClinic("moved-b");
    const source = await connection(a.id);
    await t.db
      .update(connections)
      .set({ keyCiphertext: source.keyCiphertext, keyIv: source.keyIv, keyTag: source.keyTag, keyId: source.keyId })
      .where(eq(connections.id, b.id));
    const report = await b.probe();
    // why: the ciphertext is bound to row A; on row B it must not decrypt — an internal fault, not a missing key
    expect(report.failureCode).toBe("key_unreadable");
    expect((await a.probe()).state).toBe("healthy");
  });
});

describe("our own fault is never the clinic's (issue 10, reliability 2)", () => {
  it("a master key that cannot decrypt the stored key is key_unreadable: degraded, no alert and no message, even past 30 minutes", async () => {
    clock = new Date();
    const c = await healthyClinic("lost-master-key");
    const wrongKeyring = keyringFromConfig(generateMasterKey(), "k1");
    const probe = () => probeConnection({ ...ctx, keyring: wrongKeyring }, { connectionId: c.id, probeId: randomUUID(), reason: "schedule" });
    expect(await probe()).toMatchObject({ state: "degraded", failureCode: "key_unreadable" });
    clock = new Date(clock.getTime() + 45 * 60_000);
    expect(await probe()).toMatchObject({ state: "degraded", failureCode: "key_unreadable" });
    expect(await alertsOf(c.id)).toHaveLength(0);
    expect(await t.db.select().from(alertNotifications).where(eq(alertNotifications.connectionId, c.id))).toHaveLength(0);
    // the right keys again: back to healthy, silently (nothing was ever sent)
    clock = new Date(clock.getTime() + 60_000);
    expect((await c.probe()).state).toBe("healthy");
    expect(await t.db.select().from(alertNotifications).where(eq(alertNotifications.connectionId, c.id))).toHaveLength(0);
  });
});

describe("a probe's write lands only on the connection it read (issue 10, reliability 4 and 7)", () => {
  it("a probe of an OLD key finishing after a new key was stored does not overwrite the new state", async () => {
    clock = new Date();
    const c = await healthyClinic("old-key-race");
    c.record.status = "archived";
    const before = await connection(c.id);
    // the clinic stores a new key (reconnect page) while the probe of the old one is in flight
    const gate = Promise.withResolvers<void>();
    const entered = Promise.withResolvers<void>();
    const slowVendors = {
      ...ctx.vendors,
      verify: async (...args: Parameters<typeof ctx.vendors.verify>) => {
        entered.resolve();
        await gate.promise;
        return ctx.vendors.verify(...args);
      },
    };
    const inFlight = probeConnection({ ...ctx, vendors: slowVendors }, { connectionId: c.id, probeId: randomUUID(), reason: "schedule" });
    await entered.promise;
    const newKey = clinikoKey("old-key-race-new", "au2");
    addClinikoKey(sim.world, c.account, { key: newKey });
    await t.db
      .update(connections)
      .set({ ...sealApiKey(keyring, c.id, { vendor: "cliniko", key: newKey, region: "au2" }, new Date(before.keyUpdatedAt!.getTime() + 1000)) })
      .where(eq(connections.id, c.id));
    gate.resolve();
    const report = await inFlight;
    expect(report.outcome).toBe("conflict");
    const after = await connection(c.id);
    expect(after).toMatchObject({ state: "healthy", failureCode: null, consecutiveFailures: 0 });
  });

  it("a retried probe job with the same id counts its failure once", async () => {
    clock = new Date();
    const c = await healthyClinic("retried-job");
    c.record.status = "archived";
    const probeId = randomUUID();
    const first = await probeConnection(ctx, { connectionId: c.id, probeId, reason: "schedule" });
    expect(first.state).toBe("degraded");
    const again = await probeConnection(ctx, { connectionId: c.id, probeId, reason: "schedule" });
    expect(again.outcome).toBe("skipped");
    const after = await connection(c.id);
    expect(after.consecutiveFailures).toBe(1);
    expect((await eventsOf(c.id)).filter((e) => e.probeId === probeId)).toHaveLength(1);
  });
});

describe("a stored shard that disagrees with the key's suffix", () => {
  it("is corrected from the suffix, with a timeline row saying so", async () => {
    clock = new Date();
    const c = await healthyClinic("suffix-fix");
    await t.db.update(connections).set({ region: "uk1" }).where(eq(connections.id, c.id));
    expect((await c.probe()).state).toBe("healthy");
    expect((await connection(c.id)).region).toBe("au2");
    const events = await eventsOf(c.id);
    expect(events.some((e) => e.kind === "region_changed" && e.message.includes("uk1 to au2"))).toBe(true);
  });
});

describe("one bad job never fails its batch (issue 10, reliability 4)", () => {
  it("reports per job: the probe that crashes fails alone, its batch-mates complete and are written", async () => {
    clock = new Date();
    const good1 = await healthyClinic("batch-good-1");
    const bad = await healthyClinic("batch-bad");
    const good2 = await healthyClinic("batch-good-2");
    const crashing = {
      ...ctx.vendors,
      verify: async (...args: Parameters<typeof ctx.vendors.verify>) => {
        if (args[0].key === clinikoKey("batch-bad", "au2")) throw new TypeError("a bug in our code");
        return ctx.vendors.verify(...args);
      },
    };
    const deps: ProbeDeps = { db: t.db, logger: silentLogger, keyring, vendors: crashing, alerts: ctx.alerts, probes: ctx.probes };
    const job = (connectionId: string) => ({ id: randomUUID(), name: "probe", data: { connectionId, reason: "schedule" } }) as unknown as Job<object>;
    const jobs = [job(good1.id), job(bad.id), job(good2.id)];
    const before = new Date();
    const results = await handleProbeBatch(jobs, deps);
    expect(results.map((r) => r.status)).toEqual(["completed", "failed", "completed"]);
    expect(results.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
    for (const id of [good1.id, good2.id]) expect((await connection(id)).lastProbeAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it("a probe that gave up after its retries is on the clinic's timeline and counted for the dashboard and /healthz", async () => {
    clock = new Date();
    const c = await healthyClinic("dead-probe");
    const before = await deadProbesLastDay(t.db);
    await handleProbeDeadBatch([{ id: randomUUID(), name: "probe-dead", data: { connectionId: c.id, reason: "schedule" } } as unknown as Job<object>], {
      db: t.db,
      logger: silentLogger,
    });
    const dead = (await eventsOf(c.id)).filter((e) => e.kind === "probe_dead");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.message).toMatch(/gave up after its retries/);
    expect(await deadProbesLastDay(t.db)).toBe(before + 1);
    const services = { db: t.db, boss, checkDatabase: async () => {} } as unknown as Services;
    const res = await healthz({ request: new Request("http://localhost/healthz"), params: {}, context: { services } });
    expect(((await res.json()) as { checks: { queue: { deadLastDay: number } } }).checks.queue.deadLastDay).toBe(before + 1);
  });
});
