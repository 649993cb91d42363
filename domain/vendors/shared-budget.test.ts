import { describe, expect, it } from "vitest";
import {
  createMemoryBudgetStore,
  createSharedBudget,
  giveBackToRing,
  grantFromRing,
  grantFromRings,
  laneCaps,
  msUntilRoom,
  shiftRing,
} from "./shared-budget.ts";

/** Virtual time: sleeps resolve when the driver advances the clock to them, in order. */
function virtualTime() {
  let now = 0;
  const timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  let seq = 0;
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + Math.max(0, ms), seq: seq++, resolve })),
    async runUntil(end: number) {
      for (;;) {
        await settle();
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.resolve();
      }
      now = end;
    },
  };
}

function maxInAnyWindow(arrivals: number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let max = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe("lane caps", () => {
  it("splits Cliniko's 200 into sync 160, interactive up to 180, probes 20, never more than the limit together", () => {
    expect(laneCaps(200, 0.2)).toEqual({ sync: 160, interactive: 180, probe: 20 });
    for (const limit of [1, 5, 20, 200, 1000])
      for (const reserve of [0.05, 0.2, 0.5, 0.9]) {
        const c = laneCaps(limit, reserve);
        expect(c.sync).toBeLessThanOrEqual(c.interactive);
        if (limit >= 2) expect(c.interactive + c.probe).toBeLessThanOrEqual(limit);
        expect(c.probe).toBeGreaterThanOrEqual(1);
      }
  });
});

describe("ring arithmetic (mirrors the SQL in db/queries/vendor-budgets.ts)", () => {
  it("shifts older slots out, newest first, and clears a ring of the wrong size", () => {
    expect(shiftRing([3, 2, 1, 0], 10, 10, 4)).toEqual([3, 2, 1, 0]);
    expect(shiftRing([3, 2, 1, 0], 10, 11, 4)).toEqual([0, 3, 2, 1]);
    expect(shiftRing([3, 2, 1, 0], 10, 12, 4)).toEqual([0, 0, 3, 2]);
    expect(shiftRing([3, 2, 1, 0], 10, 99, 4)).toEqual([0, 0, 0, 0]);
    expect(shiftRing([3, 2], 10, 10, 4)).toEqual([0, 0, 0, 0]);
    // why: a clock that steps back counts into the newest slot: never fewer than were sent
    expect(shiftRing([3, 2, 1, 0], 10, 9, 4)).toEqual([3, 2, 1, 0]);
  });

  it("grants up to the cap, none while paused, and counts the grant in the newest slot", () => {
    expect(grantFromRing([1, 2, 3], 10, 10, false)).toEqual({ granted: 4, used: 6, counts: [5, 2, 3] });
    expect(grantFromRing([1, 2, 3], 2, 10, false)).toEqual({ granted: 2, used: 6, counts: [3, 2, 3] });
    expect(grantFromRing([5, 5], 1, 10, false)).toEqual({ granted: 0, used: 10, counts: [5, 5] });
    expect(grantFromRing([0, 0], 5, 10, true)).toEqual({ granted: 0, used: 0, counts: [0, 0] });
  });

  it("holds sync to its own part and the whole ring to the interactive cap", () => {
    const rings = { counts: [3, 3], syncCounts: [2, 2] };
    expect(grantFromRings(rings, 10, 10, 5, false)).toEqual({ granted: 1, used: 6, counts: [4, 3], syncCounts: [3, 2] });
    expect(grantFromRings(rings, 10, 10, undefined, false)).toEqual({ granted: 4, used: 6, counts: [7, 3], syncCounts: [2, 2] });
    expect(grantFromRings(rings, 10, 7, 9, false)).toMatchObject({ granted: 1 });
  });

  it("takes back unsent tokens only from their own slot, and only while it is in the ring", () => {
    expect(giveBackToRing([5, 4, 3], 10, 10, 2)).toEqual([3, 4, 3]);
    expect(giveBackToRing([5, 4, 3], 10, 8, 2)).toEqual([5, 4, 1]);
    expect(giveBackToRing([5, 4, 3], 10, 8, 9)).toEqual([5, 4, 0]);
    expect(giveBackToRing([5, 4, 3], 10, 7, 2)).toEqual([5, 4, 3]);
    expect(giveBackToRing([5, 4, 3], 10, 11, 2)).toEqual([5, 4, 3]);
  });

  it("says when room appears: at the boundary where enough old slots have left", () => {
    // slot 100 of 10 ms, now 1003: the oldest (4) leaves at 1010, the next (3) at 1020
    expect(msUntilRoom([1, 2, 3, 4], 100, 1003, 10, 10)).toBe(7);
    expect(msUntilRoom([1, 2, 3, 4], 100, 1003, 10, 6)).toBe(17);
    expect(msUntilRoom([1, 2, 3, 4], 100, 1003, 10, 11)).toBe(0);
    expect(msUntilRoom([0, 0], 100, 1003, 10, 0)).toBeNull();
  });
});

describe("shared budget", () => {
  it.each([42, 7, 123])(
    "sync, probes and interactive checks together never exceed the limit in any vendor window, and sync never takes the reserve (seed %i)",
    async (startSeed) => {
      const clock = virtualTime();
      const windowMs = 6000;
      const limit = 200;
      const store = createMemoryBudgetStore(clock.now);
      // why: several processes share one store; each has its own leases, probe log and pause cache
      const processes = [0, 1, 2].map(() =>
        createSharedBudget({ store, limits: { cliniko: { limit } }, reserve: 0.2, windowMs, now: clock.now, sleep: clock.sleep }),
      );
      const slotMs = windowMs / 30;
      const arrivals: number[] = [];
      const byLane = { sync: [] as number[], probe: [] as number[], interactive: [] as number[] };
      const waits = { probe: [] as number[], interactive: [] as number[] };
      // mulberry32: a seeded generator whose arithmetic stays exact in 32 bits
      let seed = startSeed;
      const random = () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
        return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
      };
      const end = 8 * windowMs;
      // why: a request reaches the vendor up to just under one slot after its grant (network, event loop)
      const send = (lane: keyof typeof byLane) => {
        const at = clock.now() + random() * (slotMs - 1);
        arrivals.push(at);
        byLane[lane].push(at);
      };
      const pager = async (p: number) => {
        while (clock.now() < end) {
          await processes[p]!.acquire("cliniko:user", { lane: "sync" });
          send("sync");
          await clock.sleep(5 + random() * 30);
        }
      };
      const prober = async (p: number, every: number) => {
        while (clock.now() < end) {
          await clock.sleep(every * random());
          for (let i = 0; i < 2; i++) {
            const t = clock.now();
            await processes[p]!.acquire("cliniko:user", { lane: "probe" });
            waits.probe.push(clock.now() - t);
            send("probe");
          }
        }
      };
      // why: a verdict every window or two per admin, two admins on one user: within the interactive reserve (20)
      const clinicAdmin = async (p: number, every: number) => {
        while (clock.now() < end) {
          await clock.sleep(every * (1 + random()));
          for (let i = 0; i < 3; i++) {
            const t = clock.now();
            await processes[p]!.acquire("cliniko:user");
            waits.interactive.push(clock.now() - t);
            send("interactive");
          }
        }
      };
      const actors = [
        pager(0),
        pager(0),
        pager(1),
        pager(2),
        prober(1, windowMs / 2),
        prober(2, windowMs / 2),
        clinicAdmin(0, windowMs),
        clinicAdmin(2, windowMs),
      ];
      await clock.runUntil(end + 4 * windowMs);
      await Promise.all(actors);

      expect(maxInAnyWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
      expect(maxInAnyWindow(byLane.sync, windowMs)).toBeLessThanOrEqual(160);
      // the sync lane is saturated (not idle), yet probes and interactive checks never waited
      // why: the ring of 30 + 2 slots lets sync reach 30/32 of its 160 per window; 90% of that is saturation
      expect(byLane.sync.length).toBeGreaterThan(0.9 * 8 * 160 * (30 / 32));
      expect(byLane.probe.length).toBeGreaterThan(10);
      expect(byLane.interactive.length).toBeGreaterThan(10);
      expect(Math.max(...waits.probe)).toBe(0);
      expect(Math.max(...waits.interactive)).toBe(0);
    },
  );

  it("a pause recorded by one process holds another's sync and interactive requests at once, and its probes within the cache time", async () => {
    const clock = virtualTime();
    const store = createMemoryBudgetStore(clock.now);
    const opts = { store, limits: { cliniko: { limit: 200 } }, reserve: 0.2, windowMs: 60_000, pauseCacheMs: 1000, now: clock.now, sleep: clock.sleep };
    const a = createSharedBudget(opts);
    const b = createSharedBudget(opts);
    await b.acquire("cliniko:u", { lane: "probe" }); // b's pause cache is fresh now (empty)
    await a.pauseUntil("cliniko:u", 5000);
    const done: Record<string, number> = {};
    const track = (name: string, p: Promise<void>) => p.then(() => (done[name] = clock.now()));
    const all = [
      track("sync", b.acquire("cliniko:u", { lane: "sync" })),
      track("interactive", b.acquire("cliniko:u")),
      track("probe-now", b.acquire("cliniko:u", { lane: "probe" })),
    ];
    await clock.runUntil(1500);
    all.push(track("probe-later", b.acquire("cliniko:u", { lane: "probe" })));
    await clock.runUntil(10_000);
    await Promise.all(all);
    expect(done.sync).toBe(5000);
    expect(done.interactive).toBe(5000);
    // why: the first probe ran on a cache younger than a second; the next saw the shared pause
    expect(done["probe-now"]).toBe(0);
    expect(done["probe-later"]).toBe(5000);
  });

  it("leases sync tokens in blocks: far fewer store round trips than requests", async () => {
    const clock = virtualTime();
    const budget = createSharedBudget({
      store: createMemoryBudgetStore(clock.now),
      limits: { cliniko: { limit: 200 } },
      reserve: 0.2,
      windowMs: 60_000,
      now: clock.now,
      sleep: clock.sleep,
    });
    let sent = 0;
    const run = (async () => {
      while (clock.now() < 120_000) {
        await budget.acquire("cliniko:u", { lane: "sync" });
        sent++;
        await clock.sleep(100);
      }
    })();
    await clock.runUntil(240_000);
    await run;
    expect(sent).toBeGreaterThan(0.9 * 2 * 160 * (30 / 32));
    expect(budget.roundTrips / sent).toBeLessThan(0.25);
  });

  it("leaves a vendor without a configured limit unbudgeted", async () => {
    const clock = virtualTime();
    const budget = createSharedBudget({
      store: createMemoryBudgetStore(clock.now),
      limits: { cliniko: { limit: 1 } },
      reserve: 0.2,
      now: clock.now,
      sleep: clock.sleep,
    });
    for (let i = 0; i < 50; i++) await budget.acquire("nookal:k", { lane: "sync" });
    expect(clock.now()).toBe(0);
  });
});
