import { desc, eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { connections, probeHistory } from "../schema/index.ts";
import type { ConnectionState, FailureCode, ProbeTickKind } from "../../domain/vocabulary.ts";

/** Probes kept per connection: the clinic page's strip shows the last 60. */
export const PROBE_HISTORY_KEEP = 60;

/**
 * One probe's tick, and the connection's ticks beyond the newest PROBE_HISTORY_KEEP dropped, in one
 * statement. why one statement: the probe's common write is a single prepared UPDATE (bench:fleet);
 * this adds one round trip, not two.
 */
export async function recordProbeTick(
  tick: {
    connectionId: string;
    at: Date;
    ok: boolean;
    failureCode: FailureCode | null;
    state: ConnectionState;
    httpStatus: number | null;
    ms: number | null;
    kind?: ProbeTickKind;
  },
  db: DbOrTx,
): Promise<void> {
  await db.execute(sql`
    with added as (
      insert into ${probeHistory} (connection_id, at, ok, failure_code, state, http_status, ms, kind)
      values (${tick.connectionId}, ${tick.at.toISOString()}, ${tick.ok}, ${tick.failureCode}, ${tick.state}, ${tick.httpStatus}, ${tick.ms}, ${tick.kind ?? "probe"})
      returning id
    )
    delete from ${probeHistory} p
    where p.connection_id = ${tick.connectionId}
      and p.id < (select h.id from ${probeHistory} h where h.connection_id = ${tick.connectionId}
                  order by h.at desc, h.id desc offset ${PROBE_HISTORY_KEEP - 1} limit 1)`);
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
    .orderBy(desc(probeHistory.at), desc(probeHistory.id))
    .limit(limit);
  return rows.reverse();
}
