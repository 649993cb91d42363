import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { BriefingState, ConnectionState, FailureCode, Vendor } from "../../domain/vocabulary.ts";

/**
 * The fleet as the operator's metrics read it at scrape time (docs/decisions/0046-metrics.md):
 * three statements, each one pass over an index or the connections table, never per clinic.
 */

/** Upper bounds (seconds) of the sync-lag buckets: 5 min, 15 min, 1 h, 4 h, 1 day, 1 week. */
export const SYNC_LAG_BUCKETS = [300, 900, 3600, 14_400, 86_400, 604_800] as const;

export interface ConnectionGroup {
  state: ConnectionState;
  failureCode: FailureCode | null;
  vendor: Vendor;
  connections: number;
  /** Connections of this group that sync (sync on, not paused) and have synced successfully once. */
  synced: number;
  /** Of those, how many last succeeded within each SYNC_LAG_BUCKETS bound (cumulative, like `le`). */
  syncLagBuckets: number[];
  /** Seconds since the longest-ago last successful sync in the group; null when none synced. */
  maxSyncLagSeconds: number | null;
  /** Connections that sync but never succeeded. */
  neverSynced: number;
}

/**
 * Connections of active clinics grouped by state, failure code and vendor, with their sync lag.
 * why: one seq scan of connections with a hash anti-join against the few archived clinics (their
 * partial index), instead of a join with every clinic.
 */
export async function connectionGroups(db: Db): Promise<ConnectionGroup[]> {
  // why: timestamps compared with now() minus each bound, not a lag computed per row (extract(epoch) is numeric)
  const buckets = SYNC_LAG_BUCKETS.map((b) => sql.raw(`count(*) filter (where at >= now() - interval '${b} seconds')::int`));
  const rows = await db.execute<{
    state: ConnectionState;
    failure_code: FailureCode | null;
    vendor: Vendor;
    n: number;
    synced: number;
    never: number;
    max_lag: number | null;
    buckets: number[];
  }>(sql`
    select state, failure_code, vendor, count(*)::int as n,
      count(at)::int as synced,
      count(*) filter (where syncs and at is null)::int as never,
      extract(epoch from now() - min(at))::float8 as max_lag,
      array[${sql.join(buckets, sql`, `)}] as buckets
    from (
      select c.state, c.failure_code, c.vendor,
        (c.sync_state is not null and c.state <> 'paused') as syncs,
        case when c.sync_state is not null and c.state <> 'paused' then c.last_sync_success_at end as at
      from connections c
      where not exists (select 1 from clinics k where k.id = c.clinic_id and k.archived_at is not null)
    ) f
    group by 1, 2, 3`);
  return [...rows].map((r) => ({
    state: r.state,
    failureCode: r.failure_code,
    vendor: r.vendor,
    connections: r.n,
    synced: r.synced,
    syncLagBuckets: r.buckets,
    maxSyncLagSeconds: r.max_lag,
    neverSynced: r.never,
  }));
}

export interface QueueDepth {
  queue: string;
  /** Jobs created or retrying, not yet picked up (deferred ones included). */
  waiting: number;
  /** Jobs being worked, as pg-boss's monitor last counted them (up to a minute old). */
  active: number;
  /** Seconds the oldest job that is due (start_after passed) has waited since it was created; 0 when none. */
  oldestWaitingSeconds: number;
}

/**
 * Every pg-boss queue's depth and oldest due job. why: pg-boss 12's job table keeps completed jobs
 * for their retention (days), so waiting jobs are read from its fetch index alone (job_i11: name, …,
 * created_on, start_after where state < 'active' and not blocked — an index-only scan, grouped by
 * queue; a lateral per queue made the planner scan the whole table once per queue); active is the
 * monitor's cached count (counting it live would scan every retained job).
 */
export async function queueDepths(db: Db, schema = "pgboss"): Promise<QueueDepth[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error("invalid pg-boss schema name");
  const s = sql.raw(schema);
  const rows = await db.execute<{ name: string; waiting: number; active: number; oldest: number | null }>(sql`
    select q.name, coalesce(w.waiting, 0)::int as waiting, q.active_count as active, w.oldest
    from ${s}.queue q
    left join (
      select j.name, count(*)::int as waiting,
        extract(epoch from now() - min(j.created_on) filter (where j.start_after <= now()))::float8 as oldest
      from ${s}.job j
      where j.state < 'active' and not j.blocked
      group by j.name
    ) w on w.name = q.name
    order by q.name`);
  return [...rows].map((r) => ({ queue: r.name, waiting: r.waiting, active: r.active, oldestWaitingSeconds: Math.max(0, r.oldest ?? 0) }));
}

/** Briefings not finished yet (due, or held while the connection is broken or stale), by state: the sweep's partial index. */
export async function unfinishedBriefings(db: Db): Promise<{ state: BriefingState; n: number }[]> {
  const rows = await db.execute<{ state: BriefingState; n: number }>(sql`
    select state, count(*)::int as n from briefings where state in ('due', 'held') group by 1`);
  return [...rows];
}

/** Each vendor region's failing count and whether it has an open incident (docs/decisions/0049): a few rows. */
export async function vendorRegions(db: Db): Promise<{ vendor: string; region: string; failing: number; connections: number; incidentOpen: boolean }[]> {
  const rows = await db.execute<{ vendor: string; region: string; failing: number; connections: number; open: boolean }>(sql`
    select h.vendor, h.region, h.transient_failing as failing, h.connections,
      exists (select 1 from vendor_incidents i where i.vendor = h.vendor and i.region = h.region and i.resolved_at is null) as open
    from vendor_region_health h order by 1, 2`);
  return [...rows].map((r) => ({ vendor: r.vendor, region: r.region, failing: r.failing, connections: r.connections, incidentOpen: r.open }));
}
