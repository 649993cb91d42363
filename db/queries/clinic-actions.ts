import { eq, sql } from "drizzle-orm";
import { clinics, connectionEvents, connections, emailOutbox, type Connection, type NewConnectionEvent } from "../schema/index.ts";
import type { DbOrTx } from "./audit.ts";

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
      lastSuccessAt: connections.lastSuccessAt,
    })
    .from(clinics)
    .innerJoin(connections, eq(connections.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId))
    .for("update", { of: connections });
  return row;
}

export type ConsoleConnectionPatch = Partial<Pick<Connection, "state" | "stateChangedAt" | "failureCode" | "region" | "suggestedRegion">>;

export async function patchConnection({ connectionId, patch }: { connectionId: string; patch: ConsoleConnectionPatch }, tx: DbOrTx): Promise<void> {
  await tx.update(connections).set({ ...patch, updatedAt: sql`now()` }).where(eq(connections.id, connectionId));
}

export async function insertTimelineEvent(event: NewConnectionEvent, tx: DbOrTx): Promise<void> {
  await tx.insert(connectionEvents).values(event);
}

/** Queues an email in the outbox the alerts engineer built; SMTP delivery (when configured) picks rows up from there. */
export async function queueEmail(email: { to: string; subject: string; text: string }, tx: DbOrTx): Promise<{ id: string }> {
  const [row] = await tx.insert(emailOutbox).values(email).returning({ id: emailOutbox.id });
  return row!;
}
