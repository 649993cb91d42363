import { describe, expect, it } from "vitest";
import { isMonday, mondayOf } from "./calendar.ts";
import {
  briefedWeek,
  briefingDayEnd,
  briefingDueAt,
  formatBriefingMoment,
  latestDueBriefing,
  localToInstant,
  nextBriefing,
  weekLabel,
  type ZoneRules,
} from "./schedule.ts";

const iso = (d: Date) => d.toISOString();
const HOUR = 3_600_000;

describe("a briefing is due Monday 07:00 in the clinic's own zone, across daylight-saving switches", () => {
  it.each([
    // zone, briefed week, due (UTC), why
    ["Australia/Sydney", "2026-03-23", "2026-03-29T20:00:00.000Z", "before the April switch: AEDT +11"],
    ["Australia/Sydney", "2026-03-30", "2026-04-05T21:00:00.000Z", "after it (Sunday 5 Apr): AEST +10"],
    ["Australia/Sydney", "2026-09-21", "2026-09-27T21:00:00.000Z", "before the October switch: AEST +10"],
    ["Australia/Sydney", "2026-09-28", "2026-10-04T20:00:00.000Z", "after it (Sunday 4 Oct): AEDT +11"],
    ["Europe/London", "2026-03-16", "2026-03-23T07:00:00.000Z", "before BST: GMT"],
    ["Europe/London", "2026-03-23", "2026-03-30T06:00:00.000Z", "after the 29 Mar switch: BST +1"],
    ["Europe/London", "2026-10-12", "2026-10-19T06:00:00.000Z", "before the 25 Oct switch: BST"],
    ["Europe/London", "2026-10-19", "2026-10-26T07:00:00.000Z", "after it: GMT"],
    ["America/New_York", "2026-02-23", "2026-03-02T12:00:00.000Z", "before the 8 Mar switch: EST −5"],
    ["America/New_York", "2026-03-02", "2026-03-09T11:00:00.000Z", "after it: EDT −4"],
    ["America/New_York", "2026-10-19", "2026-10-26T11:00:00.000Z", "before the 1 Nov switch: EDT"],
    ["America/New_York", "2026-10-26", "2026-11-02T12:00:00.000Z", "after it: EST"],
  ])("%s, week of %s: due %s (%s)", (zone, weekStart, due) => {
    expect(iso(briefingDueAt(zone, weekStart))).toBe(due);
  });

  it("a week with a switch in it is 7 days ± the hour, from Monday 00:00 to Monday 00:00 local", () => {
    const sydney = briefedWeek("Australia/Sydney", "2026-03-30");
    expect(iso(sydney.from)).toBe("2026-03-29T13:00:00.000Z");
    expect(iso(sydney.to)).toBe("2026-04-05T14:00:00.000Z");
    expect(sydney.to.getTime() - sydney.from.getTime()).toBe(7 * 24 * HOUR + HOUR);
    const ny = briefedWeek("America/New_York", "2026-03-02");
    expect(ny.to.getTime() - ny.from.getTime()).toBe(7 * 24 * HOUR - HOUR);
  });

  it("a held briefing may go out until the end of the clinic's Monday", () => {
    expect(iso(briefingDayEnd("Europe/London", "2026-03-23"))).toBe("2026-03-30T23:00:00.000Z");
  });
});

describe("a Monday 07:00 that falls in a skipped hour still gets its briefing", () => {
  // why: no real zone switches at Monday 07:00, so a test zone does: clocks jump 07:00 → 08:00 on Monday 9 Mar 2026
  const SWITCH = Date.parse("2026-03-09T07:00:00Z");
  const springsAtSeven: ZoneRules = { name: "Test/Spring-At-Seven", offsetMinutes: (t) => (t < SWITCH ? 0 : 60) };
  // and one whose clocks fall back 08:00 → 07:00 at the same instant: 07:00 happens twice
  const fallsAtSeven: ZoneRules = { name: "Test/Fall-At-Seven", offsetMinutes: (t) => (t < SWITCH ? 60 : 0) };

  it("due at the next valid instant: the switch itself (the clock then reads 08:00)", () => {
    expect(iso(briefingDueAt(springsAtSeven, "2026-03-02"))).toBe("2026-03-09T07:00:00.000Z");
    // the week before and after are ordinary
    expect(iso(briefingDueAt(springsAtSeven, "2026-02-23"))).toBe("2026-03-02T07:00:00.000Z");
    expect(iso(briefingDueAt(springsAtSeven, "2026-03-09"))).toBe("2026-03-16T06:00:00.000Z");
  });

  it("the sweep finds it due: the latest due briefing just after the switch is that week's", () => {
    const at = new Date(SWITCH + 60_000);
    expect(latestDueBriefing(springsAtSeven, at).weekStart).toBe("2026-03-02");
    expect(latestDueBriefing(springsAtSeven, new Date(SWITCH - 60_000)).weekStart).toBe("2026-02-23");
  });

  it("a repeated 07:00 is due at its first occurrence", () => {
    expect(iso(briefingDueAt(fallsAtSeven, "2026-03-02"))).toBe("2026-03-09T06:00:00.000Z");
  });

  it("the same rule on a real gap: New York's Sunday 02:30 on 8 Mar 2026 is 03:00 EDT", () => {
    expect(iso(localToInstant("America/New_York", "2026-03-08", 2, 30))).toBe("2026-03-08T07:00:00.000Z");
    // and a repeated time (1 Nov 01:30 happens twice) is its first occurrence, EDT
    expect(iso(localToInstant("America/New_York", "2026-11-01", 1, 30))).toBe("2026-11-01T05:30:00.000Z");
  });
});

describe("the next briefing, as the setup page says it", () => {
  it("on a Wednesday in Melbourne: Monday 7 Dec, 07:00", () => {
    const next = nextBriefing("Australia/Melbourne", new Date("2026-12-02T05:00:00Z"));
    expect(next.weekStart).toBe("2026-11-30");
    expect(iso(next.dueAt)).toBe("2026-12-06T20:00:00.000Z");
    expect(formatBriefingMoment("Australia/Melbourne", next.dueAt)).toBe("Monday 7 Dec, 07:00 Australia/Melbourne");
  });

  it("at Monday 07:00 exactly, that briefing is due now and the next one is a week later", () => {
    const due = new Date("2026-12-06T20:00:00Z");
    expect(latestDueBriefing("Australia/Melbourne", due).weekStart).toBe("2026-11-30");
    expect(nextBriefing("Australia/Melbourne", due).weekStart).toBe("2026-12-07");
    // a minute before, the one due is still the week before's
    expect(latestDueBriefing("Australia/Melbourne", new Date(due.getTime() - 60_000)).weekStart).toBe("2026-11-23");
    expect(nextBriefing("Australia/Melbourne", new Date(due.getTime() - 60_000)).weekStart).toBe("2026-11-30");
  });

  it("history labels", () => {
    expect(weekLabel("2026-11-16")).toBe("16–22 Nov");
    expect(weekLabel("2026-11-30")).toBe("30 Nov – 6 Dec");
  });

  it("Monday dates", () => {
    expect(mondayOf("2026-12-06")).toBe("2026-11-30");
    expect(mondayOf("2026-11-30")).toBe("2026-11-30");
    expect(isMonday("2026-11-30")).toBe(true);
    expect(isMonday("2026-12-01")).toBe(false);
  });
});
