import type { Db } from "../../db/client.ts";
import { listSyncableConnectionIdsInPhase } from "../../db/queries/sync.ts";
import type { SyncJobQueue } from "../jobs.ts";

/**
 * The sync schedule (docs/decisions/0033-sync.md). Every connection has a stable phase in the
 * interval (a hash of its id, computed in SQL); the sweep runs every minute and enqueues only the
 * connections whose phase falls in that minute. A fleet of thousands is spread evenly over the
 * interval instead of fired at once, each connection syncs once per interval, and no job is ever
 * deferred — so "sync now" is never absorbed by a scheduled job waiting in the queue.
 */

/** The phase window (seconds into the interval, [from, to)) the sweep at `nowMs` covers. Pure. */
export function sweepWindow(nowMs: number, intervalSeconds: number, windowSeconds = 60): { from: number; to: number } {
  const window = Math.max(1, Math.min(windowSeconds, intervalSeconds));
  const start = Math.floor(nowMs / 1000 / window) * window;
  const from = start % intervalSeconds;
  return { from, to: Math.min(intervalSeconds, from + window) };
}

/** Full reconciliation passes (lists that hide deletions): at most one per this many hours per resource. */
const DEFAULT_FULL_PASS_HOURS = 24;

/** Whether this run lists a resource whole: never done (the first sync), or the last complete pass is `everyHours` old. Pure. */
export function fullPassDue(lastFullPassAt: Date | null, now: Date, everyHours = DEFAULT_FULL_PASS_HOURS): boolean {
  return lastFullPassAt === null || now.getTime() - lastFullPassAt.getTime() >= everyHours * 3_600_000;
}

export async function sweepSyncs({
  db,
  queue,
  intervalSeconds,
  now = Date.now(),
}: {
  db: Db;
  queue: SyncJobQueue;
  intervalSeconds: number;
  now?: number;
}): Promise<{ enqueued: number; window: { from: number; to: number } }> {
  const window = sweepWindow(now, intervalSeconds);
  let after: string | undefined;
  let enqueued = 0;
  for (;;) {
    const ids = await listSyncableConnectionIdsInPhase({ intervalSeconds, ...window, after, limit: 1000 }, db);
    if (ids.length === 0) break;
    await queue.enqueue(ids.map((connectionId) => ({ data: { connectionId, trigger: "schedule" as const } })));
    enqueued += ids.length;
    after = ids[ids.length - 1];
  }
  return { enqueued, window };
}
