import { describe, expect, it } from "vitest";
import { holdReason, notSetUp } from "./hold.ts";
import { parseWorkingHours } from "./setup.ts";

const now = new Date("2026-11-29T20:05:00Z");
const fresh = new Date(now.getTime() - 3_600_000);
const ok = { state: "healthy" as const, failureCode: null, firstFailureAt: null, lastSyncSuccessAt: fresh };

describe("a briefing is held while the connection is not healthy or the data is stale", () => {
  it("healthy with a sync in the last 24 h: goes out", () => {
    expect(holdReason(ok, now)).toBeNull();
    expect(holdReason({ ...ok, lastSyncSuccessAt: new Date(now.getTime() - 24 * 3_600_000) }, now)).toBeNull();
  });
  it("each reason in words", () => {
    expect(holdReason({ ...ok, state: "action_required", failureCode: "auth_rejected", firstFailureAt: fresh }, now)).toBe(
      "The connection is action required (Key rejected), so last week's figures cannot be trusted.",
    );
    // broken now (its last probe failed) while the workflow state still reads healthy
    expect(holdReason({ ...ok, failureCode: "network", firstFailureAt: fresh }, now)).toMatch(/^The connection is failing its checks/);
    expect(holdReason({ ...ok, state: "paused" }, now)).toBe("The connection is paused by support.");
    expect(holdReason({ ...ok, lastSyncSuccessAt: null }, now)).toMatch(/No sync has finished yet/);
    expect(holdReason({ ...ok, lastSyncSuccessAt: new Date(now.getTime() - 25 * 3_600_000) }, now)).toBe(
      "The last successful sync was 25 hours ago: the data is older than 24 hours.",
    );
    expect(holdReason({ ...ok, lastSyncSuccessAt: new Date(now.getTime() - 80 * 3_600_000) }, now)).toMatch(/was 3 days ago/);
  });
  it("a connection that never finished setting up is not held but skipped (readiness shows why)", () => {
    expect(notSetUp({ ...ok, state: "setup_pending", lastSyncSuccessAt: null })).toBe(true);
    expect(notSetUp({ ...ok, state: "action_required", lastSyncSuccessAt: null })).toBe(false);
  });
});

describe("configured working hours", () => {
  it("day ranges and single days", () => {
    expect(parseWorkingHours("Mon-Wed 09:00-17:00; sat 9:00-12:30")).toEqual([
      { dayOfWeek: 1, startsAt: "09:00", endsAt: "17:00" },
      { dayOfWeek: 2, startsAt: "09:00", endsAt: "17:00" },
      { dayOfWeek: 3, startsAt: "09:00", endsAt: "17:00" },
      { dayOfWeek: 6, startsAt: "09:00", endsAt: "12:30" },
    ]);
  });
  it("refuses what it cannot read, in words", () => {
    expect(parseWorkingHours("Mon-Fri 9-5")).toMatch(/Write hours like/);
    expect(parseWorkingHours("Fri-Mon 09:00-17:00")).toMatch(/Unknown days/);
    expect(parseWorkingHours("Mon 17:00-09:00")).toMatch(/end must be after the start/);
  });
});
