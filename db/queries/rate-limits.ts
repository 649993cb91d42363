import { lt, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rateLimitHits } from "../schema/index.ts";

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  limit: number;
  /** Seconds until the window resets (0 when allowed). */
  retryAfterSeconds: number;
  /** Attempts left now (the sliding count's headroom), for RateLimit-Remaining. */
  remaining: number;
  /** Seconds until this window ends, for RateLimit-Reset. */
  resetSeconds: number;
}

/**
 * Counts one attempt in `bucket` and says whether it is within `limit` per `windowSeconds`, as a
 * sliding window: this window's count plus the previous window's, weighted by how much of it still
 * overlaps the last `windowSeconds`. Why: with fixed windows a burst either side of a boundary got
 * twice the limit (and a test that crossed 22:15:00 saw its 11th attempt allowed).
 * One upsert, so concurrent replicas never lose a count.
 */
export async function hitRateLimit(
  { bucket, limit, windowSeconds, now = new Date() }: { bucket: string; limit: number; windowSeconds: number; now?: Date },
  db: Db,
): Promise<RateLimitResult> {
  const windowMs = windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const previousStart = new Date(windowStart.getTime() - windowMs);
  // why: one statement (one round trip) counts this attempt and reads the previous window's count
  const rows = await db.execute<{ count: number; previous: number }>(sql`
    with hit as (
      insert into rate_limit_hits (bucket, window_start, count) values (${bucket}, ${windowStart.toISOString()}, 1)
      on conflict (bucket, window_start) do update set count = rate_limit_hits.count + 1
      returning count
    )
    select hit.count::int as count,
      coalesce((select r.count from rate_limit_hits r where r.bucket = ${bucket} and r.window_start = ${previousStart.toISOString()}), 0)::int as previous
    from hit`);
  const row = rows[0];
  const count = row!.count;
  const previous = row!.previous;
  const elapsedMs = now.getTime() - windowStart.getTime();
  const weight = 1 - elapsedMs / windowMs;
  const allowed = count + previous * weight <= limit;
  let retryAfterMs = 0;
  if (!allowed) {
    // this window alone is over the limit: wait for it to end; otherwise until the previous window's share has faded enough
    retryAfterMs = count > limit ? windowMs - elapsedMs : windowMs * (1 - (limit - count) / previous) - elapsedMs;
  }
  return {
    allowed,
    count,
    limit,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
    remaining: Math.max(0, Math.floor(limit - (count + previous * weight))),
    resetSeconds: Math.max(1, Math.ceil((windowMs - elapsedMs) / 1000)),
  };
}

/** Drops windows that ended more than a day ago. */
export async function sweepRateLimits({ now = new Date() }: { now?: Date } = {}, db: Db): Promise<void> {
  await db.delete(rateLimitHits).where(lt(rateLimitHits.windowStart, new Date(now.getTime() - 24 * 3600_000)));
}

/**
 * Takes back one attempt counted by hitRateLimit at the same `now` (e.g. a sign-in that turned out
 * right), so only failures use up the limit while every attempt is still counted before it is tried.
 */
export async function refundRateLimit(
  { bucket, windowSeconds, now = new Date() }: { bucket: string; windowSeconds: number; now?: Date },
  db: Db,
): Promise<void> {
  const windowMs = windowSeconds * 1000;
  // why: a raw sql template hands a Date to the driver unserialised; the ISO text casts cleanly
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs).toISOString();
  await db.execute(sql`
    with gone as (delete from rate_limit_hits where bucket = ${bucket} and window_start = ${windowStart} and count <= 1)
    update rate_limit_hits set count = count - 1 where bucket = ${bucket} and window_start = ${windowStart} and count > 1`);
}
