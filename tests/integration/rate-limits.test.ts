import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("rate limits in PostgreSQL", () => {
  it("allows exactly the limit per window under concurrency, then says when to retry", async () => {
    const now = new Date("2026-11-23T10:07:30Z");
    const results = await Promise.all(Array.from({ length: 15 }, () => hitRateLimit({ bucket: "link:abc", limit: 10, windowSeconds: 900, now }, t.db)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const refused = results.find((r) => !r.allowed)!;
    // window 10:00–10:15, now 10:07:30 → 450 s left
    expect(refused.retryAfterSeconds).toBe(450);
    // a sliding window: right after the boundary the last window still counts in full, half a window later half of it does
    const atBoundary = await hitRateLimit({ bucket: "link:abc", limit: 10, windowSeconds: 900, now: new Date("2026-11-23T10:15:00Z") }, t.db);
    expect(atBoundary.allowed).toBe(false);
    const later = await hitRateLimit({ bucket: "link:abc", limit: 10, windowSeconds: 900, now: new Date("2026-11-23T10:25:00Z") }, t.db);
    expect(later.allowed).toBe(true);
  });

  it("a burst either side of a window boundary gets the limit once, not twice (issue 10: a fixed window let the 11th attempt through at 22:15:00)", async () => {
    const bucket = "link:boundary";
    const before = new Date("2026-11-23T22:14:59Z");
    const after = new Date("2026-11-23T22:15:01Z");
    for (let i = 0; i < 10; i++) expect((await hitRateLimit({ bucket, limit: 10, windowSeconds: 900, now: before }, t.db)).allowed).toBe(true);
    const eleventh = await hitRateLimit({ bucket, limit: 10, windowSeconds: 900, now: after }, t.db);
    expect(eleventh.allowed).toBe(false);
    // the previous window's ten fade out over the next 15 minutes: the wait is most of a window, never zero
    expect(eleventh.retryAfterSeconds).toBeGreaterThan(60);
    expect(eleventh.retryAfterSeconds).toBeLessThanOrEqual(900);
  });

  it("keeps buckets apart", async () => {
    const now = new Date();
    await hitRateLimit({ bucket: "ip:1", limit: 1, windowSeconds: 60, now }, t.db);
    expect((await hitRateLimit({ bucket: "ip:2", limit: 1, windowSeconds: 60, now }, t.db)).allowed).toBe(true);
    expect((await hitRateLimit({ bucket: "ip:1", limit: 1, windowSeconds: 60, now }, t.db)).allowed).toBe(false);
  });
});
