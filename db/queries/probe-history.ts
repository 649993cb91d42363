import { desc, eq, sql } from "drizzle-orm";
import { inTransaction, type Db, type DbOrTx } from "../client.ts";
import { connections, PROBE_HISTORY_KEEP, probeHistory } from "../schema/index.ts";
import type { ProbeTick } from "./connections.ts";

export { PROBE_HISTORY_KEEP };

/**
 * One tick into its ring slot, inside the caller's transaction; `seq` is the connection's
 * probe_seq before this probe (the caller incremented it in the same transaction).
 * The periodic probe's common write records its tick inside its own statement instead
 * (touchProbedConnection); this is for the other writes.
 */
export async function writeProbeTick(
  { connectionId, seq, at, tick }: { connectionId: string; seq: number; at: Date; tick: ProbeTick },
  tx: DbOrTx,
): Promise<void> {
  const row = {
    connectionId,
    slot: seq % PROBE_HISTORY_KEEP,
    at,
    ok: tick.ok,
    failureCode: tick.failureCode,
    state: tick.state,
    httpStatus: tick.httpStatus,
    ms: tick.ms,
    kind: tick.kind ?? "probe",
  };
  await tx
    .insert(probeHistory)
    .values(row)
    .onConflictDoUpdate({
      target: [probeHistory.connectionId, probeHistory.slot],
      set: { at: row.at, ok: row.ok, failureCode: row.failureCode, state: row.state, httpStatus: row.httpStatus, ms: row.ms, kind: row.kind },
    });
}

/**
 * A tick for a verify that is not a periodic probe (add clinic, a support-entered key): takes the
 * connection's next slot and writes it, in one transaction.
 */
export async function recordProbeTick({ connectionId, at, ...tick }: { connectionId: string; at: Date } & ProbeTick, db: DbOrTx): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [row] = await tx
      .update(connections)
      .set({ probeSeq: sql`${connections.probeSeq} + 1` })
      .where(eq(connections.id, connectionId))
      .returning({ seq: sql<number>`${connections.probeSeq} - 1` });
    if (row) await writeProbeTick({ connectionId, seq: row.seq, at, tick }, tx);
  });
}

/** The clinic's connection's recent probes, oldest first (the strip reads left to right). */
export async function listProbeTicks({ clinicId, limit = PROBE_HISTORY_KEEP }: { clinicId: string; limit?: number }, db: Db) {
  const rows = await db
    .select({
      at: probeHistory.at,
      ok: probeHistory.ok,
      failureCode: probeHistory.failureCode,
      state: probeHistory.state,
      httpStatus: probeHistory.httpStatus,
      kind: probeHistory.kind,
    })
    .from(probeHistory)
    .innerJoin(connections, eq(connections.id, probeHistory.connectionId))
    .where(eq(connections.clinicId, clinicId))
    .orderBy(desc(probeHistory.at), desc(probeHistory.slot))
    .limit(limit);
  return rows.reverse();
}
