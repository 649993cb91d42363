import { sql } from "drizzle-orm";
import type { ConnectionState } from "../../domain/health/states.ts";
import type { FailureCode } from "../../domain/health/taxonomy.ts";
import type { Db } from "../client.ts";

export interface FleetCounts {
  byState: { state: ConnectionState | null; n: number }[];
  byFailure: { failureCode: FailureCode; n: number }[];
  total: number;
}

/** Active clinics by connection state and by failure code, in one pass over the fleet. */
export async function fleetCounts(db: Db): Promise<FleetCounts> {
  const rows = await db.execute<{ state_row: number; state: ConnectionState | null; failure_code: FailureCode | null; n: number }>(sql`
    select grouping(c.failure_code) as state_row, c.state, c.failure_code, count(*)::int as n
    from clinics k left join connections c on c.clinic_id = k.id
    where k.archived_at is null
    group by grouping sets ((c.state), (c.failure_code))`);
  // why: grouping(failure_code) = 1 marks the rows grouped by state only; a null there is "no connection"
  const byState = rows.filter((r) => r.state_row === 1).map((r) => ({ state: r.state, n: r.n }));
  const byFailure = rows
    .filter((r) => r.state_row === 0 && r.failure_code !== null)
    .map((r) => ({ failureCode: r.failure_code as FailureCode, n: r.n }));
  byState.sort((a, b) => b.n - a.n);
  byFailure.sort((a, b) => b.n - a.n);
  return { byState, byFailure, total: byState.reduce((sum, r) => sum + r.n, 0) };
}

export async function openAlertCount(db: Db): Promise<{ open: number; acknowledged: number; muted: number }> {
  const [row] = await db.execute<{ open: number; acknowledged: number; muted: number }>(sql`
    select count(*) filter (where status = 'open')::int as open,
           count(*) filter (where status = 'acknowledged')::int as acknowledged,
           count(*) filter (where status = 'muted')::int as muted
    from alerts where status <> 'resolved'`);
  return row ?? { open: 0, acknowledged: 0, muted: 0 };
}

export async function oldestProblem(db: Db) {
  const [row] = await db.execute<{ clinic_id: string; name: string; failure_code: FailureCode | null; state: ConnectionState; first_failure_at: string }>(sql`
    select k.id as clinic_id, k.name, c.failure_code, c.state, c.first_failure_at
    from connections c join clinics k on k.id = c.clinic_id
    where c.first_failure_at is not null and c.state <> 'paused' and k.archived_at is null
    order by c.first_failure_at asc limit 1`);
  return row ? { clinicId: row.clinic_id, name: row.name, failureCode: row.failure_code, state: row.state, since: new Date(row.first_failure_at) } : null;
}

/**
 * Recovery episodes of the last `days`: each "recovered" event paired with the first failure after
 * the previous recovery of the same connection. Bounded by the recoveries in the window.
 */
const RECOVERIES = (days: number) => sql`
  select e.connection_id, e.at as recovered_at,
    (select min(f.at) from connection_events f
      where f.connection_id = e.connection_id and f.at < e.at and f.failure_code is not null
        and f.at > coalesce((select max(p.at) from connection_events p
                             where p.connection_id = e.connection_id and p.kind = 'recovered' and p.at < e.at), '-infinity')) as failed_at
  from connection_events e
  where e.kind = 'recovered' and e.at > now() - make_interval(days => ${days})`;

export async function recoveryMedians(db: Db): Promise<{ median7: number | null; median30: number | null; n7: number; n30: number }> {
  const [row] = await db.execute<{ median7: number | null; median30: number | null; n7: number; n30: number }>(sql`
    with rec as (${RECOVERIES(30)})
    select
      percentile_cont(0.5) within group (order by extract(epoch from recovered_at - failed_at)) filter (where recovered_at > now() - interval '7 days') as median7,
      percentile_cont(0.5) within group (order by extract(epoch from recovered_at - failed_at)) as median30,
      count(*) filter (where recovered_at > now() - interval '7 days')::int as n7,
      count(*)::int as n30
    from rec where failed_at is not null`);
  return {
    median7: row?.median7 === null || row?.median7 === undefined ? null : Number(row.median7),
    median30: row?.median30 === null || row?.median30 === undefined ? null : Number(row.median30),
    n7: row?.n7 ?? 0,
    n30: row?.n30 ?? 0,
  };
}

/**
 * Broken connections at the end of each of the last `days` UTC days (today: now). An episode runs
 * from its first failure to its recovery; connections failing now are open episodes. Computed as a
 * running sum of starts and ends per day, so the cost is one pass over the episodes.
 */
export async function brokenOverTime(db: Db, days = 30): Promise<{ day: string; broken: number }[]> {
  const rows = await db.execute<{ kind: string; day: string | null; n: number }>(sql`
    with rec as (${RECOVERIES(days)}),
    episodes as (
      select failed_at as s, recovered_at as e from rec where failed_at is not null
      union all
      select c.first_failure_at, null from connections c join clinics k on k.id = c.clinic_id
      where c.first_failure_at is not null and c.state <> 'paused' and k.archived_at is null
    ),
    w as (select date_trunc('day', now()) - make_interval(days => ${days - 1}) as start)
    select 'base' as kind, null as day, count(*)::int as n from episodes, w where s < w.start and (e is null or e >= w.start)
    union all
    select 'start', to_char(date_trunc('day', s), 'YYYY-MM-DD'), count(*)::int from episodes, w where s >= w.start group by 2
    union all
    select 'end', to_char(date_trunc('day', e), 'YYYY-MM-DD'), count(*)::int from episodes, w where e >= w.start group by 2`);
  let running = rows.find((r) => r.kind === "base")?.n ?? 0;
  const starts = new Map(rows.filter((r) => r.kind === "start").map((r) => [r.day!, r.n]));
  const ends = new Map(rows.filter((r) => r.kind === "end").map((r) => [r.day!, r.n]));
  const out: { day: string; broken: number }[] = [];
  const today = new Date();
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i)).toISOString().slice(0, 10);
    running += (starts.get(d) ?? 0) - (ends.get(d) ?? 0);
    out.push({ day: d, broken: running });
  }
  return out;
}
