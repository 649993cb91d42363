import { and, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { connections } from "../schema/index.ts";
import type { FailingSinceBand } from "../../domain/vocabulary.ts";

/**
 * The one definition of "broken now" (docs/decisions/0028-broken-now.md), used by the dashboard
 * headline, the clinics table's filter and the "work the broken clinics" button (the same filter),
 * and the alert inbox's count. Meaning (domain/vocabulary.ts BROKEN_NOW_MEANING): the last probe
 * failed — the connection has an open failure episode (first_failure_at is set by the first failed
 * probe and cleared by the one "key accepted" transition) — whatever the workflow state, except a
 * deliberate pause, and never for an archived clinic (connections.clinic_archived, kept with clinics.archived_at).
 *
 * why: the same predicate is the WHERE of connections_broken_now_idx (db/schema/connections.ts); the
 * planner uses a partial index only when the query implies its predicate: change both together.
 */
export const BROKEN_NOW: SQL = sql`(${connections.firstFailureAt} is not null and ${connections.state} <> 'paused' and not ${connections.clinicArchived})`;

const DAY_MS = 86_400_000;
/** Where each band starts or ends, from `now`: rolling windows, not calendar days — no zone to choose, same rows for every agent. */
const BAND_BOUND: Record<FailingSinceBand, { after: boolean; days: number }> = {
  today: { after: true, days: 1 },
  yesterday: { after: true, days: 2 },
  week: { after: false, days: 7 },
};

// why: a bound computed once per query (a parameter), not `now() - interval` evaluated for every row counted
function band(b: FailingSinceBand, now: Date): SQL {
  const at = new Date(now.getTime() - BAND_BOUND[b].days * DAY_MS).toISOString();
  return BAND_BOUND[b].after ? sql`${connections.firstFailureAt} > ${at}::timestamptz` : sql`${connections.firstFailureAt} <= ${at}::timestamptz`;
}

/** Broken now, and (optionally) failing since one of the bands. */
export function brokenNowCondition(b?: FailingSinceBand, now = new Date()): SQL {
  return b ? and(BROKEN_NOW, band(b, now))! : BROKEN_NOW;
}

/**
 * Active clinics broken now, in total and per failing-since band: one index-only pass over
 * connections_broken_now_idx (a few percent of the fleet), no join.
 */
export async function countBrokenNow(db: Db | DbOrTx, now = new Date()): Promise<{ total: number } & Record<FailingSinceBand, number>> {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      today: sql<number>`(count(*) filter (where ${band("today", now)}))::int`,
      yesterday: sql<number>`(count(*) filter (where ${band("yesterday", now)}))::int`,
      week: sql<number>`(count(*) filter (where ${band("week", now)}))::int`,
    })
    .from(connections)
    .where(BROKEN_NOW);
  return row ?? { total: 0, today: 0, yesterday: 0, week: 0 };
}
