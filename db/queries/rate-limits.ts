import { lt, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { rateLimitHits } from "../schema/index.ts";

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  limit: number;
  /** Seconds until the window resets (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * Counts one attempt in `bucket` and says whether it is within `limit` per `windowSeconds`.
 * One upsert, so concurrent replicas never lose a count.
 */
export async function hitRateLimit(
  { bucket, limit, windowSeconds, now = new Date() }: { bucket: string; limit: number; windowSeconds: number; now?: Date },
  db: Db,
): Promise<RateLimitResult> {
  const windowMs = windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const [row] = await db
    .insert(rateLimitHits)
    .values({ bucket, windowStart, count: 1 })
    .onConflictDoUpdate({ target: [rateLimitHits.bucket, rateLimitHits.windowStart], set: { count: sql`${rateLimitHits.count} + 1` } })
    .returning({ count: rateLimitHits.count });
  const count = row!.count;
  const allowed = count <= limit;
  return {
    allowed,
    count,
    limit,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000)),
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
