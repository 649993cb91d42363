import { createHash } from "node:crypto";
import type { BudgetLane } from "../vocabulary.ts";

/**
 * Client-side budget per key: at most `limit` requests in any `windowMs`. A sliding log rather
 * than a token bucket, because a full bucket plus a window's refill can send twice the budget
 * inside one of the vendor's fixed windows — and Cliniko answers that with 429s.
 */
export interface RateLimiter {
  /**
   * Resolves when a request may be sent now; the request is counted. `lane` says who is asking
   * (default interactive); this in-process limiter treats every lane alike, the shared budget
   * (shared-budget.ts) keeps a reserve for probes and interactive checks.
   */
  acquire(bucket: string, opts?: AcquireOptions): Promise<void>;
  /**
   * The vendor said "not before": hold every request in this bucket until then (epoch ms). The
   * shared budget also records it for every other process; the returned promise settles once it has.
   */
  pauseUntil(bucket: string, epochMs: number): void | Promise<void>;
  readonly limit: number;
  readonly windowMs: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  lane?: BudgetLane;
}

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  /**
   * Extra spacing so network jitter cannot squeeze `limit + 1` requests into one server window.
   * Default: 2% of the window, at least 100 ms.
   */
  safetyMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const span = opts.windowMs + (opts.safetyMs ?? Math.max(100, Math.round(opts.windowMs * 0.02)));
  const logs = new Map<string, number[]>();
  const paused = new Map<string, number>();
  // why: FIFO per bucket, so a waiting sync cannot be starved by a burst of probes
  const queues = new Map<string, Promise<void>>();

  async function take(bucket: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const t = now();
      const until = paused.get(bucket) ?? 0;
      if (until > t) {
        await sleep(until - t, signal);
        continue;
      }
      let log = logs.get(bucket);
      if (!log) logs.set(bucket, (log = []));
      while (log.length > 0 && log[0]! <= t - span) log.shift();
      if (log.length < opts.limit) {
        log.push(t);
        return;
      }
      await sleep(log[0]! + span - t, signal);
    }
  }

  return {
    limit: opts.limit,
    windowMs: opts.windowMs,
    acquire(bucket, { signal } = {}) {
      const previous = queues.get(bucket) ?? Promise.resolve();
      const mine = previous.then(() => take(bucket, signal));
      const settled = mine.catch(() => undefined);
      queues.set(bucket, settled);
      void settled.then(() => {
        if (queues.get(bucket) === settled) queues.delete(bucket);
      });
      return mine;
    },
    pauseUntil(bucket, epochMs) {
      if (epochMs > (paused.get(bucket) ?? 0)) paused.set(bucket, epochMs);
    },
  };
}

/** A bucket name for a key that does not keep the key itself in memory longer than needed. */
export function bucketFor(vendor: string, key: string): string {
  return `${vendor}:${createHash("sha256").update(key).digest("base64url").slice(0, 22)}`;
}

/** Cliniko allows 200 requests per minute per user; one limiter per process shares that budget. */
const CLINIKO_RATE_LIMIT = { limit: 200, windowMs: 60_000 } as const;
export const defaultClinikoRateLimiter: RateLimiter = createRateLimiter(CLINIKO_RATE_LIMIT);
