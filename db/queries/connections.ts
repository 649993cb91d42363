import { and, asc, eq, gt, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";

import { clinics, connectionEvents, connections, type Connection, type NewConnection, type NewConnectionEvent } from "../schema/index.ts";

/** The connection and its clinic's name, with the encrypted key parts, for the probe path only. */
export async function getConnectionForProbe({ connectionId }: { connectionId: string }, db: Db) {
  const [row] = await db
    .select({ connection: connections, clinicName: clinics.name, clinicArchivedAt: clinics.archivedAt })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(eq(connections.id, connectionId));
  return row;
}

export type ConnectionPatch = Partial<
  Pick<
    Connection,
    | "state"
    | "failureCode"
    | "failureEvidence"
    | "suggestedRegion"
    | "visiblePatientCount"
    | "vendorUserName"
    | "vendorUserRole"
    | "lastProbeAt"
    | "lastSuccessAt"
    | "firstFailureAt"
    | "consecutiveFailures"
    | "region"
    | "stateChangedAt"
    | "everHadPatients"
  >
>;

/**
 * Writes a probe's result: one UPDATE, plus a timeline row only when something changed.
 * `expectedState` guards against a concurrent change (support paused it mid-probe): then nothing is written.
 */
export async function applyConnectionUpdate(
  {
    connectionId,
    expectedState,
    patch,
    event,
    within,
  }: {
    connectionId: string;
    expectedState: Connection["state"];
    patch: ConnectionPatch;
    event?: Omit<NewConnectionEvent, "connectionId" | "clinicId"> | null;
    /** More writes that must commit with this one (alerts and their delivery jobs). */
    within?: (tx: DbOrTx) => Promise<void>;
  },
  db: Db,
): Promise<boolean> {
  const update = (executor: Db | DbOrTx) =>
    executor
      .update(connections)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(and(eq(connections.id, connectionId), eq(connections.state, expectedState)))
      .returning({ clinicId: connections.clinicId });
  // why: the common case (a healthy probe that changes nothing) is one statement; BEGIN/COMMIT
  // would double its round trips across a 10,000-connection sweep
  if (!event && !within) return (await update(db)).length > 0;
  return db.transaction(async (tx) => {
    const [updated] = await update(tx);
    if (!updated) return false;
    if (event) await tx.insert(connectionEvents).values({ ...event, connectionId, clinicId: updated.clinicId });
    if (within) await within(tx);
    return true;
  });
}

/** Any subset of a connection's columns that a workflow changes (state, key, region, probe facts). */
export type ConnectionWrite = Partial<Omit<NewConnection, "id" | "clinicId" | "createdAt" | "updatedAt">>;

/** One connection's columns, inside the caller's transaction; the caller holds the row lock. */
export async function updateConnection({ connectionId, patch }: { connectionId: string; patch: ConnectionWrite }, tx: DbOrTx): Promise<void> {
  await tx
    .update(connections)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(connections.id, connectionId));
}

// why: PostgreSQL allows 65,535 bind parameters per statement; a 5,000-row import exceeds that in one insert
const EVENT_CHUNK = 500;

/** Timeline rows, in order, inside the caller's transaction. */
export async function insertConnectionEvents(events: NewConnectionEvent[], tx: DbOrTx): Promise<void> {
  for (let i = 0; i < events.length; i += EVENT_CHUNK) await tx.insert(connectionEvents).values(events.slice(i, i + EVENT_CHUNK));
}

/** Ids of every connection a sweep should probe: not paused, clinic not archived. Keyset-paged. */
export async function listProbeableConnectionIds({ after, limit }: { after?: string; limit: number }, db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(and(ne(connections.state, "paused"), isNull(clinics.archivedAt), after ? sql`${connections.id} > ${after}` : undefined))
    .orderBy(asc(connections.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** One page of connections whose key is sealed by a master key other than `currentKeyId`, in id order. */
export async function listConnectionsSealedWithOtherKey({ currentKeyId, after, limit }: { currentKeyId: string; after: string; limit: number }, db: DbOrTx) {
  return db
    .select({ id: connections.id, keyCiphertext: connections.keyCiphertext, keyIv: connections.keyIv, keyTag: connections.keyTag, keyId: connections.keyId })
    .from(connections)
    .where(and(gt(connections.id, after), isNotNull(connections.keyId), ne(connections.keyId, currentKeyId)))
    .orderBy(asc(connections.id))
    .limit(limit);
}

/** Stores a re-sealed key, only if the row still holds the key id it was read with. True when written. */
export async function replaceSealedKey(
  { connectionId, fromKeyId, sealed }: { connectionId: string; fromKeyId: string; sealed: { ciphertext: Buffer; iv: Buffer; tag: Buffer; keyId: string } },
  db: DbOrTx,
): Promise<boolean> {
  const updated = await db
    .update(connections)
    .set({ keyCiphertext: sealed.ciphertext, keyIv: sealed.iv, keyTag: sealed.tag, keyId: sealed.keyId })
    .where(and(eq(connections.id, connectionId), eq(connections.keyId, fromKeyId)))
    .returning({ id: connections.id });
  return updated.length > 0;
}
