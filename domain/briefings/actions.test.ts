import { describe, expect, it } from "vitest";
import {
  chaseOverdueInvoices,
  describeSlots,
  dnaReminders,
  hoursValue,
  lateCancellationPolicy,
  practitionerUtilisationDrop,
  proposeActions,
  rebookAtCheckout,
  unusedCapacity,
  type Rule,
} from "./actions.ts";
import type { ActionFacts } from "./metrics.ts";

/** Facts where no rule fires; each test turns on what it needs. */
function facts(p: Partial<ActionFacts> = {}): ActionFacts {
  return {
    currency: "AUD",
    practitioners: [],
    freeSlots: [],
    utilisation: { rate: 0.9, bookedMinutes: 5400, availableMinutes: 6000 },
    overdue: { count: 0, amount: "0.00" },
    appointments: 100,
    dna: { count: 1, minutes: 30, rate: 0.01, previous: 0.01 },
    late: { count: 1, minutes: 30, rate: 0.01, previous: null },
    rebooking: { patients: 50, rebooked: 40, rate: 0.8, previous: 0.8 },
    meanAttendedMinutes: 45,
    revenuePerAttendedHour: "100.00",
    ...p,
  };
}
const only = (r: ReturnType<Rule>) => {
  if (!("candidates" in r)) throw new Error(`rule did not fire: ${r.none}`);
  return r.candidates;
};

describe("action rules", () => {
  it("chase overdue invoices: cites count and amount in the clinic's currency; a money stake", () => {
    const [a] = only(chaseOverdueInvoices(facts({ overdue: { count: 14, amount: "3420.00" } })));
    expect(a!.title).toBe("Chase the 14 invoices over 30 days: $3,420.00 outstanding");
    expect(a!.stake).toEqual({ kind: "money", amount: "3420.00" });
    expect(a!.rankValue).toBe("3420.00");
    expect(chaseOverdueInvoices(facts())).toEqual({ none: "no invoices are open more than 30 days" });
    const [gbp] = only(chaseOverdueInvoices(facts({ currency: "GBP", overdue: { count: 1, amount: "12.50" } })));
    expect(gbp!.title).toBe("Chase the 1 invoice over 30 days: £12.50 outstanding");
  });

  it("utilisation drop: names the practitioner, both rates and the half-days with most free time; hours × their revenue per hour", () => {
    const patel = {
      id: "p1",
      name: "Dr Patel",
      rate: 0.52,
      previousRate: 0.71,
      availableMinutes: 1800,
      bookedMinutes: 936,
      revenuePerAttendedHour: "120.00",
      freeSlots: [
        { weekday: 4, half: "afternoon" as const, minutes: 240 },
        { weekday: 2, half: "afternoon" as const, minutes: 200 },
        { weekday: 1, half: "morning" as const, minutes: 60 },
      ],
    };
    const steady = { ...patel, id: "p2", name: "Ben Ng", rate: 0.7, previousRate: 0.75 };
    const cands = only(practitionerUtilisationDrop(facts({ practitioners: [patel, steady] })));
    expect(cands).toHaveLength(1);
    expect(cands[0]!.title).toBe("Dr Patel's utilisation fell to 52% from 71%: open Tuesday and Thursday afternoons to online booking");
    // (0.71 − 0.52) × 30 h = 5.7 h × $120 = $684.00
    expect(cands[0]!.stake).toEqual({ kind: "hours", hours: 5.7 });
    expect(cands[0]!.rankValue).toBe("684.00");
  });

  it("unused capacity: hours to the 80% target, valued at the clinic's revenue per attended hour", () => {
    const [a] = only(
      unusedCapacity(
        facts({ utilisation: { rate: 0.6, bookedMinutes: 3600, availableMinutes: 6000 }, freeSlots: [{ weekday: 5, half: "afternoon", minutes: 500 }] }),
      ),
    );
    // 0.8 × 100 h − 60 h = 20 h × $100
    expect(a!.title).toBe("Fill 20 hours of unused capacity, mostly Friday afternoon");
    expect(a!.rankValue).toBe("2000.00");
    expect("none" in unusedCapacity(facts())).toBe(true);
  });

  it("DNA reminders when the rate is 3% or more, or rising with 3 or more", () => {
    const [a] = only(dnaReminders(facts({ dna: { count: 6, minutes: 270, rate: 0.06, previous: 0.04 } })));
    expect(a!.title).toBe("Send reminders the day before: 6 did-not-arrives (6%, up from 4%) held 4.5 hours");
    expect(a!.rankValue).toBe("450.00");
    expect("none" in dnaReminders(facts({ dna: { count: 2, minutes: 60, rate: 0.02, previous: 0.01 } }))).toBe(true);
    expect("candidates" in dnaReminders(facts({ dna: { count: 3, minutes: 60, rate: 0.025, previous: 0.01 } }))).toBe(true);
  });

  it("late cancellations: the 24-hour policy when 2 or more and 2% or more", () => {
    const [a] = only(lateCancellationPolicy(facts({ late: { count: 7, minutes: 330, rate: 0.048, previous: 0.02 } })));
    expect(a!.title).toBe("Apply the 24-hour cancellation policy: 7 late cancellations (5%, 2% before) left 5.5 hours hard to refill");
    expect(a!.stake).toEqual({ kind: "hours", hours: 5.5 });
    expect("none" in lateCancellationPolicy(facts({ late: { count: 1, minutes: 60, rate: 0.05, previous: null } }))).toBe(true);
  });

  it("rebook at checkout under 70%: the patients needed to reach it × mean appointment length", () => {
    const [a] = only(rebookAtCheckout(facts({ rebooking: { patients: 145, rebooked: 61, rate: 61 / 145, previous: 0.6 } })));
    expect(a!.title).toBe("Rebook at checkout: only 42% of patients seen left with a next booking (61 of 145)");
    // ceil(0.7 × 145 − 61) = 41 patients × 45 min = 30.75 h → 30.8 h × $100
    expect(a!.stake).toEqual({ kind: "hours", hours: 30.8 });
    expect(a!.rankValue).toBe("3080.00");
  });

  it("hours are valued exactly (no float drift) and at zero without a rate", () => {
    expect(hoursValue(0.1 + 0.2, "33.33")).toBe("10.00");
    expect(hoursValue(5, null)).toBe("0.00");
  });

  it("describes the two half-days with most free time in weekday order", () => {
    expect(describeSlots([])).toBeNull();
    expect(
      describeSlots([
        { weekday: 5, half: "afternoon", minutes: 300 },
        { weekday: 1, half: "morning", minutes: 200 },
      ]),
    ).toBe("Monday morning and Friday afternoon");
  });
});

describe("proposeActions", () => {
  const busy = facts({
    overdue: { count: 14, amount: "3420.00" },
    utilisation: { rate: 0.6, bookedMinutes: 3600, availableMinutes: 6000 }, // $2,000
    dna: { count: 6, minutes: 270, rate: 0.06, previous: 0.04 }, // $450
    rebooking: { patients: 145, rebooked: 61, rate: 61 / 145, previous: 0.6 }, // $3,080
  });

  it("exactly three, ranked by money at stake (hours × revenue per attended hour)", () => {
    const { actions, fewerActionsReason } = proposeActions(busy);
    expect(actions.map((a) => [a.rule, a.rankValue])).toEqual([
      ["chase_overdue_invoices", "3420.00"],
      ["rebook_at_checkout", "3080.00"],
      ["unused_capacity", "2000.00"],
    ]);
    expect(fewerActionsReason).toBeNull();
  });

  it("one rule's second candidate fills the third place only after every firing rule's best", () => {
    const twoDrops: Rule = () => ({
      candidates: [
        { rule: "x", title: "x1", detail: "", stake: { kind: "money", amount: "9000.00" }, rankValue: "9000.00" },
        { rule: "x", title: "x2", detail: "", stake: { kind: "money", amount: "8000.00" }, rankValue: "8000.00" },
      ],
    });
    const one: Rule = () => ({ candidates: [{ rule: "y", title: "y1", detail: "", stake: { kind: "money", amount: "10.00" }, rankValue: "10.00" }] });
    expect(proposeActions(facts(), [twoDrops, one]).actions.map((a) => a.title)).toEqual(["x1", "y1", "x2"]);
  });

  it("fewer than three only when fewer rules fire, and then says why", () => {
    const { actions, fewerActionsReason } = proposeActions(facts({ overdue: { count: 2, amount: "300.00" } }));
    expect(actions.map((a) => a.rule)).toEqual(["chase_overdue_invoices"]);
    expect(fewerActionsReason).toMatch(/^Only one action this week: .*utilisation was 90%, at or above the 80% target/);
    expect(proposeActions(facts()).fewerActionsReason).toMatch(/^No action this week: no invoices are open more than 30 days/);
  });
});
