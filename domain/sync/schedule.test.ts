import { describe, expect, it } from "vitest";
import { fullPassDue, sweepWindow } from "./schedule.ts";

describe("the sync sweep spreads the fleet over the interval", () => {
  it("one sweep a minute covers every phase of an hour exactly once", () => {
    const interval = 3600;
    const covered = new Array<number>(interval).fill(0);
    const start = Date.UTC(2026, 0, 1, 10, 17);
    for (let m = 0; m < 60; m++) {
      const { from, to } = sweepWindow(start + m * 60_000, interval);
      for (let s = from; s < to; s++) covered[s]!++;
    }
    expect(covered.every((n) => n === 1)).toBe(true);
  });
  it("a sweep a few seconds late still takes its own minute", () => {
    const at = Date.UTC(2026, 0, 1, 10, 17);
    expect(sweepWindow(at + 7_000, 3600)).toEqual(sweepWindow(at, 3600));
    expect(sweepWindow(at, 3600)).toEqual({ from: 17 * 60, to: 18 * 60 });
  });
  it("an interval shorter than the window is swept whole", () => {
    expect(sweepWindow(Date.UTC(2026, 0, 1), 30)).toEqual({ from: 0, to: 30 });
  });
});

describe("full reconciliation passes", () => {
  const at = new Date(Date.UTC(2026, 0, 2, 10));
  it("the first sync always lists whole", () => {
    expect(fullPassDue(null, at, 24)).toBe(true);
  });
  it("then at most once per configured interval", () => {
    expect(fullPassDue(new Date(at.getTime() - 23.9 * 3_600_000), at, 24)).toBe(false);
    expect(fullPassDue(new Date(at.getTime() - 24 * 3_600_000), at, 24)).toBe(true);
    expect(fullPassDue(new Date(at.getTime() - 2 * 3_600_000), at, 1)).toBe(true);
  });
});
