import { describe, expect, it } from "vitest";
import type { BriefingData } from "../../db/queries/briefing-data.ts";
import { zonedInstant } from "./calendar.ts";
import { computeMetrics, type MetricsInput } from "./metrics.ts";

// Hand-computed fixtures: every expected number below is worked out in the comment beside it.
const TZ = "Australia/Melbourne";
const WEEK = "2026-11-23"; // Monday; the week ends Monday 30 Nov 00:00 local
const NOW = new Date(zonedInstant("2026-11-30", "07:00", TZ));
const at = (date: string, time: string, tz = TZ) => zonedInstant(date, time, tz);
const H = 3_600_000;

type Appt = BriefingData["appointments"][number];
type Invoice = BriefingData["invoices"][number];
let seq = 0;
const appt = (p: Partial<Appt> & { startsAt: number }): Appt => ({
  id: `a${++seq}`,
  endsAt: p.startsAt + H,
  patientId: `pt${seq}`,
  practitionerId: "p1",
  appointmentTypeId: "std",
  status: "arrived",
  cancelledAt: null,
  ...p,
});
const invoice = (p: Partial<Invoice>): Invoice => ({
  id: `i${++seq}`,
  issueDate: "2026-11-24",
  status: "paid",
  totalAmount: "0",
  practitionerId: "p1",
  closedAt: null,
  appointmentId: null,
  count: 1,
  ...p,
});
const weekdays = (spans: { startsAt: string; endsAt: string }[], days = [1, 2, 3, 4, 5], practitionerId = "p1") =>
  days.map((d) => ({
    kind: "daily" as const,
    id: `da-${practitionerId}-${d}`,
    practitionerId,
    dayOfWeek: d,
    spans,
    startsAt: null,
    endsAt: null,
    repeatRule: null,
  }));

function data(p: Partial<BriefingData> = {}): BriefingData {
  return {
    practitioners: [
      { id: "p1", firstName: "Asha", lastName: "Patel", active: true },
      { id: "p2", firstName: "Ben", lastName: "Ng", active: true },
    ],
    appointmentTypes: [
      { id: "std", name: "Standard consultation", durationMinutes: 60 },
      { id: "brk", name: "Lunch break", durationMinutes: 60 },
    ],
    appointments: [],
    patients: [],
    futureBookedPatientIds: [],
    invoices: [],
    availability: [],
    ...p,
  };
}

function run(d: BriefingData, overrides: Partial<MetricsInput> = {}) {
  return computeMetrics({
    timeZone: TZ,
    currency: "AUD",
    vendor: "cliniko",
    weekStart: WEEK,
    now: NOW,
    settings: { practitionerIds: ["p1"], excludedAppointmentTypeIds: null, workingHours: {} },
    data: d,
    ...overrides,
  });
}

describe("utilisation", () => {
  it("attended + DNA minutes (overlaps once) ÷ daily availability + blocks − unavailable blocks; cancelled frees the slot; breaks left out", () => {
    const m = run(
      data({
        // Monday 09:00–17:00 only: 480 min
        availability: [
          ...weekdays([{ startsAt: "09:00", endsAt: "17:00" }], [1]),
          // − Monday 12:00–13:00 unavailable: 420
          {
            kind: "unavailable",
            id: "u1",
            practitionerId: "p1",
            dayOfWeek: null,
            spans: null,
            startsAt: at("2026-11-23", "12:00"),
            endsAt: at("2026-11-23", "13:00"),
            repeatRule: null,
          },
          // + Saturday 09:00–12:00 extra: 600
          {
            kind: "extra",
            id: "x1",
            practitionerId: "p1",
            dayOfWeek: null,
            spans: null,
            startsAt: at("2026-11-28", "09:00"),
            endsAt: at("2026-11-28", "12:00"),
            repeatRule: null,
          },
        ],
        appointments: [
          appt({ startsAt: at("2026-11-23", "09:00") }), // attended 09:00–10:00
          appt({ startsAt: at("2026-11-23", "09:30"), status: "did_not_arrive" }), // DNA 09:30–10:30: merged 09:00–10:30 = 90
          appt({ startsAt: at("2026-11-23", "11:00"), status: "cancelled", cancelledAt: at("2026-11-23", "08:00") }), // late (3 h before): frees
          appt({ startsAt: at("2026-11-23", "15:00"), status: "cancelled", cancelledAt: at("2026-11-20", "15:00") }), // 3 days before: not late
          appt({ startsAt: at("2026-11-23", "12:00"), appointmentTypeId: "brk" }), // a break: left out of everything
          appt({ startsAt: at("2026-11-28", "09:00"), status: "booked" }), // unmarked, in the past: attended, 60
        ],
      }),
    );
    const p = m.practitioners[0]!;
    expect(p.availabilitySource).toBe("vendor");
    expect(p.utilisation.value).toEqual({ bookedMinutes: 150, availableMinutes: 600, rate: 0.25 });
    expect([p.attended, p.didNotArrive, p.cancelled, p.lateCancelled]).toEqual([2, 1, 2, 1]);
    // 5 appointments counted: DNA 1/5, cancelled 2/5, late 1/5
    expect(m.totals.dnaRate.value).toBe(0.2);
    expect(m.totals.cancellationRate.value).toBe(0.4);
    expect(m.totals.lateCancellationRate.value).toBe(0.2);
    expect(m.totals.utilisation.value.rate).toBe(0.25);
    // free time: Monday afternoon 13:00–17:00 = 240 (less nothing booked) is the largest half-day
    expect(m.facts.practitioners[0]!.freeSlots[0]).toEqual({ weekday: 1, half: "afternoon", minutes: 240 });
  });

  it("configured working hours stand in where the vendor has no availability, and say so; none gives no rate", () => {
    const m = run(
      data({ appointments: [appt({ startsAt: at("2026-11-24", "10:00") }), appt({ startsAt: at("2026-11-24", "10:00"), practitionerId: "p2" })] }),
      {
        settings: {
          practitionerIds: ["p1", "p2"],
          excludedAppointmentTypeIds: null,
          workingHours: { p1: [{ dayOfWeek: 2, startsAt: "09:00", endsAt: "13:00" }] }, // Tuesday 4 h = 240
        },
      },
    );
    const [p1, p2] = m.practitioners;
    expect(p1!.availabilitySource).toBe("configured");
    expect(p1!.utilisation.value).toEqual({ bookedMinutes: 60, availableMinutes: 240, rate: 0.25 });
    expect(p2!.availabilitySource).toBe("none");
    expect(p2!.utilisation.value.rate).toBeNull();
    expect(m.notes.join(" ")).toMatch(/Configured working hours stood in for Asha Patel/);
    expect(m.notes.join(" ")).toMatch(/No availability for Ben Ng/);
  });

  it("a DST week counts real minutes: Melbourne's clocks skip 02:00–03:00 on Sunday 4 Oct 2026", () => {
    const m = run(data({ appointments: [appt({ startsAt: at("2026-09-29", "10:00") })] }), {
      weekStart: "2026-09-28",
      now: new Date(at("2026-10-05", "07:00")),
      settings: { practitionerIds: ["p1"], excludedAppointmentTypeIds: null, workingHours: { p1: [{ dayOfWeek: 7, startsAt: "01:00", endsAt: "04:00" }] } },
    });
    // 01:00–04:00 on the wall clock is 2 real hours that night
    expect(m.practitioners[0]!.utilisation.value.availableMinutes).toBe(120);
  });

  it("a London week when clocks go back counts the repeated hour: Sunday 25 Oct 2026 00:00–03:00 is 4 hours", () => {
    const tz = "Europe/London";
    const m = run(data(), {
      timeZone: tz,
      weekStart: "2026-10-19",
      now: new Date(at("2026-10-26", "07:00", tz)),
      settings: { practitionerIds: ["p1"], excludedAppointmentTypeIds: null, workingHours: { p1: [{ dayOfWeek: 7, startsAt: "00:00", endsAt: "03:00" }] } },
    });
    expect(m.practitioners[0]!.utilisation.value.availableMinutes).toBe(240);
  });

  it("a weekly repeating unavailable block that began weeks earlier still removes its hours", () => {
    const m = run(
      data({
        availability: [
          ...weekdays([{ startsAt: "09:00", endsAt: "17:00" }], [3]), // Wednesday 480
          {
            kind: "unavailable",
            id: "u-weekly",
            practitionerId: "p1",
            dayOfWeek: null,
            spans: null,
            // Wednesday 4 Nov 09:00–11:00, weekly, 5 repeats → 4, 11, 18, 25 Nov, 2, 9 Dec
            startsAt: at("2026-11-04", "09:00"),
            endsAt: at("2026-11-04", "11:00"),
            repeatRule: { repeat_type: "weekly", number_of_repeats: 5, repeating_interval: 1 },
          },
        ],
      }),
    );
    expect(m.practitioners[0]!.utilisation.value.availableMinutes).toBe(360);
  });

  it("booked time beyond availability shows as 100% with a note", () => {
    const m = run(
      data({
        availability: weekdays([{ startsAt: "09:00", endsAt: "10:00" }], [1]),
        appointments: [appt({ startsAt: at("2026-11-23", "09:00"), endsAt: at("2026-11-23", "11:00") })],
      }),
    );
    expect(m.practitioners[0]!.utilisation.value).toEqual({ bookedMinutes: 120, availableMinutes: 60, rate: 1 });
    expect(m.notes.join(" ")).toMatch(/more booked time than available hours/);
  });
});

describe("revenue and AR", () => {
  it("revenue = paid + open + open credit issued in the week, exact; closed and break invoices left out; per attended hour", () => {
    const m = run(
      data({
        appointments: [
          appt({ id: "brk-appt", startsAt: at("2026-11-23", "12:00"), appointmentTypeId: "brk" }),
          appt({ startsAt: at("2026-11-24", "09:00") }),
          appt({ startsAt: at("2026-11-24", "10:00") }),
        ],
        invoices: [
          invoice({ status: "paid", totalAmount: "100.10" }),
          invoice({ status: "open", totalAmount: "50.05", issueDate: "2026-11-29" }),
          invoice({ status: "open_credit", totalAmount: "-20.00" }), // a credit reduces revenue
          invoice({ status: "closed", totalAmount: "30.00" }),
          invoice({ status: "unknown", totalAmount: "40.00" }),
          invoice({ status: "paid", totalAmount: "60.00", appointmentId: "brk-appt" }), // a break's invoice
          invoice({ status: "paid", totalAmount: "70.00", issueDate: "2026-11-30" }), // next week
          invoice({ status: "paid", totalAmount: "0.20", practitionerId: null }), // no practitioner: clinic total only
        ],
      }),
    );
    expect(m.practitioners[0]!.revenue.value).toBe("130.15");
    // 130.15 over 2 attended hours = 65.075 → 65.08 (half away from zero)
    expect(m.practitioners[0]!.revenuePerAttendedHour).toBe("65.08");
    expect(m.totals.revenue.value).toBe("130.35");
    expect(m.notes.join(" ")).toMatch(/Revenue includes \$0\.20 invoiced without a counted practitioner/);
  });

  it("AR ages open invoices by issue date at the week's end (Sunday 29 Nov) into 0–30 / 31–60 / 61–90 / 90+", () => {
    const weekEnd = at("2026-11-30", "00:00");
    const m = run(
      data({
        invoices: [
          invoice({ status: "open", totalAmount: "10.00", issueDate: "2026-11-29" }), // 0 days
          invoice({ status: "open", totalAmount: "20.00", issueDate: "2026-10-30" }), // 30
          invoice({ status: "open_credit", totalAmount: "-5.00", issueDate: "2026-11-20" }), // 9, a credit
          invoice({ status: "open", totalAmount: "30.00", issueDate: "2026-10-29" }), // 31
          invoice({ status: "paid", totalAmount: "40.00", issueDate: "2026-09-01", closedAt: weekEnd + H }), // 89, paid after the week ended: open then
          invoice({ status: "open", totalAmount: "50.00", issueDate: "2026-08-30" }), // 91
          invoice({ status: "paid", totalAmount: "1000.00", issueDate: "2026-11-25", closedAt: weekEnd - H }), // paid in time
        ],
      }),
    );
    expect(m.ar.buckets.map((b) => [b.label, b.count, b.amount])).toEqual([
      ["0–30", 3, "25.00"],
      ["31–60", 1, "30.00"],
      ["61–90", 1, "40.00"],
      ["90+", 1, "50.00"],
    ]);
    expect(m.ar.openTotal).toBe("145.00");
    expect(m.facts.overdue).toEqual({ count: 3, amount: "120.00" });
    // 12-week window 7 Sep–29 Nov: invoiced 10+20−5+30+1000 = 1055, open 55 → 0.0521…
    expect(m.ar.rate.value).toBeCloseTo(55 / 1055, 10);
    expect(m.ar.windowWeeks).toBe(12);
    expect(m.ar.partialPaymentsVisible).toBe(false);
  });
});

describe("patients", () => {
  it("new = first attended appointment ever in the week; rebooked = a later live booking (DNA-only patients not counted)", () => {
    const m = run(
      data({
        appointments: [
          appt({ startsAt: at("2026-11-23", "09:00"), patientId: "new" }),
          appt({ startsAt: at("2026-11-24", "09:00"), patientId: "old" }),
          appt({ startsAt: at("2026-11-25", "09:00"), patientId: "old2" }),
          appt({ startsAt: at("2026-11-27", "09:00"), patientId: "old2", status: "did_not_arrive" }), // a later booking (it held the slot)
          appt({ startsAt: at("2026-11-25", "11:00"), patientId: "dna-only", status: "did_not_arrive" }),
          appt({ startsAt: at("2026-11-26", "11:00"), patientId: "cancelled-only", status: "cancelled" }),
        ],
        patients: [
          { patientId: "new", attendedBefore: false },
          { patientId: "old", attendedBefore: true },
          { patientId: "old2", attendedBefore: true },
        ],
        futureBookedPatientIds: ["new"],
      }),
    );
    expect(m.totals.newPatients.value).toBe(1);
    // seen: new (future booking), old (none), old2 (a later booking in the week) → 2 of 3
    expect(m.totals.rebookingRate.value).toBeCloseTo(2 / 3, 10);
  });
});

describe("comparison and practitioners", () => {
  it("previous = the earlier weeks with data (here one), and comparisonWeeks says how many", () => {
    const m = run(
      data({
        availability: weekdays([{ startsAt: "09:00", endsAt: "13:00" }], [1]),
        appointments: [
          appt({ startsAt: at("2026-11-23", "09:00") }), // this week: 60 of 240
          appt({ startsAt: at("2026-11-16", "09:00") }), // last week: 120 of 240
          appt({ startsAt: at("2026-11-16", "11:00") }),
        ],
        invoices: [invoice({ totalAmount: "90.00" }), invoice({ totalAmount: "45.50", issueDate: "2026-11-17" })],
      }),
    );
    expect(m.comparisonWeeks).toBe(1);
    expect(m.totals.utilisation.value.rate).toBe(0.25);
    expect(m.totals.utilisation.previous).toEqual({ bookedMinutes: 120, availableMinutes: 240, rate: 0.5 });
    expect(m.totals.attended).toEqual({ value: 1, previous: 2 });
    expect(m.totals.revenue).toEqual({ value: "90.00", previous: "45.50" });
    expect(m.notes.join(" ")).toMatch(/average 1 earlier week:/);
  });

  it("default practitioners: active ones with appointments in the four weeks; excluded types by name", () => {
    const m = run(
      data({
        practitioners: [
          { id: "p1", firstName: "Asha", lastName: "Patel", active: true },
          { id: "p2", firstName: "Ben", lastName: "Ng", active: false },
          { id: "p3", firstName: "Cleo", lastName: "Ray", active: true },
          { id: "p4", firstName: "Dan", lastName: "Oh", active: true },
        ],
        appointments: [
          appt({ startsAt: at("2026-11-03", "09:00"), practitionerId: "p1" }), // week −3: counts
          appt({ startsAt: at("2026-11-23", "09:00"), practitionerId: "p2" }), // inactive
          appt({ startsAt: at("2026-10-27", "09:00"), practitionerId: "p3" }), // week −4: outside the four weeks
          appt({ startsAt: at("2026-11-23", "09:00"), practitionerId: "p4", appointmentTypeId: "brk" }), // only breaks
        ],
      }),
      { settings: { practitionerIds: null, excludedAppointmentTypeIds: null, workingHours: {} } },
    );
    expect(m.practitioners.map((p) => p.id)).toEqual(["p1"]);
  });
});
