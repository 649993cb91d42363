import { and, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { clinics, connections } from "../schema/index.ts";
import type { FailingSinceBand } from "../../domain/vocabulary.ts";

/**
 * The one definition of "broken now" (docs/decisions/0028-broken-now.md), used by the dashboard
 * headline, the clinics table's filter and the "work the broken clinics" button (the same filter),
 * and the alert inbox's count. Meaning (domain/vocabulary.ts BROKEN_NOW_MEANING): the last probe
 * failed — the connection has an open failure episode (first_failure_at is set by the first failed
 * probe and cleared by the one "key accepted" transition) — whatever the workflow state, except a
 * deliberate pause. Archived clinics are never counted (callers exclude them as every fleet view does).
 *
 * why: the same predicate is the WHERE of connections_broken_now_idx (db/schema/connections.ts); the
 * planner uses a partial index only when the query implies its predicate: change both together.
 */
export const BROKEN_NOW: SQL = sql`(${connections.firstFailureAt} is not null and ${connections.state} <> 'paused')`;

const BAND_INTERVAL: Record<FailingSinceBand, SQL> = {
  // why: rolling windows from now rather than calendar days: no zone to choose, same rows for every agent
  today: sql`${connections.firstFailureAt} > now() - interval '1 day'`,
  yesterday: sql`${connections.firstFailureAt} > now() - interval '2 days'`,
  week: sql`${connections.firstFailureAt} <= now() - interval '7 days'`,
};

/** Broken now, and (optionally) failing since one of the bands. */
export function brokenNowCondition(band?: FailingSinceBand): SQL {
  return band ? and(BROKEN_NOW, BAND_INTERVAL[band])! : BROKEN_NOW;
}

const NOT_ARCHIVED = sql`${connections.clinicId} not in (select ${clinics.id} from ${clinics} where ${clinics.archivedAt} is not null)`;

/**
 * Active clinics broken now, in total and per failing-since band: one index-only pass over
 * connections_broken_now_idx (a few percent of the fleet), not a join.
 */
export async function countBrokenNow(db: Db | DbOrTx): Promise<{ total: number } & Record<FailingSinceBand, number>> {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      today: sql<number>`(count(*) filter (where ${BAND_INTERVAL.today}))::int`,
      yesterday: sql<number>`(count(*) filter (where ${BAND_INTERVAL.yesterday}))::int`,
      week: sql<number>`(count(*) filter (where ${BAND_INTERVAL.week}))::int`,
    })
    .from(connections)
    .where(and(BROKEN_NOW, NOT_ARCHIVED));
  return row ?? { total: 0, today: 0, yesterday: 0, week: 0 };
}
