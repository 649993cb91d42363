import { and, desc, eq, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { accountChanges, clinics, connections, type AccountChange, type NewAccountChange } from "../schema/index.ts";
import type { AccountChangeStatus } from "../../domain/vocabulary.ts";

/** Serialises "is this key already used?" and the write that stores it, for one key, until commit. */
export async function lockKeyFingerprint({ fingerprint }: { fingerprint: string }, tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`key-fingerprint:${fingerprint}`}, 0))`);
}

/** Clinics (not archived) whose connection stores a key with one of these fingerprints, other than `exceptConnectionId`. */
export async function findClinicsUsingKey(
  { fingerprints, exceptConnectionId, limit = 5 }: { fingerprints: string[]; exceptConnectionId?: string | null; limit?: number },
  db: DbOrTx,
): Promise<{ clinicId: string; clinicName: string; connectionId: string; fingerprint: string }[]> {
  if (fingerprints.length === 0) return [];
  return db
    .select({ clinicId: connections.clinicId, clinicName: clinics.name, connectionId: connections.id, fingerprint: sql<string>`${connections.keyFingerprint}` })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(
      and(
        inArray(connections.keyFingerprint, fingerprints),
        isNull(clinics.archivedAt),
        exceptConnectionId ? ne(connections.id, exceptConnectionId) : undefined,
      ),
    )
    .limit(limit);
}

const OPEN: AccountChangeStatus[] = ["asked", "awaiting_support"];

/** Closes any open question for the connection (a newer key replaces it), wiping its sealed key. */
export async function closeOpenAccountChanges(
  { connectionId, status, now, by }: { connectionId: string; status: AccountChangeStatus; now: Date; by: string },
  tx: DbOrTx,
): Promise<number> {
  const rows = await tx
    .update(accountChanges)
    .set({ status, decidedAt: now, decidedBy: by, keyCiphertext: null, keyIv: null, keyTag: null, keyId: null })
    .where(and(eq(accountChanges.connectionId, connectionId), inArray(accountChanges.status, OPEN)))
    .returning({ id: accountChanges.id });
  return rows.length;
}

export async function insertAccountChange(row: NewAccountChange, tx: DbOrTx): Promise<void> {
  await tx.insert(accountChanges).values(row);
}

/** The open account change of a connection (asked or waiting for support), locked when `lock`. */
export async function findOpenAccountChange(
  { connectionId, clinicId, lock = false }: { connectionId?: string; clinicId?: string; lock?: boolean },
  db: DbOrTx,
): Promise<AccountChange | undefined> {
  const q = db
    .select()
    .from(accountChanges)
    .where(
      and(
        connectionId ? eq(accountChanges.connectionId, connectionId) : undefined,
        clinicId ? eq(accountChanges.clinicId, clinicId) : undefined,
        inArray(accountChanges.status, OPEN),
      ),
    )
    .orderBy(desc(accountChanges.createdAt))
    .limit(1);
  const [row] = lock ? await q.for("update") : await q;
  return row;
}

export async function updateAccountChange(
  { id, patch }: { id: string; patch: Partial<Omit<NewAccountChange, "id" | "connectionId" | "clinicId">> },
  tx: DbOrTx,
): Promise<void> {
  await tx.update(accountChanges).set(patch).where(eq(accountChanges.id, id));
}

/** Questions nobody answered in time: closed, their sealed keys wiped. */
export async function expireUnansweredAccountChanges({ before, now }: { before: Date; now: Date }, db: DbOrTx): Promise<number> {
  const rows = await db
    .update(accountChanges)
    .set({ status: "discarded", decidedAt: now, decidedBy: "system", keyCiphertext: null, keyIv: null, keyTag: null, keyId: null })
    .where(and(eq(accountChanges.status, "asked"), lt(accountChanges.createdAt, before)))
    .returning({ id: accountChanges.id });
  return rows.length;
}
