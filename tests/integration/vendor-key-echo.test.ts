import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { clinics, connectionEvents, connections } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { probeConnection, type ProbeContext } from "../../domain/health/probe.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { verifyCandidateKey } from "../../domain/health/verify-key.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { isVendorError } from "../../domain/vendors/errors.ts";
import type { VendorSettings } from "../../domain/vendors/types.ts";
import { seedDemoFleet } from "../../scripts/seed-demo.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import type { PgBoss } from "pg-boss";
import { startBoss } from "../../workers/boss.ts";
import { createQueues } from "../../workers/queues.ts";
import { silentLogger } from "./alerts-fixtures.ts";

// Security item 8: a vendor that quotes the submitted key back in its error body must not get the
// key into what Relink stores (probe evidence, timeline) or shows (the verdict on a pasted key).

let t: TestDatabase;
let sim: SimulatorHandle;
let ctx: ProbeContext;
let boss: PgBoss;
let settings: VendorSettings;
const masterKey = generateMasterKey();
const archived = DEMO_FLEET.find((d) => d.scenario === "cliniko_key_archived")!;

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0, settings: { echoKeyInErrors: true } })]);
  await seedDemoFleet({ databaseUrl: t.url, masterKey, masterKeyId: "k1", nodeEnv: "test" });
  const urls = simulatorVendorEnv(sim.url);
  settings = {
    clinikoBaseUrlTemplate: urls.CLINIKO_API_URL!,
    nookalV3BaseUrls: { au: urls.NOOKAL_API_URL_AU!, eu: urls.NOOKAL_API_URL_EU!, us: urls.NOOKAL_API_URL_US! },
    nookalV2BaseUrl: urls.NOOKAL_V2_API_URL!,
    appName: "Relink tests",
    contactEmail: "tests@relink.example",
    timeoutMs: 5000,
  };
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  const queues = createQueues(boss);
  ctx = {
    db: t.db,
    keyring: keyringFromConfig(masterKey, "k1"),
    vendors: createVendorAccess(settings),
    alerts: { queue: queues.deliver, recipients: { emailClinicAdmin: false, supportEmail: null, consoleUrl: null } },
    probes: queues.probe,
  };
});
afterAll(async () => {
  await boss?.stop({ graceful: false, timeout: 2000 });
  await Promise.all([t?.drop(), sim?.close()]);
});

describe("a vendor that echoes the key in its error body", () => {
  it("really does echo it (the simulator setting this test relies on)", async () => {
    const res = await fetch(`${sim.url}/cliniko/au3/v1/user`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${archived.key}:`).toString("base64")}`,
        Accept: "application/json",
        "User-Agent": "Relink tests (tests@relink.example)",
      },
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain(archived.key);
  });

  it("the client's error carries the vendor's words with the key replaced", async () => {
    const client = createVendorClient({ vendor: "cliniko", region: archived.region, apiVersion: "v1", key: archived.key }, settings);
    const err = await client.authenticate().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isVendorError(err)).toBe(true);
    if (!isVendorError(err)) return;
    expect(err.vendorMessage).toBe("HTTP Basic: Access denied for key [key].");
    expect(JSON.stringify({ message: err.message, evidence: err.evidence() })).not.toContain(archived.key);
  });

  it("a probe stores evidence and timeline entries without the key", async () => {
    const [row] = await t.db
      .select({ id: connections.id })
      .from(connections)
      .innerJoin(clinics, eq(clinics.id, connections.clinicId))
      .where(eq(clinics.name, archived.clinicName));
    const report = await probeConnection(ctx, { connectionId: row!.id, probeId: randomUUID(), reason: "setup" });
    expect(report.failureCode).toBe("auth_rejected");
    const [after] = await t.db.select().from(connections).where(eq(connections.id, row!.id));
    const events = await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, row!.id));
    const stored = JSON.stringify({ evidence: after!.failureEvidence, events, report }, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    expect(stored).toContain("[key]");
    expect(stored).not.toContain(archived.key);
  });

  it("the verdict on a pasted key does not repeat it", async () => {
    const verdict = await verifyCandidateKey({ vendor: "cliniko", rawKey: `  ${archived.key}\n` }, ctx.vendors);
    expect(verdict.ok).toBe(false);
    // why: `key` is the cleaned key itself, kept server-side to store it; every other field is shown
    const { key: _key, ...shown } = verdict as typeof verdict & { key?: string };
    expect(JSON.stringify(shown)).not.toContain(archived.key);
  });
});
