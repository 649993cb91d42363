import { zoneOffsetMs } from "../time-zone.ts";
import { addDays, mondayOf } from "./calendar.ts";

/**
 * When a clinic's weekly briefing is due (issue 14; docs/decisions/0040-briefing-delivery.md). Pure.
 *
 * A briefing covers one local week, Monday 00:00 → next Monday 00:00 in the clinic's own IANA time
 * zone, and is due the Monday after, at 07:00 local. A held briefing may still go out that Monday;
 * at local midnight (Tuesday 00:00) it is skipped for the week.
 *
 * Local wall-clock times are turned into instants with one rule: the FIRST instant at which the
 * clinic's clock shows that time or later. An hour repeated by a fall-back switch gives its first
 * occurrence; a time inside a spring-forward gap (a zone whose switch is at Monday 07:00) gives the
 * instant of the switch — the next valid instant — so no clinic loses its week.
 */

/** How a zone maps instants to local offsets; the Intl one for real zones, a fixed rule in tests. */
export interface ZoneRules {
  name: string;
  /** Minutes east of UTC at the instant. */
  offsetMinutes(atMs: number): number;
}

/** A real IANA zone through Intl (throws RangeError for an unknown zone). */
function intlZone(timeZone: string): ZoneRules {
  zoneOffsetMs(0, timeZone);
  return { name: timeZone, offsetMinutes: (atMs) => Math.round(zoneOffsetMs(atMs, timeZone) / 60_000) };
}

type Zone = string | ZoneRules;
const rules = (z: Zone): ZoneRules => (typeof z === "string" ? intlZone(z) : z);

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

/** The wall clock at an instant, as "local milliseconds" (UTC fields = local fields). */
function localMs(z: ZoneRules, atMs: number): number {
  return atMs + z.offsetMinutes(atMs) * MIN_MS;
}

/** The first instant at which the zone's clock shows `date` `hh:mm` or later (see the module comment). */
export function localToInstant(zone: Zone, date: string, hour = 0, minute = 0): Date {
  const z = rules(zone);
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  // every offset the zone might use near this wall time (one day either side covers any switch)
  const offsets = new Set([z.offsetMinutes(wall - DAY_MS), z.offsetMinutes(wall), z.offsetMinutes(wall + DAY_MS)]);
  const exact = [...offsets].map((o) => wall - o * MIN_MS).filter((t) => localMs(z, t) === wall);
  if (exact.length > 0) return new Date(Math.min(...exact));
  // why: a skipped wall time: binary-search the switch, the first instant whose clock is past it
  let lo = wall - Math.max(...offsets) * MIN_MS;
  let hi = wall - Math.min(...offsets) * MIN_MS;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
    if (localMs(z, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The local calendar date at an instant. */
function localDate(zone: Zone, at: Date): string {
  return new Date(localMs(rules(zone), at.getTime())).toISOString().slice(0, 10);
}

/** The briefed week: its local Monday 00:00 → the next Monday 00:00, as instants. */
export function briefedWeek(zone: Zone, weekStart: string): { from: Date; to: Date } {
  return { from: localToInstant(zone, weekStart), to: localToInstant(zone, addDays(weekStart, 7)) };
}

const BRIEFING_HOUR = 7;

/** When the briefing of the week starting `weekStart` is due: the Monday after, 07:00 local. */
export function briefingDueAt(zone: Zone, weekStart: string): Date {
  return localToInstant(zone, addDays(weekStart, 7), BRIEFING_HOUR);
}

/** The end of the due Monday (Tuesday 00:00 local): a briefing still held then is skipped. */
export function briefingDayEnd(zone: Zone, weekStart: string): Date {
  return localToInstant(zone, addDays(weekStart, 8));
}

export interface BriefingSlot {
  /** Local Monday of the briefed week. */
  weekStart: string;
  dueAt: Date;
  /** Tuesday 00:00 local after the due Monday. */
  dayEnd: Date;
}

function slot(zone: Zone, weekStart: string): BriefingSlot {
  return { weekStart, dueAt: briefingDueAt(zone, weekStart), dayEnd: briefingDayEnd(zone, weekStart) };
}

/** The most recent briefing due at or before `now` (the one a sweep at `now` makes sure of). */
export function latestDueBriefing(zone: Zone, now: Date): BriefingSlot {
  const thisMonday = mondayOf(localDate(zone, now));
  const s = slot(zone, addDays(thisMonday, -7));
  return s.dueAt.getTime() <= now.getTime() ? s : slot(zone, addDays(thisMonday, -14));
}

/** The next briefing due strictly after `now`: "Your first briefing arrives Monday 7 Dec, 07:00". */
export function nextBriefing(zone: Zone, now: Date): BriefingSlot {
  const latest = latestDueBriefing(zone, now);
  return slot(zone, addDays(latest.weekStart, 7));
}

/** "Monday 7 Dec, 07:00 Australia/Melbourne": the moment as the clinic reads it. */
export function formatBriefingMoment(timeZone: string, at: Date): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "long",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  for (const x of f.formatToParts(at)) parts[x.type] = x.value;
  return `${parts.weekday} ${parts.day} ${parts.month}, ${parts.hour}:${parts.minute} ${timeZone}`;
}

/** The briefed week's dates for history rows: "16–22 Nov", "30 Nov – 6 Dec". */
export function weekLabel(weekStart: string): string {
  const f = (d: string, o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", ...o }).format(new Date(`${d}T00:00:00Z`));
  const end = addDays(weekStart, 6);
  return weekStart.slice(0, 7) === end.slice(0, 7)
    ? `${f(weekStart, { day: "numeric" })}–${f(end, { day: "numeric", month: "short" })}`
    : `${f(weekStart, { day: "numeric", month: "short" })} – ${f(end, { day: "numeric", month: "short" })}`;
}
