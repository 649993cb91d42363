/**
 * Local calendar dates ("YYYY-MM-DD") and wall-clock times in an IANA time zone, turned into
 * instants correctly across daylight-saving changes. Pure; no dependency beyond Intl.
 */
import { zoneOffsetMs } from "../time-zone.ts";

/** The zone's offset from UTC at an instant, in ms (Sydney in January: +11 h). */
export function offsetAt(instantMs: number, timeZone: string): number {
  // why: zones change offset on whole minutes, so the offset of a minute is the offset of all of it
  const key = `${timeZone}|${Math.floor(instantMs / 60_000)}`;
  let o = offsets.get(key);
  if (o === undefined) {
    if (offsets.size > 50_000) offsets.clear();
    o = zoneOffsetMs(instantMs, timeZone);
    offsets.set(key, o);
  }
  return o;
}

const offsets = new Map<string, number>();

const DAY_MS = 86_400_000;

/**
 * The instant of a local wall-clock time. Ambiguous (clocks went back): the first occurrence.
 * Skipped (clocks went forward): the same distance past the gap, as the clock would read it.
 */
export function zonedInstant(date: string, time: string, timeZone: string): number {
  const key = `${timeZone}|${date}|${time}`;
  let t = instants.get(key);
  if (t === undefined) {
    if (instants.size > 50_000) instants.clear();
    t = computeInstant(date, time, timeZone);
    instants.set(key, t);
  }
  return t;
}

// why: a briefing lays the same few local times on the same 35 dates for every practitioner; Intl is the cost
const instants = new Map<string, number>();

function computeInstant(date: string, time: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  const candidates = [...new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone)])].map((o) => ({ o, t: wall - o }));
  const valid = candidates.filter((c) => offsetAt(c.t, timeZone) === c.o).map((c) => c.t);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates.map((c) => c.t));
}

/** The local calendar date of an instant. */
export function localDateOf(instantMs: number, timeZone: string): string {
  return isoDate(instantMs + offsetAt(instantMs, timeZone));
}

function isoDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return isoDate(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS);
}

/** ISO weekday of a calendar date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const d = new Date(`${date}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The Monday on or before a calendar date. */
export function mondayOf(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

/** A calendar date ("YYYY-MM-DD") that is a Monday: how every briefed week is named. */
export function isMonday(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && mondayOf(date) === date;
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** The Monday of the last complete local week before `now` (what a Monday-morning briefing covers). */
export function previousWeekStart(timeZone: string, now: Date): string {
  return addDays(mondayOf(localDateOf(now.getTime(), timeZone)), -7);
}
