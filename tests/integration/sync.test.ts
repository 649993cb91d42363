import { randomUUID } from "node:crypto";
import { and, eq, sql, type AnyColumn } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRecordSets, listRuns } from "../../db/queries/sync.ts";
import { alerts, connectionEvents, connections, syncAppointments, syncInvoices, syncLocations, syncPatients, syncResources } from "../../db/schema/index.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { insertClinic } from "../support/fleet.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { probeConnection } from "../../domain/health/probe.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { clinikoClinic, currentSetId, startSyncWorld, storedIds, storeKey, vendorIds, type SyncWorld } from "./sync-fixtures.ts";

let w: SyncWorld;
beforeAll(async () => {
  w = await startSyncWorld();
});
afterAll(async () => {
  await w?.close();
});

const connectionRow = async (id: string) => (await w.t.db.select().from(connections).where(eq(connections.id, id)))[0]!;
const sync = (connectionId: string, extra: Partial<Parameters<typeof syncConnection>[0]> = {}) =>
  syncConnection({ ...w.ctx, ...extra }, { connectionId, jobId: randomUUID(), trigger: "manual" });

describe("sync against the simulator over HTTP", () => {
  it("a full sync stores every resource exactly; an incremental one reads only what changed", async () => {
    const { view, key, connectionId } = await clinikoClinic(w, "Full Then Incremental Physio", { patients: 120, practitioners: 2 });
    const full = await sync(connectionId);
    expect(full.outcome).toBe("succeeded");
    const setId = full.recordSetId!;
    for (const r of ["patients", "appointments", "invoices"] as const) expect(await storedIds(w, setId, r)).toEqual(await vendorIds(w, key, r));
    const resources = await w.t.db.select().from(syncResources).where(eq(syncResources.recordSetId, setId));
    expect(resources.map((r) => r.resource).sort()).toEqual(
      [
        "appointment_types",
        "appointments",
        "availability_blocks",
        "daily_availabilities",
        "invoices",
        "locations",
        "patients",
        "practitioners",
        "practitioners_inactive",
        "unavailable_blocks",
      ].sort(),
    );
    expect(resources.every((r) => r.state === "succeeded" && r.pagesDone >= 1 && r.pagesDone <= r.pagesTotal)).toBe(true);
    // least personal data: no names, emails or birth dates stored for patients
    const cols = await w.t.sql<{ column_name: string }[]>`select column_name from information_schema.columns where table_name = 'sync_patients'`;
    expect(cols.map((c) => c.column_name)).not.toEqual(expect.arrayContaining(["first_name"]));
    expect(cols.some((c) => /name|email|birth|dob/.test(c.column_name))).toBe(false);
    // money exact, ids exact (beyond 2^53)
    const [inv] = await w.t.db
      .select({ id: syncInvoices.id, total: syncInvoices.totalAmount })
      .from(syncInvoices)
      .where(eq(syncInvoices.recordSetId, setId))
      .limit(1);
    expect(inv!.id).toMatch(/^\d{19}$/);
    expect(inv!.total).toMatch(/^-?\d+\.\d{2}$/);
    const connection = await connectionRow(connectionId);
    expect(connection.syncState).toBe("succeeded");
    expect(connection.lastSyncSuccessAt).not.toBeNull();

    await w.control.touch(view.id, "patients", 5);
    await w.control.touch(view.id, "invoices", 3);
    const before = (await w.control.stats()).requests;
    const incremental = await sync(connectionId);
    const requests = (await w.control.stats()).requests - before;
    expect(incremental.outcome).toBe("succeeded");
    expect(incremental.recordSetId).toBe(setId);
    expect(incremental.recordsChanged).toBe(8);
    // one page per resource is the least any incremental sync can ask (10 resources), plus the stats call:
    // the account the key belongs to was learned by the first sync and not asked again
    expect(incremental.pages).toBe(10);
    expect(requests).toBe(10 + 1);
  });

  it("records sharing one updated_at across a page boundary are all kept (150 at one second, 100 a page)", async () => {
    const { view, key, connectionId } = await clinikoClinic(w, "Equal Timestamps Physio", { patients: 400, practitioners: 1 });
    await sync(connectionId);
    const at = Date.now() - 5000;
    await w.control.touch(view.id, "patients", 250, at);
    const report = await sync(connectionId);
    expect(report.outcome).toBe("succeeded");
    const setId = report.recordSetId!;
    const stamped = await w.t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(syncPatients)
      .where(
        and(eq(syncPatients.recordSetId, setId), sql`${syncPatients.vendorUpdatedAt} = ${new Date(Math.floor(at / 1000) * 1000).toISOString()}::timestamptz`),
      );
    expect(stamped[0]!.n).toBe(250);
    expect(await storedIds(w, setId, "patients")).toEqual(await vendorIds(w, key, "patients"));
  });

  it("applies deletions, archivals and cancellations instead of leaving them stale", async () => {
    const { view, connectionId } = await clinikoClinic(w, "Removals Physio", { patients: 60, practitioners: 1 });
    const first = await sync(connectionId);
    const setId = first.recordSetId!;
    const archived = await w.control.change(view.id, "patients", "archive", 4);
    const deletedPatients = await w.control.change(view.id, "patients", "delete", 2);
    const cancelled = await w.control.change(view.id, "appointments", "cancel", 3);
    const deletedAppointments = await w.control.change(view.id, "appointments", "delete", 2);
    const deletedInvoices = await w.control.change(view.id, "invoices", "delete", 5);
    const report = await sync(connectionId);
    expect(report.outcome).toBe("succeeded");
    const count = async (q: Promise<{ n: number }[]>) => (await q)[0]!.n;
    const n = sql<number>`count(*)::int`;
    const changedSince = (col: AnyColumn, iso: string) => sql`${col} >= ${iso}::timestamptz`;
    expect(
      await count(
        w.t.db
          .select({ n })
          .from(syncPatients)
          .where(
            and(
              eq(syncPatients.recordSetId, setId),
              eq(syncPatients.archived, true),
              eq(syncPatients.deleted, false),
              changedSince(syncPatients.vendorUpdatedAt, archived.updatedAt),
            ),
          ),
      ),
    ).toBe(archived.changed);
    expect(
      await count(
        w.t.db
          .select({ n })
          .from(syncPatients)
          .where(
            and(eq(syncPatients.recordSetId, setId), eq(syncPatients.deleted, true), changedSince(syncPatients.vendorUpdatedAt, deletedPatients.updatedAt)),
          ),
      ),
    ).toBe(deletedPatients.changed);
    expect(
      await count(
        w.t.db
          .select({ n })
          .from(syncAppointments)
          .where(
            and(
              eq(syncAppointments.recordSetId, setId),
              eq(syncAppointments.status, "cancelled"),
              changedSince(syncAppointments.vendorUpdatedAt, cancelled.updatedAt),
            ),
          ),
      ),
    ).toBeGreaterThanOrEqual(cancelled.changed);
    expect(
      await count(
        w.t.db
          .select({ n })
          .from(syncAppointments)
          .where(
            and(
              eq(syncAppointments.recordSetId, setId),
              eq(syncAppointments.deleted, true),
              changedSince(syncAppointments.vendorUpdatedAt, deletedAppointments.updatedAt),
            ),
          ),
      ),
    ).toBe(deletedAppointments.changed);
    expect(
      await count(
        w.t.db
          .select({ n })
          .from(syncInvoices)
          .where(
            and(eq(syncInvoices.recordSetId, setId), eq(syncInvoices.deleted, true), changedSince(syncInvoices.vendorUpdatedAt, deletedInvoices.updatedAt)),
          ),
      ),
    ).toBe(deletedInvoices.changed);
    expect(report.recordsChanged).toBe(archived.changed + deletedPatients.changed + cancelled.changed + deletedAppointments.changed + deletedInvoices.changed);
  });

  it("a 429 mid-sync is waited out (X-RateLimit-Reset) and the sync completes", async () => {
    const { view, key, connectionId } = await clinikoClinic(w, "Rate Limited Physio", {
      patients: 30,
      practitioners: 1,
      faults: { rateLimit: 8, rateWindowMs: 1500 },
    });
    const before = (await w.control.stats()).byStatus["429"] ?? 0;
    const report = await sync(connectionId);
    expect(report.outcome).toBe("succeeded");
    expect(((await w.control.stats()).byStatus["429"] ?? 0) - before).toBeGreaterThan(0);
    expect(await storedIds(w, report.recordSetId!, "appointments")).toEqual(
      await vendorIds(w, key, "appointments").finally(() => w.control.clearAccountFaults(view.id)),
    );
  });

  it("a 401 mid-sync moves the connection exactly as a probe's 401 does", async () => {
    const bySync = await clinikoClinic(w, "Key Archived During Sync", { patients: 50, practitioners: 1 });
    const byProbe = await clinikoClinic(w, "Key Archived Before Probe", { patients: 50, practitioners: 1 });
    let archived = false;
    const report = await sync(bySync.connectionId, {
      onPage: async ({ pagesDone }) => {
        if (pagesDone >= 1 && !archived) {
          archived = true;
          await w.control.archiveClinikoKey(bySync.key);
        }
      },
    });
    expect(report.outcome).toBe("failed");
    await w.control.archiveClinikoKey(byProbe.key);
    await probeConnection(w.ctx.health, { connectionId: byProbe.connectionId, probeId: randomUUID(), reason: "schedule" });
    const [a, b] = [await connectionRow(bySync.connectionId), await connectionRow(byProbe.connectionId)];
    expect(a.failureCode).toBe("auth_rejected");
    expect({ state: a.state, failureCode: a.failureCode, consecutiveFailures: a.consecutiveFailures }).toEqual({
      state: b.state,
      failureCode: b.failureCode,
      consecutiveFailures: b.consecutiveFailures,
    });
    // the same confirmation re-probe a first rejection gets
    const confirms = await w.t
      .sql`select 1 from pgboss.job where name = 'probe' and data->>'connectionId' = ${bySync.connectionId} and data->>'reason' = 'confirm'`;
    expect(confirms.length).toBe(1);
    const runs = await listRuns({ connectionId: bySync.connectionId }, w.t.db);
    expect(runs[0]).toMatchObject({ state: "failed" });
    expect(runs[0]!.lastError).toMatch(/401/);
  });

  it("403 on invoices is permission_denied naming invoices, and the next probe does not flip it back to healthy", async () => {
    const { view, connectionId } = await clinikoClinic(w, "No Invoices Role Physio", { patients: 40, practitioners: 1, user: { denied: { invoices: 403 } } });
    const report = await sync(connectionId);
    expect(report).toMatchObject({ outcome: "failed", failedResource: "invoices", failureCode: "permission_denied" });
    let c = await connectionRow(connectionId);
    expect(c.failureCode).toBe("permission_denied");
    // why: like a probe's first 403 after a healthy history, confirmed before alarming
    expect(c.state).toBe("degraded");
    expect((c.failureEvidence as { syncResource?: string }).syncResource).toBe("invoices");
    const [event] = await w.t.db
      .select()
      .from(connectionEvents)
      .where(eq(connectionEvents.connectionId, connectionId))
      .orderBy(sql`${connectionEvents.at} desc`)
      .limit(1);
    expect(event!.message).toMatch(/invoices/);
    // the other resources still synced
    expect((await storedIds(w, report.recordSetId!, "appointments")).length).toBeGreaterThan(0);

    // the confirmation probe and the hourly one read patients fine, but re-check invoices: still refused, never healthy
    await probeConnection(w.ctx.health, { connectionId, probeId: randomUUID(), reason: "confirm" });
    c = await connectionRow(connectionId);
    expect(c.state).toBe("action_required");
    await probeConnection(w.ctx.health, { connectionId, probeId: randomUUID(), reason: "schedule" });
    c = await connectionRow(connectionId);
    expect(c.state).toBe("action_required");
    expect(c.failureCode).toBe("permission_denied");
    expect((c.failureEvidence as { syncResource?: string }).syncResource).toBe("invoices");

    // the role is fixed: the probe's re-check passes and the connection recovers
    await w.control.patchClinikoUser(view.users[0]!.id, { denied: {} });
    await probeConnection(w.ctx.health, { connectionId, probeId: randomUUID(), reason: "schedule" });
    c = await connectionRow(connectionId);
    expect(c.state).toBe("healthy");
  });

  it("a sudden drop to zero patients raises the no-patients alert with before and after", async () => {
    const { view, connectionId } = await clinikoClinic(w, "Vanishing Patients Physio", { patients: 40, practitioners: 1 });
    await sync(connectionId);
    // every patient archived: what the vendor shows when the records a key sees go away
    await w.control.change(view.id, "patients", "archive", 1000);
    const dropped = await sync(connectionId);
    const drop = dropped.drops.find((d) => d.resource === "patients");
    expect(drop).toBeDefined();
    expect(drop!.after).toBe(0);
    expect(drop!.before).toBeGreaterThan(30);
    const [alert] = await w.t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.connectionId, connectionId), eq(alerts.kind, "no_patients_visible")));
    expect(alert).toBeDefined();
    expect((alert!.packet as { recordDrop?: unknown }).recordDrop).toEqual({ resource: "patients", before: drop!.before, after: 0 });
  });

  it("a connection whose key now belongs to another account starts a new record set, never merging", async () => {
    const first = await clinikoClinic(w, "Account Change Physio", { patients: 30, practitioners: 1 });
    const a = await sync(first.connectionId);
    const other = await w.control.createClinikoAccount({ shard: "au2", patients: 45, practitioners: 1 });
    await storeKey(w, first.connectionId, other.keys[0]!.key);
    const b = await sync(first.connectionId);
    expect(b.outcome).toBe("succeeded");
    expect(b.recordSetId).not.toBe(a.recordSetId);
    const sets = await listRecordSets({ connectionId: first.connectionId }, w.t.db);
    expect(sets.map((s) => s.id)).toEqual([a.recordSetId, b.recordSetId]);
    expect(sets[0]!.retiredAt).not.toBeNull();
    expect(await currentSetId(w, first.connectionId)).toBe(b.recordSetId);
    expect(await storedIds(w, b.recordSetId!, "patients")).toEqual(await vendorIds(w, other.keys[0]!.key, "patients"));
    // the old account's records stay in their own set
    expect(await storedIds(w, a.recordSetId!, "patients")).toEqual(await vendorIds(w, first.key, "patients"));
  });
});

describe("sync of a Nookal practice", () => {
  it.each(["v3", "v2"] as const)("Nookal %s: every resource it has, locations refreshed whole, then an incremental run", async (apiVersion) => {
    const view = await w.control.createNookalAccount({ region: "au", apiVersion, locations: [{ name: "Main", patients: 60 }] });
    const key = view.keys[0]!.key;
    const { connectionId } = await insertClinic(w.t.db, {
      name: `Nookal ${apiVersion} Physio`,
      vendor: "nookal",
      region: "au",
      apiVersion,
      state: "healthy",
      lastSuccessAt: new Date(),
    });
    await w.t.db
      .update(connections)
      .set({ ...sealApiKey(w.services.keyring, connectionId, { vendor: "nookal", key, region: "au" }), vendorAccount: null })
      .where(eq(connections.id, connectionId));
    const full = await sync(connectionId);
    expect(full.outcome).toBe("succeeded");
    const setId = full.recordSetId!;
    const resources = await w.t.db.select().from(syncResources).where(eq(syncResources.recordSetId, setId));
    // Nookal lists practitioners once and has no availability data
    expect(resources.map((r) => r.resource).sort()).toEqual(["appointment_types", "appointments", "invoices", "locations", "patients", "practitioners"]);
    expect(resources.every((r) => r.state === "succeeded")).toBe(true);
    const listed: string[] = [];
    for await (const page of createVendorClient({ vendor: "nookal", key, region: "au", apiVersion }, w.services.vendor).patients())
      listed.push(...page.items.map((p) => p.id));
    expect(listed.length).toBeGreaterThan(50);
    expect(await storedIds(w, setId, "patients")).toEqual([...new Set(listed)].sort());
    const locations = await w.t.db.select().from(syncLocations).where(eq(syncLocations.recordSetId, setId));
    expect(locations.map((l) => l.name)).toEqual(["Main"]);
    const again = await sync(connectionId);
    expect(again.outcome).toBe("succeeded");
    expect(again.recordSetId).toBe(setId);
    expect(await storedIds(w, setId, "patients")).toEqual([...new Set(listed)].sort());
  });
});
