import { and, eq, sql } from "drizzle-orm";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { syncContext } from "../../composition/services.ts";
import { connections, syncAppointments, syncInvoices, syncPatients, syncRecordSets } from "../../db/schema/index.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import type { SyncContext } from "../../domain/sync/run.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import type { ListOptions, Page } from "../../domain/vendors/types.ts";
import { controlClient, type NewClinikoAccountBody } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestServices, type TestServices } from "../support/services.ts";

/** A test database, a simulator over HTTP and the composition root's services pointing at it. */
export interface SyncWorld {
  t: TestDatabase;
  sim: SimulatorHandle;
  control: ReturnType<typeof controlClient>;
  services: TestServices;
  ctx: SyncContext;
  close(): Promise<void>;
}

export async function startSyncWorld(): Promise<SyncWorld> {
  const [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0, demo: false })]);
  const services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  return {
    t,
    sim,
    control: controlClient(sim.url),
    services,
    ctx: syncContext(services),
    async close() {
      await services.stop();
      await Promise.all([t.drop(), sim.close()]);
    },
  };
}

/** A Cliniko account in the simulator and a healthy clinic whose connection holds its key. */
export async function clinikoClinic(w: SyncWorld, name: string, account: Omit<NewClinikoAccountBody, "shard"> = {}) {
  const view = await w.control.createClinikoAccount({ shard: "au2", ...account });
  const key = view.keys[0]!.key;
  const { connectionId, clinicId } = await insertClinic(w.t.db, {
    name,
    region: "au2",
    state: "healthy",
    lastSuccessAt: new Date(Date.now() - 3600_000),
    everHadPatients: true,
  });
  await storeKey(w, connectionId, key);
  return { view, key, connectionId, clinicId };
}

export async function storeKey(w: SyncWorld, connectionId: string, key: string): Promise<void> {
  await w.t.db
    .update(connections)
    .set({ ...sealApiKey(w.services.keyring, connectionId, { vendor: "cliniko", key, region: "au2" }), vendorAccount: null })
    .where(eq(connections.id, connectionId));
}

/** Every id the vendor lists for a resource (archived and deleted included), read straight from the simulator. */
export async function vendorIds(w: SyncWorld, key: string, list: "patients" | "appointments" | "invoices"): Promise<string[]> {
  const client = createVendorClient({ vendor: "cliniko", key, region: "au2", apiVersion: "v1" }, w.services.vendor);
  const ids: string[] = [];
  const opts: ListOptions = { from: { at: "", page: 1 }, includeRemoved: true };
  const pages: AsyncIterable<Page<{ id: string }>> = client[list](opts);
  for await (const page of pages) for (const item of page.items) ids.push(item.id);
  return [...new Set(ids)].sort();
}

export async function storedIds(w: SyncWorld, recordSetId: string, table: "patients" | "appointments" | "invoices"): Promise<string[]> {
  const t = { patients: syncPatients, appointments: syncAppointments, invoices: syncInvoices }[table];
  const rows = await w.t.db.select({ id: t.id }).from(t).where(eq(t.recordSetId, recordSetId));
  return rows.map((r) => r.id).sort();
}

export async function currentSetId(w: SyncWorld, connectionId: string): Promise<string> {
  const [row] = await w.t.db
    .select({ id: syncRecordSets.id })
    .from(syncRecordSets)
    .where(and(eq(syncRecordSets.connectionId, connectionId), sql`${syncRecordSets.retiredAt} is null`));
  return row!.id;
}
