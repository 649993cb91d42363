import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { ConnectionState, FailureCode, Vendor } from "../../domain/vocabulary.ts";

export interface FleetCounts {
  byState: { state: ConnectionState | null; n: number }[];
  byFailure: { failureCode: FailureCode; n: number }[];
  total: number;
}

/**
 * Active clinics by connection state and by failure code. why (docs/decisions/0015-console-indexes.md):
 * grouping every connection needs no join when the few archived clinics' connections are grouped
 * apart and subtracted; the clinic total (for "no connection") comes from the active-clinics index.
 */
export async function fleetCounts(db: Db): Promise<FleetCounts> {
  type Group = { state: ConnectionState; failure_code: FailureCode | null; n: number };
  const [all, archived, clinicTotal] = await Promise.all([
    db.execute<Group>(sql`select state, failure_code, count(*)::int as n from connections group by 1, 2`),
    db.execute<Group>(sql`
      select c.state, c.failure_code, count(*)::int as n from connections c
      where c.clinic_id in (select k.id from clinics k where k.archived_at is not null) group by 1, 2`),
    db.execute<{ n: number }>(sql`select count(*)::int as n from clinics where archived_at is null`),
  ]);
  const states = new Map<ConnectionState, number>();
  const failures = new Map<FailureCode, number>();
  const add = (rows: Iterable<Group>, sign: 1 | -1) => {
    for (const r of rows) {
      states.set(r.state, (states.get(r.state) ?? 0) + sign * r.n);
      if (r.failure_code) failures.set(r.failure_code, (failures.get(r.failure_code) ?? 0) + sign * r.n);
    }
  };
  add(all, 1);
  add(archived, -1);
  const byState: FleetCounts["byState"] = [...states].filter(([, n]) => n > 0).map(([state, n]) => ({ state, n }));
  const byFailure = [...failures].filter(([, n]) => n > 0).map(([failureCode, n]) => ({ failureCode, n }));
  const total = clinicTotal[0]?.n ?? 0;
  // why: a clinic without a connection counts under "no connection", as the old left join did
  const withoutConnection = total - byState.reduce((sum, r) => sum + r.n, 0);
  if (withoutConnection > 0) byState.push({ state: null, n: withoutConnection });
  byState.sort((a, b) => b.n - a.n);
  byFailure.sort((a, b) => b.n - a.n);
  return { byState, byFailure, total };
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

/**
 * Failing connections (a failure code, not paused, clinic active) by vendor and region, with each
 * group's codes: during an outage this shows at a glance whether one vendor's region is down.
 */
export async function failuresByVendorRegion(db: Db): Promise<{ vendor: Vendor; region: string; failureCode: FailureCode; n: number }[]> {
  const rows = await db.execute<{ vendor: Vendor; region: string; failure_code: FailureCode; n: number }>(sql`
    select c.vendor, c.region, c.failure_code, count(*)::int as n
    from connections c join clinics k on k.id = c.clinic_id
    where c.failure_code is not null and c.state <> 'paused' and k.archived_at is null
    group by 1, 2, 3`);
  return rows.map((r) => ({ vendor: r.vendor, region: r.region, failureCode: r.failure_code, n: r.n }));
}
