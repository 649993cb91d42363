import type { BriefingData } from "../../db/queries/briefing-data.ts";
import type { WorkingHoursSpan } from "../../db/schema/briefings.ts";
import type { Vendor } from "../vocabulary.ts";
import { expandBlock, templateIntervals, type TemplateSpan } from "./availability.ts";
import { addDays, daysBetween, isoWeekday, zonedInstant } from "./calendar.ts";
import { merge, measure, subtract, type Interval } from "./intervals.ts";
import { divRound, formatMoney, moneyString, parseUnits, unitsOf } from "./money.ts";
import type { BriefingReport, PractitionerLine } from "./report.ts";

/**
 * The briefing's figures from synced rows (docs/briefing-metrics.md states each definition as the
 * email's footnotes do). Pure: the caller loads the rows (db/queries/briefing-data.ts) and passes
 * `now`. The briefed week is week 0; weeks 1–4 before it are the comparison.
 */

export const COMPARISON_WEEKS = 4;
export const AR_WINDOW_WEEKS = 12;
const LATE_CANCEL_MS = 24 * 3_600_000;
const MINUTE = 60_000;
/** Appointment types left out by default (settings.excludedAppointmentTypeIds null): non-patient time. */
export const EXCLUDED_TYPE_NAME = /\b(break|admin|administration|internal|meeting|lunch)\b/i;
const REVENUE_STATUSES = new Set(["paid", "open", "open_credit"]);
const INVOICED_STATUSES = new Set(["paid", "open", "open_credit", "closed"]);
const OPEN_STATUSES = new Set(["open", "open_credit"]);

export interface MetricsInput {
  timeZone: string;
  currency: string;
  vendor: Vendor;
  /** The briefed week's local Monday. */
  weekStart: string;
  now: Date;
  settings: {
    practitionerIds: string[] | null;
    excludedAppointmentTypeIds: string[] | null;
    workingHours: Record<string, WorkingHoursSpan[]>;
  };
  data: BriefingData;
}

/** A half-day of one weekday in the briefed week and its unbooked available minutes. */
export interface FreeSlot {
  weekday: number;
  half: "morning" | "afternoon";
  minutes: number;
}

/** What the action rules read beyond the report's figures. */
export interface ActionFacts {
  currency: string;
  practitioners: {
    id: string;
    name: string;
    rate: number | null;
    previousRate: number | null;
    availableMinutes: number;
    bookedMinutes: number;
    revenuePerAttendedHour: string | null;
    /** Largest first. */
    freeSlots: FreeSlot[];
  }[];
  /** Clinic-wide (counted practitioners), largest first. */
  freeSlots: FreeSlot[];
  utilisation: { rate: number | null; bookedMinutes: number; availableMinutes: number };
  /** Open invoices older than 30 days at the week's end, positive balances only. */
  overdue: { count: number; amount: string };
  appointments: number;
  dna: { count: number; minutes: number; rate: number | null; previous: number | null };
  late: { count: number; minutes: number; rate: number | null; previous: number | null };
  rebooking: { patients: number; rebooked: number; rate: number | null; previous: number | null };
  /** Mean attended appointment length in minutes (null: none attended). */
  meanAttendedMinutes: number | null;
  /** Clinic revenue per attended hour of the counted practitioners; the hours-to-money rate for ranking. */
  revenuePerAttendedHour: string | null;
}

export interface BriefingMetrics {
  comparisonWeeks: number;
  practitioners: PractitionerLine[];
  totals: BriefingReport["totals"];
  ar: BriefingReport["ar"];
  notes: string[];
  facts: ActionFacts;
}

interface Appt {
  start: number;
  end: number;
  patientId: string | null;
  practitionerId: string | null;
  kind: "attended" | "dna" | "cancelled" | "future";
  late: boolean;
  cancelledAtUnknown: boolean;
  week: number;
}

interface PracWeek {
  booked: Interval[];
  /** `booked` merged (overlaps once), filled once all appointments are in. */
  bookedMerged: Interval[];
  available: Interval[];
  attended: number;
  attendedMs: number;
  dna: number;
  dnaMs: number;
  cancelled: number;
  late: number;
  lateMs: number;
  revenue: number;
}

interface Week {
  monday: string;
  sunday: string;
  start: number;
  end: number;
  hasData: boolean;
  prac: Map<string, PracWeek>;
  revenueAll: number;
  newPatients: number;
  rebookPatients: number;
  rebooked: number;
  arRate: number | null;
}

// why: one collator; String#localeCompare builds one per call
const byName = new Intl.Collator("en");
const rate = (num: number, den: number): number | null => (den > 0 ? Math.min(1, Math.max(0, num / den)) : null);
const minutes = (ms: number) => Math.round(ms / MINUTE);

export function computeMetrics(input: MetricsInput): BriefingMetrics {
  const { timeZone, data, settings, currency } = input;
  const now = input.now.getTime();
  const notes: string[] = [];

  // ---- weeks: 0 = briefed, 1..4 before it; local Monday 00:00 → next Monday 00:00
  const weeks: Week[] = [];
  for (let i = 0; i <= COMPARISON_WEEKS; i++) {
    const monday = addDays(input.weekStart, -7 * i);
    weeks.push({
      monday,
      sunday: addDays(monday, 6),
      start: zonedInstant(monday, "00:00", timeZone),
      end: zonedInstant(addDays(monday, 7), "00:00", timeZone),
      hasData: false,
      prac: new Map(),
      revenueAll: 0,
      newPatients: 0,
      rebookPatients: 0,
      rebooked: 0,
      arRate: null,
    });
  }
  const weekOf = (t: number) => weeks.findIndex((w) => t >= w.start && t < w.end);
  const weekOfDate = (d: string) => weeks.findIndex((w) => d >= w.monday && d <= w.sunday);

  // ---- appointment types left out
  const excluded = new Set(settings.excludedAppointmentTypeIds ?? data.appointmentTypes.filter((t) => EXCLUDED_TYPE_NAME.test(t.name)).map((t) => t.id));
  const durationOf = new Map(data.appointmentTypes.map((t) => [t.id, t.durationMinutes]));

  // ---- appointments, classified at `now`
  const appts: Appt[] = [];
  for (const a of data.appointments) {
    if (a.appointmentTypeId !== null && excluded.has(a.appointmentTypeId)) continue;
    const week = weekOf(a.startsAt);
    if (week < 0) continue;
    weeks[week]!.hasData = true;
    const end = a.endsAt ?? a.startsAt + (durationOf.get(a.appointmentTypeId ?? "") ?? 0) * MINUTE;
    const kind =
      a.status === "cancelled" ? "cancelled" : a.status === "did_not_arrive" ? "dna" : a.status === "arrived" || a.startsAt < now ? "attended" : "future";
    const late = kind === "cancelled" && a.cancelledAt !== null && a.startsAt - a.cancelledAt < LATE_CANCEL_MS;
    appts.push({
      start: a.startsAt,
      end: Math.max(end, a.startsAt),
      patientId: a.patientId,
      practitionerId: a.practitionerId,
      kind,
      late,
      cancelledAtUnknown: kind === "cancelled" && a.cancelledAt === null,
      week,
    });
  }

  // ---- which practitioners count
  const names = new Map(data.practitioners.map((p) => [p.id, `${p.firstName} ${p.lastName}`.trim() || `Practitioner ${p.id}`]));
  let counted: string[];
  if (settings.practitionerIds) {
    counted = settings.practitionerIds;
    const unknown = counted.filter((id) => !names.has(id));
    if (unknown.length > 0)
      notes.push(`${unknown.length} practitioner(s) chosen in the briefing setup are not in the synced data (ids ${unknown.join(", ")}).`);
  } else {
    const recent = new Set(appts.filter((a) => a.week < 4 && a.practitionerId).map((a) => a.practitionerId!));
    counted = data.practitioners.filter((p) => p.active && recent.has(p.id)).map((p) => p.id);
  }
  counted = [...counted].sort((a, b) => byName.compare(names.get(a) ?? a, names.get(b) ?? b));
  const countedSet = new Set(counted);

  // ---- availability per counted practitioner
  const daily = new Map<string, TemplateSpan[]>();
  const extra = new Map<string, Interval[]>();
  const unavailable = new Map<string, Interval[]>();
  const rangeFrom = weeks[COMPARISON_WEEKS]!.start;
  const rangeTo = weeks[0]!.end;
  let unreadRules = 0;
  for (const row of data.availability) {
    if (!row.practitionerId || !countedSet.has(row.practitionerId)) continue;
    if (row.kind === "daily") {
      const list = daily.get(row.practitionerId) ?? [];
      for (const s of row.spans ?? []) list.push({ dayOfWeek: row.dayOfWeek ?? 0, startsAt: s.startsAt, endsAt: s.endsAt });
      daily.set(row.practitionerId, list);
      continue;
    }
    const { intervals, understood } = expandBlock(row, rangeFrom, rangeTo, timeZone);
    if (!understood) unreadRules++;
    const target = row.kind === "extra" ? extra : unavailable;
    target.set(row.practitionerId, [...(target.get(row.practitionerId) ?? []), ...intervals]);
  }
  if (unreadRules > 0) notes.push(`${unreadRules} availability block(s) repeat by a rule Relink could not read: only their first occurrence counts.`);

  const sources = new Map<string, PractitionerLine["availabilitySource"]>();
  for (const id of counted) {
    const vendorHas = (daily.get(id)?.length ?? 0) > 0 || (extra.get(id)?.length ?? 0) > 0;
    const configured = settings.workingHours[id] ?? [];
    const source = vendorHas ? "vendor" : configured.length > 0 ? "configured" : "none";
    sources.set(id, source);
    const template: TemplateSpan[] = source === "vendor" ? (daily.get(id) ?? []) : source === "configured" ? configured : [];
    const minus = merge(unavailable.get(id) ?? []);
    for (const w of weeks) {
      const base = merge([...templateIntervals(template, w.monday, timeZone), ...(source === "vendor" ? (extra.get(id) ?? []) : [])]);
      const available = subtract(
        base.map(([s, e]) => [Math.max(s, w.start), Math.min(e, w.end)] as Interval).filter(([s, e]) => e > s),
        minus,
      );
      w.prac.set(id, { booked: [], bookedMerged: [], available, attended: 0, attendedMs: 0, dna: 0, dnaMs: 0, cancelled: 0, late: 0, lateMs: 0, revenue: 0 });
    }
  }
  const configuredNames = counted.filter((id) => sources.get(id) === "configured").map((id) => names.get(id) ?? id);
  const noneNames = counted.filter((id) => sources.get(id) === "none").map((id) => names.get(id) ?? id);
  if (configuredNames.length > 0)
    notes.push(`Configured working hours stood in for ${list(configuredNames)}: the practice system gives no availability for them.`);
  if (noneNames.length > 0) notes.push(`No availability for ${list(noneNames)}: their utilisation is not shown. Add working hours on the briefing setup page.`);

  // ---- appointments into practitioner weeks
  let lateUnknown = 0;
  const lastAttended = weeks.map(() => new Map<string, number>());
  for (const a of appts) {
    if (!a.practitionerId || !countedSet.has(a.practitionerId)) continue;
    const p = weeks[a.week]!.prac.get(a.practitionerId)!;
    if (a.kind === "attended") {
      p.attended++;
      p.attendedMs += a.end - a.start;
      p.booked.push([a.start, a.end]);
      if (a.patientId) lastAttended[a.week]!.set(a.patientId, Math.max(lastAttended[a.week]!.get(a.patientId) ?? 0, a.start));
    } else if (a.kind === "dna") {
      p.dna++;
      p.dnaMs += a.end - a.start;
      p.booked.push([a.start, a.end]);
    } else if (a.kind === "cancelled") {
      p.cancelled++;
      if (a.late) {
        p.late++;
        p.lateMs += a.end - a.start;
      }
      if (a.cancelledAtUnknown && a.week === 0) lateUnknown++;
    }
  }
  for (const w of weeks) for (const p of w.prac.values()) p.bookedMerged = merge(p.booked);
  if (lateUnknown > 0) notes.push(`${lateUnknown} cancellation(s) last week have no cancellation time in the practice system: not counted as late.`);

  // ---- patients: new (first attended appointment ever falls in the week) and rebooked (a later live booking)
  const firstAttended = new Map<string, number>();
  const lastLive = new Map<string, number>();
  for (const a of data.appointments) {
    if (!a.patientId) continue;
    if (a.status !== "cancelled") lastLive.set(a.patientId, Math.max(lastLive.get(a.patientId) ?? -Infinity, a.startsAt));
    const attended = a.status === "arrived" || (a.status === "booked" && a.startsAt < now);
    if (attended && a.startsAt < (firstAttended.get(a.patientId) ?? Infinity)) firstAttended.set(a.patientId, a.startsAt);
  }
  const future = new Set(data.futureBookedPatientIds);
  for (const p of data.patients) {
    if (p.attendedBefore) continue;
    const wk = weekOf(firstAttended.get(p.patientId) ?? NaN);
    if (wk >= 0) weeks[wk]!.newPatients++;
  }
  weeks.forEach((w, i) => {
    for (const [patient, last] of lastAttended[i]!) {
      w.rebookPatients++;
      if (future.has(patient) || (lastLive.get(patient) ?? -Infinity) > last) w.rebooked++;
    }
  });

  // ---- invoices: revenue by issue date; AR at each week's end
  // why: an invoice's type is its appointment's; appointments of the range are in memory (an invoice for
  // an older appointment counts as not excluded — docs/briefing-metrics.md)
  const typeOfAppointment = new Map(data.appointments.map((a) => [a.id, a.appointmentTypeId]));
  const typeOf = (appointmentId: string | null) => (appointmentId === null ? null : (typeOfAppointment.get(appointmentId) ?? null));
  const invoices = data.invoices.map((i) => ({
    issueDate: i.issueDate,
    status: i.status,
    practitionerId: i.practitionerId,
    closedAt: i.closedAt,
    // why: integer units in a double: exact sums without a bigint per invoice (parseUnits checks the range)
    units: parseUnits(i.totalAmount),
    count: i.count,
    appointmentTypeId: typeOf(i.appointmentId),
  }));

  for (const inv of invoices) {
    if (inv.issueDate === null || !REVENUE_STATUSES.has(inv.status)) continue;
    if (inv.appointmentTypeId !== null && excluded.has(inv.appointmentTypeId)) continue;
    const wk = weekOfDate(inv.issueDate);
    if (wk < 0) continue;
    const w = weeks[wk]!;
    w.hasData = true;
    w.revenueAll += inv.units;
    const p = inv.practitionerId ? w.prac.get(inv.practitionerId) : undefined;
    if (p) p.revenue += inv.units;
  }
  const openAt = (inv: (typeof invoices)[number], w: Week) =>
    inv.issueDate !== null &&
    inv.issueDate <= w.sunday &&
    (OPEN_STATUSES.has(inv.status) || (inv.closedAt !== null && inv.closedAt >= w.end && (inv.status === "paid" || inv.status === "closed")));
  for (const w of weeks) {
    const from = addDays(w.sunday, -(7 * AR_WINDOW_WEEKS - 1));
    let invoiced = 0;
    let open = 0;
    for (const inv of invoices) {
      if (inv.issueDate === null || inv.issueDate < from || inv.issueDate > w.sunday || !INVOICED_STATUSES.has(inv.status)) continue;
      invoiced += inv.units;
      if (openAt(inv, w)) open += inv.units;
    }
    w.arRate = invoiced > 0 ? Math.min(1, Math.max(0, open / invoiced)) : null;
  }
  const briefed = weeks[0]!;
  const bucketDefs = [
    { label: "0–30", fromDays: 0, toDays: 30 },
    { label: "31–60", fromDays: 31, toDays: 60 },
    { label: "61–90", fromDays: 61, toDays: 90 },
    { label: "90+", fromDays: 91, toDays: null },
  ];
  const buckets = bucketDefs.map((b) => ({ ...b, count: 0, units: 0 }));
  const overdue = { count: 0, units: 0 };
  for (const inv of invoices) {
    if (!openAt(inv, briefed)) continue;
    const age = Math.max(0, daysBetween(inv.issueDate!, briefed.sunday));
    const b = buckets.find((x) => age >= x.fromDays && (x.toDays === null || age <= x.toDays))!;
    b.count += inv.count;
    b.units += inv.units;
    if (age > 30 && inv.units > 0) {
      overdue.count += inv.count;
      overdue.units += inv.units;
    }
  }

  // ---- comparison weeks: those 1..4 with any appointment or invoice
  const comparison = weeks.slice(1).filter((w) => w.hasData);
  const n = comparison.length;
  if (n === 0) notes.push("No earlier weeks to compare with yet: the figures stand alone this time.");
  else if (n < COMPARISON_WEEKS)
    notes.push(`"Previous" figures average ${n} earlier week${n === 1 ? "" : "s"}: the synced data starts later than four weeks back.`);

  const meanMoney = (values: number[]) =>
    values.length === 0 ? null : moneyString(divRound(unitsOf(values.reduce((s, v) => s + v, 0)), BigInt(values.length)));
  const meanInt = (values: number[]) => (values.length === 0 ? null : Math.round(values.reduce((s, v) => s + v, 0) / values.length));
  const perHour = (units: number, ms: number) => (ms > 0 ? moneyString(divRound(unitsOf(units) * 3_600_000n, BigInt(Math.round(ms)))) : null);
  const sumP = (ws: Week[], ids: string[], f: (p: PracWeek) => number) => ws.reduce((s, w) => s + ids.reduce((t, id) => t + f(w.prac.get(id)!), 0), 0);
  const utilOf = (ws: Week[], ids: string[]) => {
    const booked = sumP(ws, ids, (p) => measure(p.bookedMerged));
    const available = sumP(ws, ids, (p) => measure(p.available));
    const count = Math.max(1, ws.length);
    return {
      bookedMinutes: minutes(booked / count),
      availableMinutes: minutes(available / count),
      rate: rate(booked, available),
      over: available > 0 && booked > available,
    };
  };

  // ---- practitioner lines
  const over: string[] = [];
  const practitioners: PractitionerLine[] = counted.map((id) => {
    const p = briefed.prac.get(id)!;
    const now0 = utilOf([briefed], [id]);
    if (now0.over) over.push(names.get(id) ?? id);
    const prev = n > 0 ? utilOf(comparison, [id]) : null;
    return {
      id,
      name: names.get(id) ?? `Practitioner ${id}`,
      availabilitySource: sources.get(id)!,
      utilisation: {
        value: { bookedMinutes: now0.bookedMinutes, availableMinutes: now0.availableMinutes, rate: now0.rate },
        previous: prev && { bookedMinutes: prev.bookedMinutes, availableMinutes: prev.availableMinutes, rate: prev.rate },
      },
      attended: p.attended,
      didNotArrive: p.dna,
      cancelled: p.cancelled,
      lateCancelled: p.late,
      revenue: { value: moneyString(unitsOf(p.revenue)), previous: meanMoney(comparison.map((w) => w.prac.get(id)!.revenue)) },
      revenuePerAttendedHour: perHour(p.revenue, p.attendedMs),
    };
  });
  if (over.length > 0)
    notes.push(`${list(over)} had more booked time than available hours last week (appointments outside their availability): utilisation shows 100%.`);

  // ---- totals over the counted practitioners (revenue: every invoice of the week)
  const totalsOf = (ws: Week[]) => {
    const attended = sumP(ws, counted, (p) => p.attended);
    const dna = sumP(ws, counted, (p) => p.dna);
    const cancelled = sumP(ws, counted, (p) => p.cancelled);
    const late = sumP(ws, counted, (p) => p.late);
    const all = attended + dna + cancelled;
    const countedRevenue = ws.reduce((s, w) => s + counted.reduce((t, id) => t + w.prac.get(id)!.revenue, 0), 0);
    return {
      attended,
      dna,
      cancelled,
      late,
      all,
      dnaRate: rate(dna, all),
      cancellationRate: rate(cancelled, all),
      lateCancellationRate: rate(late, all),
      perHour: perHour(
        countedRevenue,
        sumP(ws, counted, (p) => p.attendedMs),
      ),
      countedRevenue,
      rebookingRate: rate(
        ws.reduce((s, w) => s + w.rebooked, 0),
        ws.reduce((s, w) => s + w.rebookPatients, 0),
      ),
    };
  };
  const t0 = totalsOf([briefed]);
  const tp = n > 0 ? totalsOf(comparison) : null;
  const u0 = utilOf([briefed], counted);
  const up = n > 0 ? utilOf(comparison, counted) : null;
  const unattributed = briefed.revenueAll - t0.countedRevenue;
  if (unattributed !== 0)
    notes.push(
      `Revenue includes ${formatMoney(moneyString(unitsOf(unattributed)), currency)} invoiced without a counted practitioner (other practitioners, products or none).`,
    );

  const totals: BriefingReport["totals"] = {
    utilisation: {
      value: { bookedMinutes: u0.bookedMinutes, availableMinutes: u0.availableMinutes, rate: u0.rate },
      previous: up && { bookedMinutes: up.bookedMinutes, availableMinutes: up.availableMinutes, rate: up.rate },
    },
    attended: { value: t0.attended, previous: tp ? Math.round(tp.attended / n) : null },
    dnaRate: { value: t0.dnaRate, previous: tp?.dnaRate ?? null },
    cancellationRate: { value: t0.cancellationRate, previous: tp?.cancellationRate ?? null },
    lateCancellationRate: { value: t0.lateCancellationRate, previous: tp?.lateCancellationRate ?? null },
    revenue: { value: moneyString(unitsOf(briefed.revenueAll)), previous: meanMoney(comparison.map((w) => w.revenueAll)) },
    revenuePerAttendedHour: { value: t0.perHour, previous: tp?.perHour ?? null },
    newPatients: { value: briefed.newPatients, previous: meanInt(comparison.map((w) => w.newPatients)) },
    rebookingRate: { value: t0.rebookingRate, previous: tp?.rebookingRate ?? null },
  };

  const arRates = comparison.map((w) => w.arRate).filter((r): r is number => r !== null);
  const ar: BriefingReport["ar"] = {
    buckets: buckets.map(({ units, ...b }) => ({ ...b, amount: moneyString(unitsOf(units)) })),
    openTotal: moneyString(unitsOf(buckets.reduce((s, b) => s + b.units, 0))),
    rate: { value: briefed.arRate, previous: arRates.length > 0 ? arRates.reduce((s, r) => s + r, 0) / arRates.length : null },
    windowWeeks: AR_WINDOW_WEEKS,
    // why: Cliniko has no payments endpoint, and Relink does not read Nookal's payments query yet
    partialPaymentsVisible: false,
  };

  // ---- facts for the action rules
  const freeSlotsOf = (ids: string[]): FreeSlot[] => {
    const acc = new Map<string, FreeSlot>();
    for (const id of ids) {
      const p = briefed.prac.get(id)!;
      const free = subtract(p.available, p.bookedMerged);
      for (let d = 0; d < 7; d++) {
        const date = addDays(briefed.monday, d);
        const dayStart = zonedInstant(date, "00:00", timeZone);
        const noon = zonedInstant(date, "12:00", timeZone);
        const dayEnd = zonedInstant(addDays(date, 1), "00:00", timeZone);
        for (const [half, from, to] of [
          ["morning", dayStart, noon],
          ["afternoon", noon, dayEnd],
        ] as const) {
          const m = minutes(measure(free, from, to));
          if (m <= 0) continue;
          const key = `${d}-${half}`;
          const slot = acc.get(key) ?? { weekday: isoWeekday(date), half, minutes: 0 };
          slot.minutes += m;
          acc.set(key, slot);
        }
      }
    }
    return [...acc.values()].sort((a, b) => b.minutes - a.minutes || a.weekday - b.weekday);
  };
  const attendedMs0 = sumP([briefed], counted, (p) => p.attendedMs);
  const facts: ActionFacts = {
    currency,
    practitioners: practitioners.map((line) => ({
      id: line.id,
      name: line.name,
      rate: line.utilisation.value.rate,
      previousRate: line.utilisation.previous?.rate ?? null,
      availableMinutes: line.utilisation.value.availableMinutes,
      bookedMinutes: line.utilisation.value.bookedMinutes,
      revenuePerAttendedHour: line.revenuePerAttendedHour,
      freeSlots: freeSlotsOf([line.id]),
    })),
    freeSlots: freeSlotsOf(counted),
    utilisation: { rate: u0.rate, bookedMinutes: u0.bookedMinutes, availableMinutes: u0.availableMinutes },
    overdue: { count: overdue.count, amount: moneyString(unitsOf(overdue.units)) },
    appointments: t0.all,
    dna: { count: t0.dna, minutes: minutes(sumP([briefed], counted, (p) => p.dnaMs)), rate: t0.dnaRate, previous: tp?.dnaRate ?? null },
    late: {
      count: t0.late,
      minutes: minutes(sumP([briefed], counted, (p) => p.lateMs)),
      rate: t0.lateCancellationRate,
      previous: tp?.lateCancellationRate ?? null,
    },
    rebooking: { patients: briefed.rebookPatients, rebooked: briefed.rebooked, rate: t0.rebookingRate, previous: tp?.rebookingRate ?? null },
    meanAttendedMinutes: t0.attended > 0 ? attendedMs0 / MINUTE / t0.attended : null,
    revenuePerAttendedHour: t0.perHour,
  };

  return { comparisonWeeks: n, practitioners, totals, ar, notes, facts };
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
