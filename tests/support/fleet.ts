import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { clinics, connectionEvents, connections, type NewConnection } from "../../db/schema/index.ts";
import { sealApiKey, type Keyring } from "../../domain/connections/key-storage.ts";

/** Inserts one clinic with its connection in the given shape; returns both ids. */
export async function insertClinic(
  db: Db,
  input: { name: string; adminEmail?: string; country?: string } & Partial<Omit<NewConnection, "id" | "clinicId">>,
): Promise<{ clinicId: string; connectionId: string }> {
  const { name, adminEmail, country, ...conn } = input;
  const [clinic] = await db
    .insert(clinics)
    .values({
      name,
      timeZone: "Australia/Sydney",
      country: country ?? "AU",
      adminName: "Pat Admin",
      adminEmail: adminEmail ?? `admin@${name.toLowerCase().replace(/[^a-z]+/g, "")}.test`,
    })
    .returning({ id: clinics.id });
  const connectionId = randomUUID();
  await db.insert(connections).values({ id: connectionId, clinicId: clinic!.id, vendor: "cliniko", region: "au1", apiVersion: "v1", ...conn });
  await db
    .insert(connectionEvents)
    .values({ connectionId, clinicId: clinic!.id, kind: "created", toState: conn.state ?? "setup_pending", actor: "system", message: "Created by a test" });
  return { clinicId: clinic!.id, connectionId };
}

/**
 * A Cliniko connection row as weeks of healthy probes leave it (last success `since`, patients seen),
 * its key sealed to the row: for benches and tests that start from a working fleet without probing it.
 */
export function healthyClinikoConnection(
  keyring: Keyring,
  {
    id = randomUUID(),
    clinicId,
    shard,
    key,
    since,
    patients = 20,
  }: { id?: string; clinicId: string; shard: string; key: string; since: Date; patients?: number },
) {
  return {
    id,
    clinicId,
    vendor: "cliniko" as const,
    region: shard,
    apiVersion: "v1",
    state: "healthy" as const,
    stateChangedAt: since,
    lastSuccessAt: since,
    lastProbeAt: since,
    everHadPatients: true,
    visiblePatientCount: patients,
    ...sealApiKey(keyring, id, { vendor: "cliniko", key, region: shard }),
  };
}
