import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { ConnectionState, FailureCode, Vendor } from "../../domain/vocabulary.ts";
import { BROKEN_NOW } from "./broken-now.ts";

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
    // why: one unique-index probe per archived clinic (a few percent) instead of a hash join over every
    // connection; `offset 0` keeps the planner from flattening the lateral back into that join
    db.execute<Group>(sql`
      select c.state, c.failure_code, count(*)::int as n
      from clinics k cross join lateral (select state, failure_code from connections where connections.clinic_id = k.id offset 0) c
      where k.archived_at is not null group by 1, 2`),
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

/** The broken-now connection whose failure started first (db/queries/broken-now.ts). */
export async function oldestProblem(db: Db) {
  const [row] = await db.execute<{ clinic_id: string; name: string; failure_code: FailureCode | null; state: ConnectionState; first_failure_at: string }>(sql`
    select k.id as clinic_id, k.name, connections.failure_code, connections.state, connections.first_failure_at
    from connections join clinics k on k.id = connections.clinic_id
    where ${BROKEN_NOW}
    order by connections.first_failure_at asc limit 1`);
  return row ? { clinicId: row.clinic_id, name: row.name, failureCode: row.failure_code, state: row.state, since: new Date(row.first_failure_at) } : null;
}

/**
 * Recovery episodes of the last `days`: each "recovered" event paired with the first failure after
 * the previous recovery of the same connection. Bounded by the recoveries in the window. Read once
 * per dashboard load and shared by the medians and the chart (it is the dashboard's costliest read:
 * two index probes per recovery).
 */
export async function recoveryEpisodes(db: Db, days = 30): Promise<{ recoveredAt: number; failedAt: number | null }[]> {
  const rows = await db.execute<{ recovered_at: string; failed_at: string | null }>(sql`
    select e.at as recovered_at,
      (select min(f.at) from connection_events f
        where f.connection_id = e.connection_id and f.at < e.at and f.failure_code is not null
          and f.at > coalesce((select max(p.at) from connection_events p
                               where p.connection_id = e.connection_id and p.kind = 'recovered' and p.at < e.at), '-infinity')) as failed_at
    from connection_events e
    where e.kind = 'recovered' and e.at > now() - make_interval(days => ${days})`);
  return rows.map((r) => ({ recoveredAt: new Date(r.recovered_at).getTime(), failedAt: r.failed_at === null ? null : new Date(r.failed_at).getTime() }));
}

type Episodes = Promise<{ recoveredAt: number; failedAt: number | null }[]>;

/** The median of sorted numbers, interpolated between the middle two (as percentile_cont(0.5)). */
function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

export async function recoveryMedians(
  db: Db,
  episodes: Episodes = recoveryEpisodes(db, 30),
): Promise<{ median7: number | null; median30: number | null; n7: number; n30: number }> {
  const weekAgo = Date.now() - 7 * 86_400_000;
  const known = (await episodes).filter((e) => e.failedAt !== null);
  const secs = (list: typeof known) => list.map((e) => (e.recoveredAt - e.failedAt!) / 1000).sort((a, b) => a - b);
  const week = known.filter((e) => e.recoveredAt > weekAgo);
  return { median7: median(secs(week)), median30: median(secs(known)), n7: week.length, n30: known.length };
}

/**
 * Broken connections at the end of each of the last `days` UTC days (today: now). An episode runs
 * from its first failure to its recovery; connections broken now (BROKEN_NOW) are the open episodes.
 * Computed as a running sum of starts and ends per day, so the cost is one pass over the episodes.
 */
export async function brokenOverTime(db: Db, days = 30, episodes: Episodes = recoveryEpisodes(db, days)): Promise<{ day: string; broken: number }[]> {
  // why: open episodes read the broken-now index alone (archived clinics are outside its predicate)
  const open = await db.execute<{ day: string; n: number }>(sql`
    select to_char(date_trunc('day', connections.first_failure_at), 'YYYY-MM-DD') as day, count(*)::int as n
    from connections where ${BROKEN_NOW} group by 1`);
  const today = new Date();
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1));
  // why: day indexes, not date strings — the episodes are thousands per load and formatting each
  // one's day was the dashboard's largest CPU cost in the web process (bench:console)
  const DAY = 86_400_000;
  const delta = new Array<number>(days).fill(0);
  let running = 0;
  const episode = (s: number, e: number | null, n: number) => {
    if (s < start) {
      if (e === null || e >= start) running += n;
    } else delta[Math.min(days - 1, Math.floor((s - start) / DAY))]! += n;
    if (e !== null && e >= start) delta[Math.min(days - 1, Math.floor((e - start) / DAY))]! -= n;
  };
  for (const r of await episodes) if (r.failedAt !== null) episode(r.failedAt, r.recoveredAt, 1);
  for (const r of open) episode(Date.parse(`${r.day}T00:00:00Z`), null, r.n);
  const out: { day: string; broken: number }[] = [];
  for (let i = 0; i < days; i++) {
    running += delta[i]!;
    out.push({ day: new Date(start + i * DAY).toISOString().slice(0, 10), broken: running });
  }
  return out;
}

/**
 * Broken-now connections (BROKEN_NOW, db/queries/broken-now.ts — the dashboard headline's definition)
 * of active clinics by vendor, region and failure code, with each group's codes: during an outage
 * this shows at a glance whether one vendor's region is down. One index-only pass over
 * connections_broken_now_vendor_idx (a few percent of the fleet), not a join to every clinic.
 */
export async function failuresByVendorRegion(db: Db): Promise<{ vendor: Vendor; region: string; failureCode: FailureCode; n: number }[]> {
  const rows = await db.execute<{ vendor: Vendor; region: string; failure_code: FailureCode; n: number }>(sql`
    select connections.vendor, connections.region, connections.failure_code, count(*)::int as n
    from connections
    where ${BROKEN_NOW} and connections.failure_code is not null
    group by 1, 2, 3`);
  return rows.map((r) => ({ vendor: r.vendor, region: r.region, failureCode: r.failure_code, n: r.n }));
}
