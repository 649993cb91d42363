/**
 * Nookal v2 sends `YYYY-MM-DD hh:mm:ss` in the location's time zone; Relink stores instants.
 * Conversions here, with Intl only (no dependency).
 */
import { wallParts, zoneOffsetMs } from "../time-zone.ts";

function parts(ms: number, timeZone: string) {
  const p = wallParts(ms, timeZone);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    wallParts(0, timeZone);
    return true;
  } catch {
    return false;
  }
}

/** `2024-05-01T03:04:05Z` — whole seconds, so strings sort like instants. */
function toIso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * A vendor timestamp as ISO UTC. Strings with a zone (`Z`, `+10:00`) are instants already;
 * naive `YYYY-MM-DD hh:mm:ss` is wall-clock time in `timeZone` (UTC when the zone is unknown).
 */
export function normalizeTimestamp(text: string | null | undefined, timeZone?: string): string | null {
  if (!text) return null;
  const t = text.trim();
  if (/^0000-00-00/.test(t)) return null;
  if (/[Zz]$|[+-]\d{2}:?\d{2}$/.test(t)) {
    const ms = Date.parse(t.replace(" ", "T"));
    return Number.isFinite(ms) ? toIso(ms) : null;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  if (!timeZone || !isValidTimeZone(timeZone)) return toIso(wall);
  const first = wall - zoneOffsetMs(wall, timeZone);
  return toIso(wall - zoneOffsetMs(first, timeZone));
}

/** An instant as `YYYY-MM-DD hh:mm:ss` wall-clock time in a zone. */
export function toLocalDateTime(iso: string, timeZone: string): string {
  const p = parts(Date.parse(iso), timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${p.y}-${two(p.mo)}-${two(p.d)} ${two(p.h)}:${two(p.mi)}:${two(p.s)}`;
}
