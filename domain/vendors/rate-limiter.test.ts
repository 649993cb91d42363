import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limiter.ts";

function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("rate limiter", () => {
  it("never lets more than `limit` requests into any window", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 3, windowMs: 1000, safetyMs: 0, now: clock.now, sleep: clock.sleep });
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      await limiter.acquire("k");
      times.push(clock.now());
    }
    expect(times).toEqual([0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000]);
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(3);
  });

  it("keeps keys apart", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 1, windowMs: 1000, safetyMs: 0, now: clock.now, sleep: clock.sleep });
    await limiter.acquire("a");
    await limiter.acquire("b");
    expect(clock.now()).toBe(0);
  });

  it("holds a bucket until the vendor's reset", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 100, windowMs: 1000, now: clock.now, sleep: clock.sleep });
    limiter.pauseUntil("k", 5000);
    await limiter.acquire("k");
    expect(clock.now()).toBe(5000);
  });

  it("serves waiters in order under concurrency", async () => {
    const limiter = createRateLimiter({ limit: 2, windowMs: 60, safetyMs: 0 });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.acquire("k").then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
