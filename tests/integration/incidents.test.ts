import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertNotifications, alerts, clinics, connections, events, vendorIncidents, vendorIncidentTimeline } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { escalationText } from "../../domain/health/escalation.ts";
import { DEFAULT_INCIDENT_SETTINGS } from "../../domain/incidents/rules.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { simulatorVendorSettings } from "../../simulator/control-client.ts";
import { clinikoKey } from "../../simulator/keys.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { addClinikoAccount, addClinikoKey, type ClinikoAccount } from "../../simulator/world.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleProbeBatch, handleProbeSweep, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { createQueues } from "../../workers/queues.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { healthyClinikoConnection } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

/**
 * Vendor incidents (issue 16, docs/decisions/0049) end to end: the real probe sweep and probe
 * handlers, pg-boss queues on a real Postgres, the simulator over HTTP, and a clock the test moves.
 * Each "tick" runs what a worker would have run by then: the sweep's probes, confirmations, canaries.
 */

let t: TestDatabase;
let sim: SimulatorHandle;
let boss: PgBoss;
let deps: ProbeDeps;
let clock = new Date("2026-12-01T09:00:00Z");
const keyring = keyringFromConfig(generateMasterKey(), "k1");
const SUPPORT = "support@relink.example";
const INTERVAL_MINUTES = 5;

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0, demo: false })]);
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  const queues = createQueues(boss);
  deps = {
    db: t.db,
    logger: silentLogger,
    keyring,
    vendors: createVendorAccess(simulatorVendorSettings(sim.url, { timeoutMs: 3000 })),
    alerts: {
      queue: queues.deliver,
      recipients: { emailClinicAdmin: true, supportEmail: SUPPORT, consoleUrl: "https://relink.example" },
      incidents: DEFAULT_INCIDENT_SETTINGS,
    },
    probes: queues.probe,
    intervalMinutes: INTERVAL_MINUTES,
    now: () => clock,
  };
}, 60_000);
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await Promise.all([t?.drop(), sim?.close()]);
});

interface Fleet {
  label: string;
  shard: string;
  ids: string[];
  clinicIds: string[];
  accounts: ClinikoAccount[];
  keys: string[];
}

/** `n` clinics on `shard`, each with a working key and a healthy history (as a week of probes would leave them). */
async function healthyFleet(label: string, shard: string, n: number): Promise<Fleet> {
  const fleet: Fleet = { label, shard, ids: [], clinicIds: [], accounts: [], keys: [] };
  const since = new Date(clock.getTime() - 3600_000);
  for (let from = 0; from < n; from += 250) {
    const size = Math.min(250, n - from);
    const rows = await t.db
      .insert(clinics)
      .values(
        Array.from({ length: size }, (_, i) => ({
          name: `${label} ${from + i}`,
          timeZone: "Australia/Sydney",
          country: "AU",
          adminEmail: `admin-${from + i}@${label}.example`,
        })),
      )
      .returning({ id: clinics.id });
    const values = rows.map((clinic, i) => {
      const key = clinikoKey(`${label}-${from + i}`, shard);
      const account = addClinikoAccount(sim.world, { label: `${label}-${from + i}`, shard, patients: 20 });
      addClinikoKey(sim.world, account, { key });
      const row = healthyClinikoConnection(keyring, { clinicId: clinic.id, shard, key, since });
      fleet.ids.push(row.id);
      fleet.clinicIds.push(clinic.id);
      fleet.accounts.push(account);
      fleet.keys.push(key);
      return row;
    });
    await t.db.insert(connections).values(values);
  }
  return fleet;
}

/**
 * Runs the probe jobs due by the test's clock — everything queued, since the clock only moves
 * forward past each job's delay (a confirmation's 20 s, a canary's 30 s) — 50 at a time as the
 * worker does, and completes them. Returns how many ran.
 */
async function runDueProbes(): Promise<number> {
  let ran = 0;
  await t.db.execute(sql`update pgboss.job set start_after = now() where name = ${QUEUES.probe.name} and state = 'created' and start_after > now()`);
  const jobs = (await boss.fetch(QUEUES.probe.name, { batchSize: 5000 })) as Job<object>[];
  for (let i = 0; i < jobs.length; i += 50) {
    const batch = jobs.slice(i, i + 50);
    await handleProbeBatch(batch, deps);
    await boss.complete(
      QUEUES.probe.name,
      batch.map((j) => j.id),
    );
    ran += batch.length;
  }
  return ran;
}

/** One scheduled sweep at the clock's time, then its probes (and any canary due). */
async function sweepTick(): Promise<number> {
  await handleProbeSweep(deps);
  return runDueProbes();
}

const openIncidents = () => t.db.select().from(vendorIncidents).where(isNull(vendorIncidents.resolvedAt));
const incidentsOf = (shard: string) => t.db.select().from(vendorIncidents).where(eq(vendorIncidents.region, shard)).orderBy(asc(vendorIncidents.openedAt));
const notifications = (event?: string) =>
  t.db
    .select()
    .from(alertNotifications)
    .where(event ? eq(alertNotifications.event, event as "opened") : undefined);
const clinicMessagesOf = async (fleet: Fleet) =>
  fleet.clinicIds.length === 0
    ? []
    : t.db
        .select()
        .from(alertNotifications)
        .where(and(inArray(alertNotifications.clinicId, fleet.clinicIds), eq(alertNotifications.audience, "clinic_admin")))
        .orderBy(asc(alertNotifications.createdAt), asc(alertNotifications.id));
const supportMessagesOf = async (fleet: Fleet) =>
  t.db
    .select()
    .from(alertNotifications)
    .where(and(inArray(alertNotifications.clinicId, fleet.clinicIds), eq(alertNotifications.audience, "support")));

async function resetQueue(): Promise<void> {
  // why: each scenario starts with no probe waiting from the one before
  await t.db.execute(sql`delete from pgboss.job where name = ${QUEUES.probe.name}`);
}

describe("a shard outage over 500 clinics (issue 16)", () => {
  it("opens one incident, emails no clinic, tells support a bounded number of times, and resolves within a probe interval of recovery", async () => {
    await resetQueue();
    const au1 = await healthyFleet("outage-au1", "au1", 500);
    const au2 = await healthyFleet("outage-au2", "au2", 30);
    const start = clock;
    sim.world.regionFaults.set("cliniko:au1", { outage: {} });

    // 40 simulated minutes of outage, one sweep every 5
    let probes = 0;
    for (let minute = 0; minute < 40; minute += INTERVAL_MINUTES) {
      clock = new Date(start.getTime() + minute * 60_000);
      probes += await sweepTick();
    }
    const incidents = await incidentsOf("au1");
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident.resolvedAt).toBeNull();
    expect(incident.openedAt.getTime()).toBe(start.getTime());
    expect(incident.firstEvidence).toMatchObject({ failureCode: "vendor_unavailable", httpStatus: 503 });
    expect(incident.peakAffected).toBe(500);
    expect(await incidentsOf("au2")).toHaveLength(0);

    // the degraded alerts past 30 minutes are grouped and held: no clinic email, no per-clinic support email
    const grouped = await t.db.select().from(alerts).where(eq(alerts.incidentId, incident.id));
    expect(grouped.length).toBeGreaterThan(0);
    expect(grouped.every((a) => a.kind === "degraded_too_long" && a.hold === "held")).toBe(true);
    expect(grouped[0]!.packet.vendorIncident?.id).toBe(incident.id);
    expect(escalationText(grouped[0]!.packet)).toContain("Vendor incident: Cliniko au1 is failing for 500 of 500 clinics");
    expect(await clinicMessagesOf(au1)).toHaveLength(0);
    expect(await supportMessagesOf(au1)).toHaveLength(0);
    expect(await clinicMessagesOf(au2)).toHaveLength(0);

    // thinned probing: the failing shard is probed at about a quarter of its rate after the first sweep
    const fullRate = 8 * 530;
    expect(probes).toBeLessThan(fullRate * 0.45);

    // recovery: the canaries see it first, then every failing connection is probed at once
    sim.world.regionFaults.delete("cliniko:au1");
    const recoveredAt = new Date(start.getTime() + 40 * 60_000);
    clock = new Date(recoveredAt.getTime() + 30_000);
    // the canaries, due every 30 s: they work, and ask for the recovery re-probe
    expect(await runDueProbes()).toBe(DEFAULT_INCIDENT_SETTINGS.canaries);
    clock = new Date(recoveredAt.getTime() + 45_000);
    // the recovery re-probe of every connection still failing (none crashed: the job table has no retry)
    expect(await runDueProbes()).toBeGreaterThanOrEqual(497);
    expect(await t.db.execute(sql`select 1 from pgboss.job where name = ${QUEUES.probe.name} and state in ('retry', 'failed')`)).toHaveLength(0);
    const [resolved] = await incidentsOf("au1");
    expect(resolved!.resolvedAt).not.toBeNull();
    expect(resolved!.resolvedAt!.getTime() - recoveredAt.getTime()).toBeLessThanOrEqual(INTERVAL_MINUTES * 60_000);
    expect(resolved!.recovered).toBeGreaterThanOrEqual(250);

    // support heard: opened, then at most one update per 15 minutes (the count moved 5 → 500 once), then resolved
    const incidentMail = await notifications().then((rows) => rows.filter((r) => r.event.startsWith("incident_")));
    expect(incidentMail.map((m) => m.event).sort()).toEqual(["incident_opened", "incident_resolved", "incident_update"]);
    expect(incidentMail.length).toBeLessThanOrEqual(2 + 40 / DEFAULT_INCIDENT_SETTINGS.updateMinutes);
    expect(incidentMail.every((m) => m.target === SUPPORT && m.clinicId === null)).toBe(true);
    const opened = incidentMail.find((m) => m.event === "incident_opened")!.content as { subject: string; text: string };
    // why: it opens at the flip that reaches 30% of au1's 500 (150), not at the 5-clinic floor
    expect(opened.subject).toBe("[Relink] Incident: Cliniko au1 failing for 150 clinics");
    expect(opened.text).toContain("a new key will not help");
    const closing = incidentMail.find((m) => m.event === "incident_resolved")!.content as { subject: string; text: string };
    expect(closing.subject).toBe("[Relink] Resolved: Cliniko au1 incident (41 min)"); // 09:00 to 09:40:45

    // every connection works again; no clinic ever heard about it (held alerts recover silently)
    const after = await t.db.select({ state: connections.state, flag: connections.transientFailing }).from(connections).where(inArray(connections.id, au1.ids));
    expect(after.filter((c) => c.state === "healthy")).toHaveLength(500);
    expect(after.every((c) => !c.flag)).toBe(true);
    expect(await clinicMessagesOf(au1)).toHaveLength(0);
    expect(await supportMessagesOf(au1)).toHaveLength(0);

    // integrations got three events, not a thousand alert events
    const incidentEvents = await t.db
      .select({ type: events.type })
      .from(events)
      .where(sql`${events.type} like 'incident.%'`);
    expect(incidentEvents.map((e) => e.type).sort()).toEqual(["incident.opened", "incident.resolved", "incident.updated"]);
    const alertEvents = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(and(sql`${events.type} like 'alert.%'`, inArray(events.connectionId, au1.ids)));
    expect(alertEvents[0]!.n).toBe(0);

    const timeline = await t.db.select().from(vendorIncidentTimeline).where(eq(vendorIncidentTimeline.incidentId, incident.id));
    expect(timeline.map((r) => r.kind)).toEqual(["opened", "update", "resolved"]);
    expect(await openIncidents()).toHaveLength(0);
  }, 240_000);
});

describe("what an incident is not (issue 16)", () => {
  it("a single clinic's account outage opens no incident and alerts that clinic as usual", async () => {
    await resetQueue();
    clock = new Date("2026-12-02T09:00:00Z");
    const start = clock;
    const fleet = await healthyFleet("solo-uk1", "uk1", 12);
    fleet.accounts[0]!.faults = { outage: {} };
    for (let minute = 0; minute <= 35; minute += INTERVAL_MINUTES) {
      clock = new Date(start.getTime() + minute * 60_000);
      await sweepTick();
    }
    expect(await incidentsOf("uk1")).toHaveLength(0);
    const own = await t.db.select().from(alerts).where(eq(alerts.connectionId, fleet.ids[0]!));
    expect(own.map((a) => [a.kind, a.incidentId, a.hold])).toEqual([["degraded_too_long", null, null]]);
    expect((await clinicMessagesOf(fleet)).map((m) => m.connectionId)).toEqual([fleet.ids[0]]);
    fleet.accounts[0]!.faults = {};
  }, 120_000);

  it("an auth failure during an incident still alerts its clinic, its packet naming the incident; a clinic still failing after resolution alerts on its own", async () => {
    await resetQueue();
    clock = new Date("2026-12-03T09:00:00Z");
    const start = clock;
    const fleet = await healthyFleet("partial-ca1", "ca1", 20);
    // 16 of 20 accounts down (an incident: ≥ max(5, 30% of 20)); one healthy clinic's key is archived
    for (const a of fleet.accounts.slice(0, 16)) a.faults = { outage: {} };
    await sweepTick();
    const [incident] = await incidentsOf("ca1");
    expect(incident).toBeDefined();
    expect(incident!.affectedAtOpen).toBeGreaterThanOrEqual(6);

    const archivedKey = fleet.keys[18]!;
    sim.world.cliniko.keys.get(archivedKey)!.status = "archived";
    clock = new Date(start.getTime() + 5 * 60_000);
    await sweepTick(); // a first 401 after a healthy history: confirmation re-probe queued
    clock = new Date(clock.getTime() + 30_000);
    await runDueProbes(); // the confirmation (and canaries)
    const authAlerts = await t.db.select().from(alerts).where(eq(alerts.connectionId, fleet.ids[18]!));
    expect(authAlerts.map((a) => [a.kind, a.incidentId, a.hold])).toEqual([["connection_needs_action", null, null]]);
    expect(authAlerts[0]!.packet.vendorIncident?.summary).toMatch(/^Cliniko ca1 is failing for 16 of 20 clinics since 09:00 UTC; a new key will not help\.$/);
    const authMail = (await clinicMessagesOf(fleet)).filter((m) => m.connectionId === fleet.ids[18]);
    expect(authMail).toHaveLength(1);
    expect(authMail[0]!.event).toBe("opened");

    // 35 minutes in: the 16 are held; then 15 recover and the incident resolves, while one still fails
    for (let minute = 10; minute <= 35; minute += INTERVAL_MINUTES) {
      clock = new Date(start.getTime() + minute * 60_000);
      await sweepTick();
    }
    const held = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.incidentId, incident!.id), eq(alerts.kind, "degraded_too_long")));
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((a) => a.hold === "held")).toBe(true);
    const clinicMailBefore = (await clinicMessagesOf(fleet)).length;

    for (const a of fleet.accounts.slice(1, 16)) a.faults = {};
    clock = new Date(start.getTime() + 36 * 60_000);
    await runDueProbes(); // canaries: recovery re-probe asked
    clock = new Date(start.getTime() + 36.5 * 60_000);
    await runDueProbes();
    const [resolved] = await incidentsOf("ca1");
    expect(resolved!.resolvedAt).not.toBeNull();
    // why: it resolves at the flip that takes the count under half the threshold (6 / 2), whichever of the re-probes that is
    expect(resolved!.affectedAtResolve).toBeLessThan(3);

    // the one still failing: its held alert is released, and its next sighting tells the clinic and support
    clock = new Date(start.getTime() + 40 * 60_000);
    await sweepTick();
    const still = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.connectionId, fleet.ids[0]!), eq(alerts.kind, "degraded_too_long")));
    expect(still.map((a) => [a.status, a.hold])).toEqual([["open", null]]);
    const newMail = (await clinicMessagesOf(fleet)).slice(clinicMailBefore);
    expect(newMail.map((m) => [m.connectionId, m.event])).toEqual([[fleet.ids[0], "opened"]]);
    const support = (await supportMessagesOf(fleet)).filter((m) => m.connectionId === fleet.ids[0]);
    expect(support.map((m) => m.event)).toEqual(["opened"]);
  }, 120_000);
});
