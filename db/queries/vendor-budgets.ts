import { and, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { vendorBudgets } from "../schema/index.ts";

export interface BudgetLeaseRow {
  granted: number;
  used: number;
  counts: number[];
  syncCounts: number[];
  slot: number;
  nowMs: number;
  pausedUntilMs: number | null;
}

/** `ring` shifted by `shift` slots (newest first), less `back` tokens at 1-based position `at`. */
function moved(ring: SQL, shift: SQL, at: SQL, back: number, size: number): SQL {
  const shifted = sql`(array_fill(0, array[${shift}]) || (${ring})[1 : ${size}::int - ${shift}])`;
  return sql`case when ${back}::int > 0 and ${at} between 1 and ${size}::int
    then ${shifted}[1 : ${at} - 1] || greatest(0, ${shifted}[${at}] - ${back}::int) || ${shifted}[${at} + 1 : ${size}::int]
    else ${shifted} end`;
}

/**
 * One atomic grant from a bucket's rings, in one round trip: under the row's lock, shift both rings
 * to the current slot of Postgres's clock (one clock for every process), take back tokens an
 * earlier sync lease never sent (`giveBack`, counted in slot `giveBack.slot`), grant up to `want`
 * while the ring's sum stays within `cap` and, for sync (`syncCap` given), sync's own sum within
 * `syncCap` (none while paused), and count the grant in the newest slot.
 * Undefined when the bucket has no row yet (see createBudgetRow).
 */
export async function leaseFromBudget(
  {
    bucket,
    want,
    cap,
    syncCap,
    slotMs,
    ring,
    giveBack,
  }: { bucket: string; want: number; cap: number; syncCap?: number; slotMs: number; ring: number; giveBack?: { slot: number; tokens: number } },
  db: DbOrTx,
): Promise<BudgetLeaseRow | undefined> {
  const isSync = syncCap !== undefined;
  const back = isSync ? (giveBack?.tokens ?? 0) : 0;
  const shift = sql`cur.shift`;
  const at = sql`cur.back_at`;
  const rows = await db.execute<{
    granted: number;
    used: number;
    counts: number[];
    sync_counts: number[];
    slot: string;
    now_ms: number;
    paused_until_ms: number | null;
  }>(sql`
    with clock as (
      select (extract(epoch from c) * 1000)::float8 as now_ms, floor(extract(epoch from c) * 1000 / ${slotMs}::float8)::bigint as now_slot, c
      from (select clock_timestamp() as c) t
    ), cur as (
      select b.bucket, b.paused_until, b.counts, b.sync_counts, greatest(b.slot, clock.now_slot) as slot, clock.now_ms, clock.c,
             case when cardinality(b.counts) <> ${ring}::int or cardinality(b.sync_counts) <> ${ring}::int then ${ring}::int
                  else least(${ring}::int, greatest(0, clock.now_slot - b.slot))::int end as shift,
             least(greatest(greatest(b.slot, clock.now_slot) - ${giveBack?.slot ?? 0}::bigint + 1, 0), ${ring + 1}::bigint)::int as back_at
      from vendor_budgets b, clock
      where b.bucket = ${bucket}
      for update of b
    ), base as (
      select cur.bucket, cur.paused_until, cur.slot, cur.now_ms, cur.c,
             ${moved(sql`cur.counts`, shift, at, back, ring)} as all_ring,
             ${moved(sql`cur.sync_counts`, shift, at, back, ring)} as sync_ring
      from cur
    ), used as (
      select base.*,
             (select coalesce(sum(x), 0) from unnest(base.all_ring) x)::int as used,
             (select coalesce(sum(x), 0) from unnest(base.sync_ring) x)::int as sync_used
      from base
    ), g as (
      select used.*,
             case when used.paused_until is not null and used.paused_until > used.c then 0
                  else greatest(0, least(${want}::int, ${cap}::int - used.used, ${isSync ? sql`${syncCap}::int - used.sync_used` : sql`${want}::int`})) end::int as granted
      from used
    )
    update vendor_budgets v set
      slot = g.slot,
      counts = array[g.all_ring[1] + g.granted] || g.all_ring[2 : ${ring}::int],
      sync_counts = ${isSync ? sql`array[g.sync_ring[1] + g.granted] || g.sync_ring[2 : ${ring}::int]` : sql`g.sync_ring`},
      updated_at = g.c
    from g
    where v.bucket = g.bucket
    returning g.granted, g.used, v.counts, v.sync_counts, g.slot::text as slot, g.now_ms,
              (extract(epoch from v.paused_until) * 1000)::float8 as paused_until_ms`);
  const r = rows[0];
  if (!r) return undefined;
  return {
    granted: r.granted,
    used: r.used,
    counts: r.counts,
    syncCounts: r.sync_counts,
    slot: Number(r.slot),
    nowMs: r.now_ms,
    pausedUntilMs: r.paused_until_ms,
  };
}

/** The bucket's first row: empty rings (a concurrent creator wins silently). */
export async function createBudgetRow({ bucket, ring }: { bucket: string; ring: number }, db: DbOrTx): Promise<void> {
  const empty = new Array<number>(ring).fill(0);
  await db.insert(vendorBudgets).values({ bucket, slot: 0, counts: empty, syncCounts: empty }).onConflictDoNothing({ target: vendorBudgets.bucket });
}

/** Records a vendor's "not before" for every process; an earlier pause never shortens a later one. */
export async function pauseBudget({ bucket, until, ring }: { bucket: string; until: Date; ring: number }, db: DbOrTx): Promise<void> {
  await db
    .insert(vendorBudgets)
    .values({ bucket, slot: 0, counts: new Array<number>(ring).fill(0), syncCounts: new Array<number>(ring).fill(0), pausedUntil: until })
    .onConflictDoUpdate({
      target: vendorBudgets.bucket,
      set: { pausedUntil: sql`greatest(${vendorBudgets.pausedUntil}, excluded.paused_until)`, updatedAt: sql`now()` },
    });
}

/** Buckets paused now (few: only users a vendor is throttling). */
export async function listPausedBudgets(db: DbOrTx): Promise<Array<{ bucket: string; untilMs: number }>> {
  const rows = await db.execute<{ bucket: string; until_ms: number }>(
    sql`select bucket, (extract(epoch from paused_until) * 1000)::float8 as until_ms from vendor_budgets where paused_until > clock_timestamp()`,
  );
  return rows.map((r) => ({ bucket: r.bucket, untilMs: r.until_ms }));
}

/** Rows no process has touched for a day and not paused now: their rings are empty by then. */
export async function sweepVendorBudgets({ now }: { now: Date }, db: DbOrTx): Promise<number> {
  const before = new Date(now.getTime() - 24 * 3600_000);
  const gone = await db
    .delete(vendorBudgets)
    .where(and(lt(vendorBudgets.updatedAt, before), or(isNull(vendorBudgets.pausedUntil), lt(vendorBudgets.pausedUntil, now))))
    .returning({ bucket: vendorBudgets.bucket });
  return gone.length;
}
