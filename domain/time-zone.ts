/**
 * The one Intl reading every time-zone conversion shares (vendor timestamps, briefing calendar and
 * schedule): an instant's wall-clock fields in an IANA zone, and the zone's offset there. Pure; no
 * dependency beyond Intl. An unknown zone throws RangeError.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What a clock in the zone shows at the instant. */
export function wallParts(instantMs: number, timeZone: string): WallParts {
  const p: Record<string, number> = {};
  for (const x of formatter(timeZone).formatToParts(new Date(instantMs))) if (x.type !== "literal") p[x.type] = Number(x.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

/** The zone's offset from UTC at the instant, in ms (Sydney in January: +11 h). */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const p = wallParts(instantMs, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instantMs / 1000) * 1000;
}
