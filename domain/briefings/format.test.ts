import { describe, expect, it } from "vitest";
import { compareMoney, formatLocalMoment, formatRate, formatWeek, moneyShare } from "./format.ts";
import { formatMoney } from "./money.ts";

describe("briefing formatting", () => {
  it("formats money in each currency with its own symbol, from the exact string", () => {
    expect(formatMoney("12400", "AUD")).toBe("$12,400.00");
    expect(formatMoney("12400.5", "GBP")).toBe("£12,400.50");
    expect(formatMoney("1234567.89", "USD")).toBe("$1,234,567.89");
    expect(formatMoney("12400.50", "AUD", { whole: true })).toBe("$12,401");
    expect(formatMoney("-3.5", "USD")).toBe("-$3.50");
    // 2^53 + a few cents: a float would lose them
    expect(formatMoney("9007199254740993.07", "AUD")).toBe("$9,007,199,254,740,993.07");
  });

  it("compares and shares money exactly", () => {
    expect(compareMoney("0.10", "0.1")).toBe(0);
    expect(compareMoney("9007199254740993.01", "9007199254740993.00")).toBe(1);
    expect(compareMoney("-1", "0")).toBe(-1);
    expect(moneyShare("1385.00", "5830.00")).toBe(24);
    expect(moneyShare("5830", "5830.00")).toBe(100);
    expect(moneyShare("10", "0")).toBe(0);
  });

  it("formats rates, with a dash for no denominator", () => {
    expect(formatRate(0.7083)).toBe("71%");
    expect(formatRate(0.038, 1)).toBe("3.8%");
    expect(formatRate(null)).toBe("—");
  });

  it("names the week by its local calendar dates, the year once unless it changes", () => {
    expect(formatWeek({ start: "2026-11-30", end: "2026-12-06" })).toBe("Week of Mon 30 Nov – Sun 6 Dec 2026");
    expect(formatWeek({ start: "2026-12-28", end: "2027-01-03" })).toBe("Week of Mon 28 Dec 2026 – Sun 3 Jan 2027");
  });

  it("reads moments in the clinic's time zone, UTC for an unknown zone", () => {
    expect(formatLocalMoment("2026-12-06T20:00:00Z", "Australia/Melbourne")).toBe("Mon 7 Dec, 07:00");
    expect(formatLocalMoment("2026-12-07T07:00:00Z", "Europe/London")).toBe("Mon 7 Dec, 07:00");
    expect(formatLocalMoment("2026-12-06T20:00:00Z", "Not/AZone")).toBe("Sun 6 Dec, 20:00");
  });
});
