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
    const nextWindow = await hitRateLimit({ bucket: "link:abc", limit: 10, windowSeconds: 900, now: new Date("2026-11-23T10:15:00Z") }, t.db);
    expect(nextWindow.allowed).toBe(true);
  });

  it("keeps buckets apart", async () => {
    const now = new Date();
    await hitRateLimit({ bucket: "ip:1", limit: 1, windowSeconds: 60, now }, t.db);
    expect((await hitRateLimit({ bucket: "ip:2", limit: 1, windowSeconds: 60, now }, t.db)).allowed).toBe(true);
    expect((await hitRateLimit({ bucket: "ip:1", limit: 1, windowSeconds: 60, now }, t.db)).allowed).toBe(false);
  });
});
