import { BriefingReportSchema, PractitionerLineSchema, type BriefingReport, type PractitionerLine } from "../../domain/briefings/report.ts";

/**
 * A realistic weekly briefing (issue 14) for render tests and UI previews, and its variants: no
 * history yet, fewer than three actions, a Nookal clinic in GBP, a late (held then sent) briefing.
 * Every variant goes through BriefingReportSchema, so a fixture can never drift from the contract.
 * The figures hang together (utilisation = booked ÷ available; AR buckets sum to the open total),
 * so a screenshot reads like a real clinic's week.
 */

/** One practitioner line, checked on its own so a mistake names the line rather than the whole report. */
const practitioner = (p: PractitionerLine): PractitionerLine => PractitionerLineSchema.parse(p);

const practitioners: PractitionerLine[] = [
  practitioner({
    id: "pr-okafor",
    name: "Dr Amara Okafor",
    availabilitySource: "vendor",
    utilisation: {
      value: { bookedMinutes: 1_740, availableMinutes: 2_160, rate: 1_740 / 2_160 },
      previous: { bookedMinutes: 1_620, availableMinutes: 2_160, rate: 1_620 / 2_160 },
    },
    attended: 56,
    didNotArrive: 2,
    cancelled: 4,
    lateCancelled: 1,
    revenue: { value: "5040.00", previous: "4680.00" },
    revenuePerAttendedHour: "178.94",
  }),
  practitioner({
    id: "pr-patel",
    name: "Dr Priya Patel",
    availabilitySource: "vendor",
    utilisation: {
      value: { bookedMinutes: 1_125, availableMinutes: 2_160, rate: 1_125 / 2_160 },
      previous: { bookedMinutes: 1_530, availableMinutes: 2_160, rate: 1_530 / 2_160 },
    },
    attended: 33,
    didNotArrive: 3,
    cancelled: 7,
    lateCancelled: 4,
    revenue: { value: "2970.00", previous: "4140.00" },
    revenuePerAttendedHour: "180.00",
  }),
  practitioner({
    id: "pr-nguyen",
    name: "Sam Nguyen",
    availabilitySource: "configured",
    utilisation: {
      value: { bookedMinutes: 1_380, availableMinutes: 1_800, rate: 1_380 / 1_800 },
      previous: { bookedMinutes: 1_290, availableMinutes: 1_800, rate: 1_290 / 1_800 },
    },
    attended: 44,
    didNotArrive: 2,
    cancelled: 3,
    lateCancelled: 1,
    revenue: { value: "3190.50", previous: "2995.00" },
    revenuePerAttendedHour: "145.02",
  }),
  practitioner({
    id: "pr-obrien",
    name: "Ciara O'Brien",
    availabilitySource: "vendor",
    utilisation: {
      value: { bookedMinutes: 600, availableMinutes: 960, rate: 600 / 960 },
      previous: { bookedMinutes: 585, availableMinutes: 960, rate: 585 / 960 },
    },
    attended: 19,
    didNotArrive: 1,
    cancelled: 2,
    lateCancelled: 0,
    revenue: { value: "1199.50", previous: "1120.00" },
    revenuePerAttendedHour: "119.95",
  }),
];

const base: BriefingReport = {
  version: 1,
  clinicId: "6f1c2d9e-3b4a-4c5d-8e7f-9a0b1c2d3e4f",
  clinicName: "Harbourside Physio & Pilates",
  timeZone: "Australia/Melbourne",
  currency: "AUD",
  week: { start: "2026-11-30", end: "2026-12-06" },
  comparisonWeeks: 4,
  dataAsOf: "2026-12-06T19:42:00.000Z",
  practitioners,
  totals: {
    utilisation: {
      value: { bookedMinutes: 4_845, availableMinutes: 7_080, rate: 4_845 / 7_080 },
      previous: { bookedMinutes: 5_025, availableMinutes: 7_080, rate: 5_025 / 7_080 },
    },
    attended: { value: 152, previous: 161 },
    dnaRate: { value: 8 / 176, previous: 0.036 },
    cancellationRate: { value: 16 / 176, previous: 0.071 },
    lateCancellationRate: { value: 6 / 176, previous: 0.022 },
    revenue: { value: "12400.00", previous: "12935.00" },
    revenuePerAttendedHour: { value: "164.17", previous: "160.66" },
    newPatients: { value: 11, previous: 9 },
    rebookingRate: { value: 0.68, previous: 0.72 },
  },
  ar: {
    buckets: [
      { label: "0–30", fromDays: 0, toDays: 30, count: 23, amount: "2410.00" },
      { label: "31–60", fromDays: 31, toDays: 60, count: 9, amount: "1385.00" },
      { label: "61–90", fromDays: 61, toDays: 90, count: 3, amount: "655.00" },
      { label: "90+", fromDays: 91, toDays: null, count: 2, amount: "1380.00" },
    ],
    openTotal: "5830.00",
    rate: { value: 0.038, previous: 0.031 },
    windowWeeks: 12,
    partialPaymentsVisible: false,
  },
  actions: [
    {
      rule: "ar-over-30-days",
      title: "Chase the 14 invoices over 30 days: $3,420.00 outstanding",
      detail: "9 invoices are 31–60 days old ($1,385.00), 3 are 61–90 ($655.00) and 2 are past 90 days ($1,380.00).",
      stake: { kind: "money", amount: "3420.00" },
      rankValue: "3420.00",
    },
    {
      rule: "practitioner-utilisation-drop",
      title: "Dr Priya Patel's utilisation fell to 52% from 71%: open Tuesday and Thursday afternoons to online booking",
      detail: "6.8 of 36 available hours went unbooked compared with the 4-week average; at $180.00 per attended hour that is about $1,220.00.",
      stake: { kind: "hours", hours: 6.8 },
      rankValue: "1224.00",
    },
    {
      rule: "late-cancellations",
      title: "Ask for 24 hours' notice: 6 late cancellations this week, up from 4 a week",
      detail: "Late cancellations cost about 5 hours of booked time. A reminder SMS 48 hours ahead cut them at similar clinics.",
      stake: { kind: "hours", hours: 5 },
      rankValue: "820.85",
    },
  ],
  fewerActionsReason: null,
  notes: ["Configured working hours stood in for Sam Nguyen: the practice system holds no availability for them."],
};

/** The standard week: four practitioners, four weeks of history, three actions (Cliniko, AUD). */
export const briefingReport: BriefingReport = BriefingReportSchema.parse(base);

/** The first briefing after connecting: no earlier weeks to compare with. */
export const noHistoryReport: BriefingReport = BriefingReportSchema.parse({
  ...base,
  comparisonWeeks: 0,
  practitioners: base.practitioners.map((p) => ({ ...p, utilisation: { ...p.utilisation, previous: null }, revenue: { ...p.revenue, previous: null } })),
  totals: Object.fromEntries(Object.entries(base.totals).map(([k, v]) => [k, { value: v.value, previous: null }])),
  ar: { ...base.ar, rate: { value: base.ar.rate.value, previous: null } },
  actions: base.actions.filter((a) => a.rule !== "practitioner-utilisation-drop" && a.rule !== "late-cancellations"),
  fewerActionsReason: "This is your first briefing: actions that compare with earlier weeks start once there are four weeks of history.",
  notes: [...base.notes, "No earlier weeks yet: comparisons start next week."],
});

/** A quiet, healthy week: only one action is supported by the data. */
export const fewerActionsReport: BriefingReport = BriefingReportSchema.parse({
  ...base,
  actions: [base.actions[0]],
  fewerActionsReason: "Utilisation, cancellations and rebooking were all at or better than your 4-week average, so only one action is worth your time.",
});

/** A Nookal clinic in London: GBP, payments visible, every practitioner on the vendor's availability. */
export const nookalReport: BriefingReport = BriefingReportSchema.parse({
  ...base,
  clinicId: "0b7e5c1a-2d3f-4a6b-9c8d-7e6f5a4b3c2d",
  clinicName: "Camden Sports Therapy",
  timeZone: "Europe/London",
  currency: "GBP",
  dataAsOf: "2026-12-07T05:58:00.000Z",
  practitioners: base.practitioners.map((p) => ({ ...p, availabilitySource: "vendor" })),
  ar: { ...base.ar, partialPaymentsVisible: true },
  actions: base.actions.map((a) => ({ ...a, title: a.title.replaceAll("$", "£"), detail: a.detail.replaceAll("$", "£") })),
  notes: [],
});

/** A US clinic in USD, for currency formatting. */
export const usdReport: BriefingReport = BriefingReportSchema.parse({
  ...base,
  clinicName: "Lakeview Chiropractic",
  timeZone: "America/New_York",
  currency: "USD",
  notes: [],
});

/** A briefing held on Monday 07:00 (connection unhealthy) and sent once the connection recovered. */
export const lateBriefing = { report: briefingReport, late: { dueAt: "2026-12-06T20:00:00.000Z" } } as const;

/** Vendor input that must come out as text: names are typed into the practice system by the clinic. */
export const hostileReport: BriefingReport = BriefingReportSchema.parse({
  ...base,
  clinicName: `<script>alert("clinic")</script> & Co`,
  practitioners: base.practitioners.map((p, i) => (i === 0 ? { ...p, name: `<img src=x onerror=alert(1)>"Dr' Bad` } : p)),
  notes: ["<b>not bold</b>"],
});
