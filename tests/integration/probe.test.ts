import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { clinics, connectionEvents, connections } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { probeConnection, type ProbeContext } from "../../domain/health/probe.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { seedDemoFleet } from "../../scripts/seed-demo.ts";
import { startBoss } from "../../workers/boss.ts";
import { createQueues } from "../../workers/queues.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import type { PgBoss } from "pg-boss";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { listProbeTicks } from "../../db/queries/probe-history.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let sim: SimulatorHandle;
let ctx: ProbeContext;
let boss: PgBoss;
const masterKey = generateMasterKey();

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  await seedDemoFleet({ databaseUrl: t.url, masterKey, masterKeyId: "k1", nodeEnv: "test" });
  const urls = simulatorVendorEnv(sim.url);
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  const queues = createQueues(boss);
  ctx = {
    alerts: { queue: queues.deliver, recipients: { emailClinicAdmin: false, supportEmail: null, consoleUrl: null } },
    probes: queues.probe,
    db: t.db,
    keyring: keyringFromConfig(masterKey, "k1"),
    vendors: createVendorAccess({
      clinikoBaseUrlTemplate: urls.CLINIKO_API_URL!,
      nookalV3BaseUrls: { au: urls.NOOKAL_API_URL_AU!, eu: urls.NOOKAL_API_URL_EU!, us: urls.NOOKAL_API_URL_US! },
      nookalV2BaseUrl: urls.NOOKAL_V2_API_URL!,
      appName: "Relink tests",
      contactEmail: "tests@relink.example",
      timeoutMs: 5000,
    }),
  };
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await Promise.all([t?.drop(), sim?.close()]);
});

async function connectionOf(clinicName: string) {
  const [row] = await t.db
    .select({ connection: connections })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(eq(clinics.name, clinicName));
  return row!.connection;
}

describe("probing the demo fleet against the simulator", () => {
  it.each(DEMO_FLEET.map((d) => [d.scenario, d] as const))("%s is classified as the simulator intends", async (_scenario, demo) => {
    const before = await connectionOf(demo.clinicName);
    const report = await probeConnection(ctx, { connectionId: before.id, probeId: randomUUID(), reason: "setup" });
    const after = await connectionOf(demo.clinicName);
    expect(after.failureCode).toBe(demo.expectedFailure);
    expect(report.failureCode).toBe(demo.expectedFailure);
    expect(after.lastProbeAt).not.toBeNull();
    // every probe leaves a tick for the clinic page's strip (issue 11)
    const ticks = await listProbeTicks({ clinicId: after.clinicId }, t.db);
    expect(ticks.at(-1)).toMatchObject({ ok: demo.expectedFailure === null, failureCode: demo.expectedFailure, state: after.state });
    if (demo.expectedFailure === null) {
      expect(after.state).toBe("healthy");
      expect(after.visiblePatientCount).toBeGreaterThan(0);
      expect(after.lastSuccessAt).not.toBeNull();
    }
    if (demo.expectedFailure === "wrong_region") expect(after.suggestedRegion).toBe(demo.suggestedRegion);
    if (demo.expectedFailure === "auth_rejected" || demo.expectedFailure === "permission_denied") expect(after.state).toBe("action_required");
  });

  it("writes no timeline row for a healthy probe that changes nothing", async () => {
    const healthy = await connectionOf(DEMO_FLEET.find((d) => d.expectedFailure === null)!.clinicName);
    const count = async () => (await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, healthy.id))).length;
    const before = await count();
    await probeConnection(ctx, { connectionId: healthy.id, probeId: randomUUID(), reason: "schedule" });
    await probeConnection(ctx, { connectionId: healthy.id, probeId: randomUUID(), reason: "schedule" });
    expect(await count()).toBe(before);
    const after = await connectionOf(DEMO_FLEET.find((d) => d.expectedFailure === null)!.clinicName);
    expect(after.lastProbeAt!.getTime()).toBeGreaterThan(healthy.lastProbeAt!.getTime());
  });
});
