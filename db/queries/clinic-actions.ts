import type { DbOrTx } from "../client.ts";
import { eq } from "drizzle-orm";
import { clinics, connections } from "../schema/index.ts";

/** The clinic's connection, row-locked until the transaction ends, with what the console's actions need. */
export async function lockConnectionOfClinic({ clinicId }: { clinicId: string }, tx: DbOrTx) {
  const [row] = await tx
    .select({
      clinicId: clinics.id,
      clinicName: clinics.name,
      clinicArchivedAt: clinics.archivedAt,
      adminEmail: clinics.adminEmail,
      adminName: clinics.adminName,
      connectionId: connections.id,
      vendor: connections.vendor,
      region: connections.region,
      apiVersion: connections.apiVersion,
      state: connections.state,
      failureCode: connections.failureCode,
      suggestedRegion: connections.suggestedRegion,
      keyHint: connections.keyHint,
      lastSuccessAt: connections.lastSuccessAt,
    })
    .from(clinics)
    .innerJoin(connections, eq(connections.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId))
    .for("update", { of: connections });
  return row;
}
