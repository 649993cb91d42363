import { addDays, isoWeekday, localDateOf, offsetAt, zonedInstant } from "./calendar.ts";
import type { Interval } from "./intervals.ts";

/**
 * A practitioner's available time as instants (docs/briefing-metrics.md): a weekly template of
 * local "HH:MM" spans per ISO weekday (Cliniko daily availabilities, or the clinic's configured
 * working hours) laid on each local date, and one-off or repeating blocks. Repeats keep their local
 * wall-clock time across daylight-saving changes, as a diary does.
 */

export interface TemplateSpan {
  dayOfWeek: number;
  startsAt: string;
  endsAt: string;
}

/** The template laid on the local dates [monday, monday + days). */
export function templateIntervals(spans: readonly TemplateSpan[], monday: string, timeZone: string, days = 7): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(monday, i);
    const weekday = isoWeekday(date);
    for (const s of spans) {
      if (s.dayOfWeek !== weekday) continue;
      const start = zonedInstant(date, s.startsAt, timeZone);
      const end = zonedInstant(date, s.endsAt, timeZone);
      if (end > start) out.push([start, end]);
    }
  }
  return out;
}

export interface BlockRow {
  startsAt: number | null;
  endsAt: number | null;
  repeatRule: Record<string, unknown> | null;
}

/** A block's occurrences overlapping [from, to); `understood` is false for a repeat rule Relink cannot read (first occurrence only). */
export function expandBlock(block: BlockRow, from: number, to: number, timeZone: string): { intervals: Interval[]; understood: boolean } {
  const { startsAt, endsAt } = block;
  if (startsAt === null || endsAt === null || endsAt <= startsAt) return { intervals: [], understood: true };
  const rule = block.repeatRule;
  if (!rule) return { intervals: startsAt < to && endsAt > from ? [[startsAt, endsAt]] : [], understood: true };
  const type = String(rule.repeat_type ?? "").toLowerCase();
  const repeats = Number(rule.number_of_repeats);
  const every = Number(rule.repeating_interval ?? 1);
  const step = type === "daily" ? 1 : type === "weekly" ? 7 : type === "monthly" ? ("month" as const) : null;
  if (!step || !Number.isInteger(repeats) || repeats < 0 || !Number.isInteger(every) || every < 1) {
    return { intervals: startsAt < to && endsAt > from ? [[startsAt, endsAt]] : [], understood: false };
  }
  const startDate = localDateOf(startsAt, timeZone);
  const endDate = localDateOf(endsAt, timeZone);
  const startTime = wallTime(startsAt, timeZone);
  const endTime = wallTime(endsAt, timeZone);
  const out: Interval[] = [];
  // why (inference, docs/briefing-metrics.md): number_of_repeats counts the repeats after the first occurrence
  for (let k = 0; k <= repeats; k++) {
    const shift = (d: string) => (step === "month" ? addMonths(d, k * every) : addDays(d, k * every * step));
    const s = zonedInstant(shift(startDate), startTime, timeZone);
    if (s >= to) break;
    const e = zonedInstant(shift(endDate), endTime, timeZone);
    if (e > from && e > s) out.push([s, e]);
  }
  return { intervals: out, understood: true };
}

function wallTime(instant: number, timeZone: string): string {
  const wall = new Date(instant + offsetAt(instant, timeZone));
  return `${String(wall.getUTCHours()).padStart(2, "0")}:${String(wall.getUTCMinutes()).padStart(2, "0")}`;
}

function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}
