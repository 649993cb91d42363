import { describe, expect, it } from "vitest";
import { zonedInstant } from "./calendar.ts";
import { nextBriefingWeekStart } from "./preview.ts";

describe("nextBriefingWeekStart", () => {
  const at = (date: string, time: string, zone: string) => new Date(zonedInstant(date, time, zone));

  it("is the week in progress once Monday 07:00 local has passed", () => {
    expect(nextBriefingWeekStart("Australia/Melbourne", at("2026-12-02", "15:00", "Australia/Melbourne"))).toBe("2026-11-30");
    expect(nextBriefingWeekStart("Australia/Melbourne", at("2026-12-06", "23:59", "Australia/Melbourne"))).toBe("2026-11-30");
    expect(nextBriefingWeekStart("Europe/London", at("2026-11-30", "07:00", "Europe/London"))).toBe("2026-11-30");
  });

  it("is the week just ended until Monday 07:00 local, whatever the UTC date", () => {
    expect(nextBriefingWeekStart("Australia/Melbourne", at("2026-11-30", "06:59", "Australia/Melbourne"))).toBe("2026-11-23");
    // 20:00 UTC on Sunday is already Monday morning in Melbourne
    expect(nextBriefingWeekStart("Australia/Melbourne", new Date("2026-11-29T19:30:00Z"))).toBe("2026-11-23");
    expect(nextBriefingWeekStart("America/New_York", new Date("2026-11-30T05:00:00Z"))).toBe("2026-11-23");
  });
});
