import type { DbOrTx } from "../client.ts";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { clinics, connections, type NewClinic, type NewConnection } from "../schema/index.ts";

/**
 * Writes that create, edit and archive clinics (adding by hand, CSV import, the edit page).
 * The callers hold a transaction; these functions only touch rows.
 */

/**
 * Serialises every path that creates or renames clinics for the rest of the transaction.
 * why: names are unique by the product's rule (case-insensitive), but old data may already hold
 * duplicates, so a unique index cannot be added; a transaction-scoped advisory lock makes the
 * "no clinic has this name yet" check and the insert one step.
 */
export async function lockClinicNames(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('relink:clinic-names'))`);
}

/** Clinics (archived too) whose name matches one of `keys` (already lower-cased and space-collapsed). */
export async function findClinicsByNameKeys({ keys, exceptClinicId }: { keys: string[]; exceptClinicId?: string }, tx: DbOrTx) {
  if (keys.length === 0) return [];
  const key = sql<string>`lower(regexp_replace(trim(${clinics.name}), '\\s+', ' ', 'g'))`;
  const rows = await tx
    .select({ id: clinics.id, name: clinics.name, archivedAt: clinics.archivedAt, key })
    .from(clinics)
    .where(and(inArray(key, keys), exceptClinicId ? sql`${clinics.id} <> ${exceptClinicId}` : undefined));
  return rows;
}

// why: PostgreSQL allows 65,535 bind parameters per statement; a 5,000-row import exceeds that in one insert
const CHUNK = 500;
function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

/** Inserts clinics and returns their ids in the order given. */
export async function insertClinics(rows: NewClinic[], tx: DbOrTx): Promise<{ id: string }[]> {
  const out: { id: string }[] = [];
  for (const part of chunks(rows)) out.push(...(await tx.insert(clinics).values(part).returning({ id: clinics.id })));
  return out;
}

export async function insertConnections(rows: NewConnection[], tx: DbOrTx): Promise<void> {
  for (const part of chunks(rows)) await tx.insert(connections).values(part);
}

/** The clinic row, locked, with its connection's id and state (for edit and archive). */
export async function lockClinic({ clinicId }: { clinicId: string }, tx: DbOrTx) {
  const [row] = await tx
    .select({
      clinic: clinics,
      connectionId: connections.id,
      state: connections.state,
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId))
    .for("update", { of: clinics });
  return row;
}

export async function updateClinic(
  { clinicId, patch }: { clinicId: string; patch: Partial<Pick<NewClinic, "name" | "timeZone" | "country" | "adminName" | "adminEmail" | "archivedAt">> },
  tx: DbOrTx,
): Promise<void> {
  await tx
    .update(clinics)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(clinics.id, clinicId));
}

/** One page of archived clinics, most recently archived first. */
export async function listArchivedClinics({ page = 1, pageSize = 50 }: { page?: number; pageSize?: number }, db: DbOrTx) {
  const [rows, [total]] = await Promise.all([
    db
      .select({
        id: clinics.id,
        name: clinics.name,
        country: clinics.country,
        adminEmail: clinics.adminEmail,
        archivedAt: clinics.archivedAt,
        vendor: connections.vendor,
      })
      .from(clinics)
      .leftJoin(connections, eq(connections.clinicId, clinics.id))
      .where(isNotNull(clinics.archivedAt))
      .orderBy(sql`${clinics.archivedAt} desc`, clinics.name)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(clinics)
      .where(isNotNull(clinics.archivedAt)),
  ]);
  return { rows, total: total?.n ?? 0 };
}
