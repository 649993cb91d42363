import { lt, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { vendorBudgets } from "../schema/index.ts";

export interface BudgetLeaseRow {
  granted: number;
  used: number;
  counts: number[];
  slot: number;
  nowMs: number;
  pausedUntilMs: number | null;
}

/**
 * One atomic grant from a bucket's ring, in one round trip: under the row's lock, shift the ring to
 * the current slot of Postgres's clock (one clock for every process), grant up to `want` while the
 * ring's sum stays within `cap` (none while paused), count the grant in the newest slot.
 * Undefined when the bucket has no row yet (see createBudgetRow).
 */
export async function leaseFromBudget(
  { bucket, want, cap, slotMs, ring }: { bucket: string; want: number; cap: number; slotMs: number; ring: number },
  db: DbOrTx,
): Promise<BudgetLeaseRow | undefined> {
  const rows = await db.execute<{ granted: number; used: number; counts: number[]; slot: string; now_ms: number; paused_until_ms: number | null }>(sql`
    with clock as (
      select (extract(epoch from c) * 1000)::float8 as now_ms, floor(extract(epoch from c) * 1000 / ${slotMs})::bigint as now_slot, c
      from (select clock_timestamp() as c) t
    ), cur as (
      select b.bucket, b.paused_until, clock.now_ms, clock.now_slot, clock.c,
             case when cardinality(b.counts) <> ${ring}::int then ${ring}::int
                  else least(${ring}::int, greatest(0, clock.now_slot - b.slot))::int end as shift,
             b.counts
      from vendor_budgets b, clock
      where b.bucket = ${bucket}
      for update of b
    ), used as (
      select cur.*, coalesce((select sum(x) from unnest(cur.counts[1 : ${ring}::int - cur.shift]) x), 0)::int as used from cur
    ), g as (
      select used.*,
             case when used.paused_until is not null and used.paused_until > used.c then 0
                  else least(${want}::int, greatest(0, ${cap}::int - used.used)) end::int as granted
      from used
    )
    update vendor_budgets v set
      slot = greatest(v.slot, g.now_slot),
      counts = case when g.shift = 0 then array[v.counts[1] + g.granted] || v.counts[2 : ${ring}::int]
                    else array[g.granted] || array_fill(0, array[g.shift - 1]) || v.counts[1 : ${ring}::int - g.shift] end,
      updated_at = g.c
    from g
    where v.bucket = g.bucket
    returning g.granted, g.used, v.counts, greatest(v.slot, g.now_slot)::text as slot, g.now_ms,
              (extract(epoch from v.paused_until) * 1000)::float8 as paused_until_ms`);
  const r = rows[0];
  if (!r) return undefined;
  return { granted: r.granted, used: r.used, counts: r.counts, slot: Number(r.slot), nowMs: r.now_ms, pausedUntilMs: r.paused_until_ms };
}

/** The bucket's first row: an empty ring (a concurrent creator wins silently). */
export async function createBudgetRow({ bucket, ring }: { bucket: string; ring: number }, db: DbOrTx): Promise<void> {
  await db
    .insert(vendorBudgets)
    .values({ bucket, slot: 0, counts: new Array<number>(ring).fill(0) })
    .onConflictDoNothing({ target: vendorBudgets.bucket });
}

/** Records a vendor's "not before" for every process; an earlier pause never shortens a later one. */
export async function pauseBudget({ bucket, until, ring }: { bucket: string; until: Date; ring: number }, db: DbOrTx): Promise<void> {
  await db
    .insert(vendorBudgets)
    .values({ bucket, slot: 0, counts: new Array<number>(ring).fill(0), pausedUntil: until })
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

/** Rows no process has touched since `before` (their rings are empty by now). */
export async function deleteIdleBudgets({ before }: { before: Date }, db: DbOrTx): Promise<number> {
  const gone = await db.delete(vendorBudgets).where(lt(vendorBudgets.updatedAt, before)).returning({ bucket: vendorBudgets.bucket });
  return gone.length;
}
