import { abortableSleep, createRateLimiter, type AcquireOptions, type RateLimiter } from "./rate-limiter.ts";
import type { BudgetLane, Vendor } from "../vocabulary.ts";

/**
 * One rate budget per vendor user, shared by every process (docs/decisions/0034-shared-rate-budget.md).
 *
 * The budget is a ring of `slots + 2` counters, each `windowMs / slots` long, kept in one row per
 * bucket (db/queries/vendor-budgets.ts). A grant is counted in the slot it is made in and is valid
 * only until that slot ends; a request sent before then reaches the vendor before the next slot
 * ends (lateness below one slot). So the requests arriving in ANY window of `windowMs` were granted
 * in at most `slots + 2` consecutive slots, and the ring's sum is checked against the cap at every
 * grant: no vendor window, whatever its phase, sees more than the limit.
 *
 * Lanes: sync may fill the ring only to (1 − reserve)·limit and leases blocks of tokens (one round
 * trip per block); interactive checks take one token at a time up to limit − probe share; probes
 * never wait on Postgres: their volume is bounded by the schedule (one probe per connection at a
 * time, a few requests each), and each process keeps them under the probe share locally.
 * A 429 pauses the bucket in the shared row; sync and interactive grants see it at once, probes
 * through a per-process cache refreshed at most once a second, in the background.
 */

interface BudgetLimit {
  /** Requests per window per user. */
  limit: number;
}

export interface SharedBudgetOptions {
  store: BudgetStore;
  /** Per vendor; a vendor without one is not budgeted client-side (pauses still apply). */
  limits: Partial<Record<Vendor, BudgetLimit>>;
  /** Share of the limit sync may never take (VENDOR_BUDGET_RESERVE, default 0.2). */
  reserve: number;
  /** The vendor's window (Cliniko: a minute). Tests and benches scale it down. */
  windowMs?: number;
  /** Slots per window (default 30): more slots, closer to the limit, smaller leases. */
  slots?: number;
  /** Most tokens one sync lease asks for (default 50). */
  maxLease?: number;
  /** How stale the probes' view of shared pauses may be (default 1 s). */
  pauseCacheMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What one atomic read-modify-write of a bucket's ring answered. */
interface LeaseAnswer {
  granted: number;
  /** The ring's sum before this grant. */
  used: number;
  /** The ring after this grant (every lane in it), newest slot first. */
  counts: number[];
  /** Sync's part of it. */
  syncCounts: number[];
  /** Index of the newest slot (store clock ms / slotMs). */
  slot: number;
  /** The store's clock at the grant (epoch ms): one clock for every process. */
  nowMs: number;
  pausedUntilMs: number | null;
}

interface LeaseRequest {
  bucket: string;
  want: number;
  /** The most the ring may hold (sync and interactive together). */
  cap: number;
  /** Sync only: the most sync's own part may hold. */
  syncCap?: number;
  slotMs: number;
  ring: number;
  /** Sync only: tokens an earlier lease never sent, counted in `slot`, taken back if that slot is still in the ring. */
  giveBack?: { slot: number; tokens: number };
}

/** Where the rings live: Postgres in web and workers (domain/connections/vendor-budget-store.ts), memory in unit tests. */
export interface BudgetStore {
  lease(req: LeaseRequest): Promise<LeaseAnswer>;
  pause(req: { bucket: string; untilMs: number; ring: number }): Promise<void>;
  /** Buckets paused now, for the probes' cache. */
  pausedBuckets(): Promise<Array<{ bucket: string; untilMs: number }>>;
}

export interface LaneCaps {
  /** Ring sum sync may fill to. */
  sync: number;
  /** Ring sum interactive checks may fill to. */
  interactive: number;
  /** Probe requests per window, per process, outside the ring. */
  probe: number;
}

/**
 * The split of one limit. Probes get half the reserve (outside the ring), interactive checks the
 * rest of it on top of sync's share; sync + interactive + probes never exceed the limit.
 */
export function laneCaps(limit: number, reserve: number): LaneCaps {
  const probe = Math.max(1, Math.floor((limit * reserve) / 2));
  const interactive = Math.max(1, limit - probe);
  const sync = Math.max(1, Math.min(interactive, Math.floor(limit * (1 - reserve))));
  return { sync, interactive, probe };
}

/** The ring moved on to `slot`: older counters shift out, newest first. Pure mirror of the SQL. */
export function shiftRing(counts: readonly number[], fromSlot: number, toSlot: number, ring: number): number[] {
  const shift = counts.length !== ring ? ring : Math.max(0, toSlot - fromSlot);
  if (shift === 0) return [...counts];
  const out = new Array<number>(ring).fill(0);
  for (let i = 0; i + shift < ring; i++) out[i + shift] = counts[i]!;
  return out;
}

/** Takes back `tokens` never sent from slot `fromSlot` of a ring whose newest slot is `slot`. Pure mirror of the SQL. */
export function giveBackToRing(counts: readonly number[], slot: number, fromSlot: number, tokens: number): number[] {
  const at = slot - fromSlot;
  const out = [...counts];
  if (tokens > 0 && at >= 0 && at < out.length) out[at] = Math.max(0, out[at]! - tokens);
  return out;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** One grant against a ring already shifted to the current slot. Pure mirror of the SQL. */
export function grantFromRing(counts: readonly number[], want: number, cap: number, paused: boolean): { granted: number; used: number; counts: number[] } {
  const used = sum(counts);
  const granted = paused ? 0 : Math.max(0, Math.min(want, cap - used));
  const next = [...counts];
  next[0] = (next[0] ?? 0) + granted;
  return { granted, used, counts: next };
}

/** A grant against both rings: the whole ring within `cap`, sync's part within `syncCap` (sync lane only). */
export function grantFromRings(
  rings: { counts: readonly number[]; syncCounts: readonly number[] },
  want: number,
  cap: number,
  syncCap: number | undefined,
  paused: boolean,
): { granted: number; used: number; counts: number[]; syncCounts: number[] } {
  const limitBySync = syncCap === undefined ? want : Math.max(0, syncCap - sum(rings.syncCounts));
  const all = grantFromRing(rings.counts, Math.min(want, limitBySync), cap, paused);
  const syncCounts = [...rings.syncCounts];
  if (syncCap !== undefined) syncCounts[0] = (syncCounts[0] ?? 0) + all.granted;
  return { ...all, syncCounts };
}

/**
 * How long until `need` tokens fit under `cap`: counters leave the ring oldest first, one at each
 * slot boundary. Null when they never would (cap below need).
 */
export function msUntilRoom(counts: readonly number[], slot: number, nowMs: number, slotMs: number, cap: number, need = 1): number | null {
  let used = counts.reduce((a, b) => a + b, 0);
  if (used + need <= cap) return 0;
  for (let j = 1; j <= counts.length; j++) {
    used -= counts[counts.length - j]!;
    if (used + need <= cap) return Math.max(0, (slot + j) * slotMs - nowMs);
  }
  return null;
}

/** The in-memory store: the same ring arithmetic as the SQL, for unit tests and single-process scripts. */
export function createMemoryBudgetStore(now: () => number = Date.now): BudgetStore {
  const rows = new Map<string, { slot: number; counts: number[]; syncCounts: number[]; pausedUntil: number | null }>();
  const empty = (ring: number) => ({ slot: 0, counts: new Array<number>(ring).fill(0), syncCounts: new Array<number>(ring).fill(0), pausedUntil: null });
  return {
    async lease({ bucket, want, cap, syncCap, slotMs, ring, giveBack }) {
      const t = now();
      const row = rows.get(bucket) ?? empty(ring);
      const slot = Math.max(row.slot, Math.floor(t / slotMs));
      const wrongSize = row.counts.length !== ring || row.syncCounts.length !== ring;
      let counts = shiftRing(wrongSize ? [] : row.counts, row.slot, slot, ring);
      let syncCounts = shiftRing(wrongSize ? [] : row.syncCounts, row.slot, slot, ring);
      if (giveBack && syncCap !== undefined) {
        counts = giveBackToRing(counts, slot, giveBack.slot, giveBack.tokens);
        syncCounts = giveBackToRing(syncCounts, slot, giveBack.slot, giveBack.tokens);
      }
      const g = grantFromRings({ counts, syncCounts }, want, cap, syncCap, row.pausedUntil !== null && row.pausedUntil > t);
      rows.set(bucket, { slot, counts: g.counts, syncCounts: g.syncCounts, pausedUntil: row.pausedUntil });
      return { granted: g.granted, used: g.used, counts: g.counts, syncCounts: g.syncCounts, slot, nowMs: t, pausedUntilMs: row.pausedUntil };
    },
    async pause({ bucket, untilMs, ring }) {
      const row = rows.get(bucket) ?? empty(ring);
      row.pausedUntil = Math.max(row.pausedUntil ?? 0, untilMs);
      rows.set(bucket, row);
    },
    async pausedBuckets() {
      const t = now();
      return [...rows].filter(([, r]) => r.pausedUntil !== null && r.pausedUntil > t).map(([bucket, r]) => ({ bucket, untilMs: r.pausedUntil! }));
    },
  };
}

function vendorOf(bucket: string): Vendor | undefined {
  const prefix = bucket.slice(0, bucket.indexOf(":"));
  return prefix === "cliniko" || prefix === "nookal" ? prefix : undefined;
}

interface Lease {
  tokens: number;
  /** The slot the grant was counted in. */
  slot: number;
  /** Local clock ms after which unused tokens are void (their slot has ended). */
  expiresAt: number;
}

interface SyncState {
  lease: Lease | null;
  /** Local time the last token was handed out, and the smoothed gap until the next ask. */
  lastHandout: number | null;
  gapMs: number;
  queue: Promise<void>;
}

export interface SharedBudget extends RateLimiter {
  /** Round trips to the store so far (leases, pauses, pause refreshes): for benches. */
  readonly roundTrips: number;
  /** Sync tokens leased but void before use (their slot ended); given back with the next lease. */
  readonly expiredTokens: number;
  /** Times a lane had to wait for room in the ring (pauses aside): interactive stays 0 within its reserve. */
  readonly roomWaits: { interactive: number; sync: number };
}

/** The budget every process shares, behind the vendor clients' RateLimiter seam. */
export function createSharedBudget(opts: SharedBudgetOptions): SharedBudget {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const windowMs = opts.windowMs ?? 60_000;
  const slots = opts.slots ?? 30;
  const ring = slots + 2;
  const slotMs = Math.max(1, Math.floor(windowMs / slots));
  const maxLease = opts.maxLease ?? 50;
  const pauseCacheMs = opts.pauseCacheMs ?? 1000;
  const caps = new Map<Vendor, LaneCaps>();
  for (const [vendor, l] of Object.entries(opts.limits) as Array<[Vendor, BudgetLimit]>) caps.set(vendor, laneCaps(l.limit, opts.reserve));
  // why: probes are kept under their share by an in-process sliding log, never by a round trip
  const probeLimiters = new Map<Vendor, RateLimiter>();
  for (const [vendor, c] of caps) probeLimiters.set(vendor, createRateLimiter({ limit: c.probe, windowMs, now, sleep }));

  const paused = new Map<string, number>();
  const sync = new Map<string, SyncState>();
  const interactiveQueues = new Map<string, Promise<void>>();
  let roundTrips = 0;
  let expiredTokens = 0;
  const roomWaits = { interactive: 0, sync: 0 };
  let pausesFetchedAt = -Infinity;
  let refreshing: Promise<void> | null = null;

  const store: BudgetStore = {
    lease: (r) => (roundTrips++, opts.store.lease(r)),
    pause: (r) => (roundTrips++, opts.store.pause(r)),
    pausedBuckets: () => (roundTrips++, opts.store.pausedBuckets()),
  };

  function notePause(bucket: string, untilMs: number): void {
    if (untilMs > (paused.get(bucket) ?? 0)) paused.set(bucket, untilMs);
  }

  /** Local wait for a pause this process knows of (own 429s, shared rows seen). */
  async function waitOutPause(bucket: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const until = paused.get(bucket) ?? 0;
      const t = now();
      if (until <= t) {
        if (until) paused.delete(bucket);
        return;
      }
      await sleep(until - t, signal);
    }
  }

  /** Probes learn of other processes' pauses from a cache refreshed in the background, never awaited. */
  function refreshPausesSoon(): void {
    if (refreshing || now() - pausesFetchedAt < pauseCacheMs) return;
    pausesFetchedAt = now();
    refreshing = store
      .pausedBuckets()
      .then((rows) => {
        for (const r of rows) notePause(r.bucket, r.untilMs);
      })
      .catch(() => undefined)
      .finally(() => {
        refreshing = null;
      });
  }

  /** One grant from the shared ring, waiting (locally, by the answer's own clock) until one fits. */
  async function leaseFromStore(bucket: string, want: number, cap: number, syncCap: number | undefined, signal?: AbortSignal, unsent?: Lease): Promise<Lease> {
    let giveBack = unsent && unsent.tokens > 0 ? { slot: unsent.slot, tokens: unsent.tokens } : undefined;
    for (;;) {
      await waitOutPause(bucket, signal);
      signal?.throwIfAborted();
      const asked = now();
      const a = await store.lease({ bucket, want, cap, syncCap, slotMs, ring, giveBack });
      giveBack = undefined;
      if (a.pausedUntilMs !== null && a.pausedUntilMs > a.nowMs) {
        // why: the pause is in the store's clock; convert to ours through the answer's own now
        notePause(bucket, asked + (a.pausedUntilMs - a.nowMs));
        continue;
      }
      if (a.granted > 0) {
        const slotEndsIn = (a.slot + 1) * slotMs - a.nowMs;
        // why: measured from when we asked, so a slow answer shortens the lease rather than stretching it
        return { tokens: a.granted, slot: a.slot, expiresAt: asked + slotEndsIn };
      }
      // why: a sync waiter waits for a block (about one slot's share), not one token: fewer, larger leases;
      // room left for later is not lost, the ring only holds what was granted
      const need = syncCap === undefined ? 1 : Math.max(1, Math.min(want, Math.floor(syncCap / ring)));
      const forAll = msUntilRoom(a.counts, a.slot, a.nowMs, slotMs, cap, need) ?? slotMs;
      const forSync = syncCap === undefined ? 0 : (msUntilRoom(a.syncCounts, a.slot, a.nowMs, slotMs, syncCap, need) ?? slotMs);
      const wait = Math.max(forAll, forSync);
      roomWaits[syncCap === undefined ? "interactive" : "sync"]++;
      await sleep(Math.max(1, wait), signal);
    }
  }

  function chain(queues: Map<string, Promise<void>>, key: string, run: () => Promise<void>): Promise<void> {
    const previous = queues.get(key) ?? Promise.resolve();
    const mine = previous.then(run);
    const settled = mine.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return mine;
  }

  async function acquireSync(bucket: string, c: LaneCaps, signal?: AbortSignal): Promise<void> {
    let s = sync.get(bucket);
    if (!s) sync.set(bucket, (s = { lease: null, lastHandout: null, gapMs: 50, queue: Promise.resolve() }));
    const state = s;
    const run = async () => {
      const t = now();
      if (state.lastHandout !== null) {
        // why: the gap between handing a token out and the next ask is how long this process's pagers take per request
        const gap = Math.min(slotMs, t - state.lastHandout);
        state.gapMs = 0.7 * state.gapMs + 0.3 * Math.max(1, gap);
      }
      await waitOutPause(bucket, signal);
      if (!state.lease || state.lease.tokens <= 0 || now() >= state.lease.expiresAt) {
        const unsent = state.lease && state.lease.tokens > 0 ? state.lease : undefined;
        if (unsent) expiredTokens += unsent.tokens;
        state.lease = null;
        // why: ask only for what can be sent before the slot ends; what is not, the next lease gives back
        const left = slotMs - (now() % slotMs);
        const want = Math.max(1, Math.min(maxLease, Math.ceil(left / state.gapMs)));
        state.lease = await leaseFromStore(bucket, want, c.interactive, c.sync, signal, unsent);
      }
      state.lease.tokens--;
      state.lastHandout = now();
    };
    const previous = state.queue;
    const mine = previous.then(run);
    state.queue = mine.catch(() => undefined);
    return mine;
  }

  return {
    limit: opts.limits.cliniko?.limit ?? 0,
    windowMs,
    get roundTrips() {
      return roundTrips;
    },
    get expiredTokens() {
      return expiredTokens;
    },
    get roomWaits() {
      return { ...roomWaits };
    },
    async acquire(bucket: string, { signal, lane = "interactive" }: AcquireOptions = {}): Promise<void> {
      const vendor = vendorOf(bucket);
      const c = vendor ? caps.get(vendor) : undefined;
      const laneOf: BudgetLane = lane;
      if (laneOf === "probe" || !c) {
        refreshPausesSoon();
        // why: the fleet's hot path; no promise hop unless this bucket is paused
        if (paused.size > 0 && paused.has(bucket)) await waitOutPause(bucket, signal);
        if (c && vendor) await probeLimiters.get(vendor)!.acquire(bucket, { signal });
        return;
      }
      if (laneOf === "sync") return acquireSync(bucket, c, signal);
      return chain(interactiveQueues, bucket, async () => {
        await leaseFromStore(bucket, 1, c.interactive, undefined, signal);
      });
    },
    async pauseUntil(bucket: string, epochMs: number): Promise<void> {
      notePause(bucket, epochMs);
      // why: tokens leased before the vendor said stop are not sent
      const s = sync.get(bucket);
      if (s) s.lease = null;
      try {
        await store.pause({ bucket, untilMs: epochMs, ring });
      } catch {
        // why: the local pause holds this process; the others will meet their own 429 and pause too
      }
    },
  };
}
