import { describe, expect, it } from "vitest";
import { nextAttemptAfterFailure, RETRY_WINDOW_SECONDS, shouldAutoDisable } from "./schedule.ts";

const start = new Date("2026-01-05T00:00:00Z");
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

describe("the retry schedule", () => {
  it("backs off 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h, and ends with an attempt at exactly 72 h", () => {
    const times: number[] = [0];
    for (let attempt = 1; ; attempt++) {
      const next = nextAttemptAfterFailure({ attempt, scheduleStartedAt: start, now: at(times.at(-1)!) });
      if (!next) break;
      times.push((next.getTime() - start.getTime()) / 1000);
    }
    expect(times.slice(0, 7)).toEqual([0, 5, 305, 2105, 9305, 27305, 63305]);
    expect(times.at(-1)).toBe(RETRY_WINDOW_SECONDS);
    expect(times).toHaveLength(13);
    expect(times.slice(6, 12).map((t, i, a) => (i ? t - a[i - 1]! : 36000))).toEqual(Array(6).fill(36000));
  });

  it("gives up on a failure at or after the window's end", () => {
    expect(nextAttemptAfterFailure({ attempt: 13, scheduleStartedAt: start, now: at(RETRY_WINDOW_SECONDS) })).toBeNull();
    expect(nextAttemptAfterFailure({ attempt: 2, scheduleStartedAt: start, now: at(RETRY_WINDOW_SECONDS - 1) })).toEqual(at(RETRY_WINDOW_SECONDS));
  });
});

describe("automatic disabling", () => {
  it("needs both 72 h of failure and at least five failed attempts", () => {
    expect(shouldAutoDisable({ failureStreak: 5, failingSince: start, now: at(72 * 3600) })).toBe(true);
    expect(shouldAutoDisable({ failureStreak: 4, failingSince: start, now: at(100 * 3600) })).toBe(false);
    expect(shouldAutoDisable({ failureStreak: 50, failingSince: start, now: at(72 * 3600 - 1) })).toBe(false);
    expect(shouldAutoDisable({ failureStreak: 50, failingSince: null, now: at(100 * 3600) })).toBe(false);
  });
});
