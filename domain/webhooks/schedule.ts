/**
 * When a failed webhook delivery is tried again (docs/webhooks.md, docs/decisions/0048).
 * After attempt n fails, the next comes RETRY_DELAYS_SECONDS[n-1] later (the last delay repeats),
 * never later than RETRY_WINDOW_SECONDS after the schedule started; an attempt that fails at or
 * after the window's end is the last: the delivery is dead.
 *
 * From the first attempt: 5 s, 5 min 5 s, 35 min 5 s, 2 h 35 min, 7 h 35 min, 17 h 35 min, then
 * every 10 h (27 h 35 min … 67 h 35 min), and a last one at exactly 72 h: 13 attempts in all.
 */
const RETRY_DELAYS_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600] as const;
export const RETRY_WINDOW_SECONDS = 72 * 3600;

/** The time of the next attempt after failed attempt number `attempt` (1-based), or null: give up. */
export function nextAttemptAfterFailure({ attempt, scheduleStartedAt, now }: { attempt: number; scheduleStartedAt: Date; now: Date }): Date | null {
  const deadline = scheduleStartedAt.getTime() + RETRY_WINDOW_SECONDS * 1000;
  if (now.getTime() >= deadline) return null;
  const delay = RETRY_DELAYS_SECONDS[Math.min(Math.max(attempt, 1), RETRY_DELAYS_SECONDS.length) - 1]!;
  return new Date(Math.min(now.getTime() + delay * 1000, deadline));
}

/**
 * Automatic disabling (docs/decisions/0048): a subscription whose attempts have all failed for at
 * least this long, at least AUTO_DISABLE_MIN_FAILURES in a row with no success since.
 */
const AUTO_DISABLE_AFTER_SECONDS = 72 * 3600;
const AUTO_DISABLE_MIN_FAILURES = 5;

export function shouldAutoDisable({ failureStreak, failingSince, now }: { failureStreak: number; failingSince: Date | null; now: Date }): boolean {
  return failingSince !== null && failureStreak >= AUTO_DISABLE_MIN_FAILURES && now.getTime() - failingSince.getTime() >= AUTO_DISABLE_AFTER_SECONDS * 1000;
}
