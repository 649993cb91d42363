import { describe, expect, it } from "vitest";
import { addDays, localDateOf, previousWeekStart, zonedInstant } from "./calendar.ts";
import { currencyFor, divRound, formatMoney, moneyString, parseMoney, parseUnits } from "./money.ts";

describe("money", () => {
  it("sums vendor decimal strings exactly and rounds once, half away from zero", () => {
    const sum = ["0.10", "0.20", "-25", "12.3456"].map(parseMoney).reduce((a, b) => a + b, 0n);
    expect(moneyString(sum)).toBe("-12.35");
    expect(moneyString(parseMoney("0.005"))).toBe("0.01");
    expect(moneyString(parseMoney("-0.005"))).toBe("-0.01");
    expect(moneyString(divRound(parseMoney("130.15"), 2n))).toBe("65.08");
    expect(() => parseMoney("12,00")).toThrow();
  });

  it("formats in the clinic's currency and picks it from the country when unset", () => {
    expect(formatMoney("3420.00", "AUD")).toBe("$3,420.00");
    expect(formatMoney("-5.50", "GBP")).toBe("-£5.50");
    expect(formatMoney("1234.5", "EUR")).toBe("€1,234.50");
    expect(currencyFor(null, "NZ")).toEqual({ currency: "NZD", fromCountry: true, known: true });
    expect(currencyFor("cad", "AU").currency).toBe("CAD");
    expect(currencyFor(null, "XX")).toEqual({ currency: "AUD", fromCountry: true, known: false });
  });
});

describe("calendar across DST", () => {
  it("local midnights are instants: a Melbourne week with the October change is 167 hours, a London week with the October change 169", () => {
    const week = (monday: string, tz: string) => (zonedInstant(addDays(monday, 7), "00:00", tz) - zonedInstant(monday, "00:00", tz)) / 3_600_000;
    expect(week("2026-09-28", "Australia/Melbourne")).toBe(167);
    expect(week("2026-10-19", "Europe/London")).toBe(169);
    // New York springs forward on Sunday 8 Mar 2026
    expect(week("2026-03-02", "America/New_York")).toBe(167);
    expect(week("2026-03-09", "America/New_York")).toBe(168);
  });

  it("a skipped wall time moves past the gap; a repeated one is its first occurrence", () => {
    // Sydney 4 Oct 2026: 02:00 → 03:00; 02:30 reads as 03:30 AEDT = 16:30 UTC the day before
    expect(new Date(zonedInstant("2026-10-04", "02:30", "Australia/Sydney")).toISOString()).toBe("2026-10-03T16:30:00.000Z");
    // London 25 Oct 2026: 01:30 happens twice; the first is BST (00:30 UTC)
    expect(new Date(zonedInstant("2026-10-25", "01:30", "Europe/London")).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });

  it("the briefed week is the last complete local week", () => {
    // Monday 30 Nov 07:00 in Melbourne is still Sunday 29 Nov in UTC
    expect(previousWeekStart("Australia/Melbourne", new Date("2026-11-29T20:00:00Z"))).toBe("2026-11-23");
    expect(localDateOf(Date.parse("2026-11-29T20:00:00Z"), "Australia/Melbourne")).toBe("2026-11-30");
  });
});

describe("parseUnits", () => {
  it("agrees with parseMoney on every shape it meets, and rejects what parseMoney rejects", () => {
    for (const text of ["0", "7", "-25", "123.45", "-0.50", "0.1", ".5", "12.3456", "12.34565", "999999999.9999", "-"]) {
      let expected: number | string;
      try {
        expected = Number(parseMoney(text));
      } catch {
        expected = "throws";
      }
      let got: number | string;
      try {
        got = parseUnits(text);
      } catch {
        got = "throws";
      }
      expect([text, got]).toEqual([text, expected]);
    }
  });
});
