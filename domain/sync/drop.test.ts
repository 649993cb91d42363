import { describe, expect, it } from "vitest";
import { recordDrop } from "./drop.ts";

describe("a sudden drop in what sync sees", () => {
  const settings = { share: 0.5, minimum: 10 };
  it("alerts on any fall to zero, with the numbers", () => {
    expect(recordDrop(3, 0, settings)).toEqual({ before: 3, after: 0 });
    expect(recordDrop(20_000, 0, settings)).toEqual({ before: 20_000, after: 0 });
  });
  it("alerts when more than the configured share disappears", () => {
    expect(recordDrop(1000, 400, settings)).toEqual({ before: 1000, after: 400 });
    expect(recordDrop(1000, 500, settings)).toBeNull();
    expect(recordDrop(1000, 900, { share: 0.05, minimum: 10 })).toEqual({ before: 1000, after: 900 });
  });
  it("stays quiet for small clinics losing a few, for growth, and without a previous sync", () => {
    expect(recordDrop(12, 4, settings)).toBeNull();
    expect(recordDrop(100, 120, settings)).toBeNull();
    expect(recordDrop(null, 0, settings)).toBeNull();
    expect(recordDrop(0, 0, settings)).toBeNull();
  });
});
