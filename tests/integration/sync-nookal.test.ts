import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections, syncAppointments, syncPatients, syncResources } from "../../db/schema/index.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { syncConnection, type SyncContext } from "../../domain/sync/run.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { insertClinic } from "../support/fleet.ts";
import { startSyncWorld, type SyncWorld } from "./sync-fixtures.ts";

/**
 * Nookal's lists never show a deleted record (docs/decisions/0033-sync.md, "Reconciling Nookal"):
 * a periodic full pass lists a resource whole and marks what it did not see deleted. Real HTTP to
 * the simulator, real Postgres.
 */

let w: SyncWorld;
beforeAll(async () => {
  w = await startSyncWorld();
});
afterAll(async () => {
  await w?.close();
});

const HOUR = 3_600_000;
const sync = (connectionId: string, extra: Partial<SyncContext> = {}) =>
  syncConnection({ ...w.ctx, fullPassHours: 24, ...extra }, { connectionId, jobId: randomUUID(), trigger: "manual" });

async function nookalClinic(apiVersion: "v2" | "v3", name: string, patients: number) {
  const view = await w.control.createNookalAccount({ region: "au", apiVersion, locations: [{ name: "Main", patients }] });
  const key = view.keys[0]!.key;
  const { connectionId } = await insertClinic(w.t.db, { name, vendor: "nookal", region: "au", apiVersion, state: "healthy", lastSuccessAt: new Date() });
  await w.t.db
    .update(connections)
    .set({ ...sealApiKey(w.services.keyring, connectionId, { vendor: "nookal", key, region: "au" }), vendorAccount: null })
    .where(eq(connections.id, connectionId));
  const client = createVendorClient({ vendor: "nookal", key, region: "au", apiVersion }, w.services.vendor);
  const listed = async (resource: "patients" | "appointments") => {
    const ids = new Set<string>();
    for await (const page of client[resource]!()) for (const item of page.items) ids.add(item.id);
    return ids;
  };
  return { view, connectionId, listed };
}

const deletedIds = async (table: typeof syncPatients | typeof syncAppointments, recordSetId: string) =>
  (
    await w.t.db
      .select({ id: table.id })
      .from(table)
      .where(and(eq(table.recordSetId, recordSetId), eq(table.deleted, true)))
  )
    .map((r) => r.id)
    .sort();

const fullPassAt = async (recordSetId: string, resource: "patients" | "appointments") =>
  (
    await w.t.db
      .select()
      .from(syncResources)
      .where(and(eq(syncResources.recordSetId, recordSetId), eq(syncResources.resource, resource)))
  )[0]!.lastFullPassAt;

const livePatients = async (recordSetId: string) =>
  (
    await w.t.db
      .select()
      .from(syncResources)
      .where(and(eq(syncResources.recordSetId, recordSetId), eq(syncResources.resource, "patients")))
  )[0]!.liveCount;

/** What the vendor stopped listing between two reads. */
const gone = (before: Set<string>, after: Set<string>) => [...before].filter((id) => !after.has(id)).sort();

describe("Nookal deletions are applied by a periodic full pass", () => {
  it.each(["v3", "v2"] as const)(
    "Nookal %s: a deleted patient and appointment are marked deleted by the next full pass, not by an incremental one before it is due",
    async (apiVersion) => {
      const { view, connectionId, listed } = await nookalClinic(apiVersion, `Nookal ${apiVersion} Deletions Physio`, 80);
      const first = await sync(connectionId);
      expect(first.outcome).toBe("succeeded");
      const setId = first.recordSetId!;
      // the first sync is always a full pass
      const firstPass = await fullPassAt(setId, "patients");
      expect(firstPass).not.toBeNull();
      expect(await fullPassAt(setId, "appointments")).not.toBeNull();
      expect(await deletedIds(syncPatients, setId)).toEqual([]);

      const [patientsBefore, appointmentsBefore] = [await listed("patients"), await listed("appointments")];
      expect((await w.control.change(view.id, "patients", "delete", 1)).changed).toBe(1);
      expect((await w.control.change(view.id, "appointments", "delete", 1)).changed).toBe(1);
      const deletedPatient = gone(patientsBefore, await listed("patients"));
      const deletedAppointment = gone(appointmentsBefore, await listed("appointments"));
      // the simulator hides them as Nookal does: missing from the list, no flag
      expect(deletedPatient).toHaveLength(1);
      expect(deletedAppointment).toHaveLength(1);

      // an hour later: incremental (modified since), not due for a full pass — the deletions cannot be seen yet
      const incremental = await sync(connectionId, { now: () => new Date(Date.now() + HOUR) });
      expect(incremental.outcome).toBe("succeeded");
      expect(await deletedIds(syncPatients, setId)).toEqual([]);
      expect(await deletedIds(syncAppointments, setId)).toEqual([]);
      expect(await fullPassAt(setId, "patients")).toEqual(firstPass);
      const liveBefore = await livePatients(setId);

      // 25 hours later: due; the full pass lists everything and marks exactly the two deleted
      const later = new Date(Date.now() + 25 * HOUR);
      const full = await sync(connectionId, { now: () => later });
      expect(full.outcome).toBe("succeeded");
      expect(await deletedIds(syncPatients, setId)).toEqual(deletedPatient);
      expect(await deletedIds(syncAppointments, setId)).toEqual(deletedAppointment);
      expect((await fullPassAt(setId, "patients"))!.getTime()).toBe(later.getTime());
      // the kept count (what the drop alert watches) goes down by the one deleted
      expect(await livePatients(setId)).toBe(liveBefore! - 1);
    },
  );

  it("a full pass interrupted mid-way marks nothing deleted; the next complete one does", async () => {
    // 450 patients: three pages of 200
    const { view, connectionId, listed } = await nookalClinic("v3", "Nookal Interrupted Physio", 450);
    const first = await sync(connectionId);
    expect(first.outcome).toBe("succeeded");
    const setId = first.recordSetId!;
    const firstPass = await fullPassAt(setId, "patients");
    const before = await listed("patients");
    expect(before.size).toBeGreaterThan(400);
    await w.control.change(view.id, "patients", "delete", 3);
    const deleted = gone(before, await listed("patients"));
    expect(deleted).toHaveLength(3);

    // the worker dies after committing the second page of patients (of three) in a due full pass
    const due = new Date(Date.now() + 25 * HOUR);
    let patientPages = 0;
    await expect(
      sync(connectionId, {
        now: () => due,
        onPage: ({ resource }) => {
          if (resource === "patients" && ++patientPages === 2) throw new Error("worker killed");
        },
      }),
    ).rejects.toThrow("worker killed");
    expect(patientPages).toBe(2);
    // the pass saw 400 of ~450: a reconcile here would mark the unseen page deleted — nothing is
    expect(await deletedIds(syncPatients, setId)).toEqual([]);
    expect(await fullPassAt(setId, "patients")).toEqual(firstPass);

    const complete = await sync(connectionId, { now: () => due });
    expect(complete.outcome).toBe("succeeded");
    expect(await deletedIds(syncPatients, setId)).toEqual(deleted);
    expect((await fullPassAt(setId, "patients"))!.getTime()).toBe(due.getTime());
  });
});
