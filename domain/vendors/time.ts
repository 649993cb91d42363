/**
 * Nookal v2 sends `YYYY-MM-DD hh:mm:ss` in the location's time zone; Relink stores instants.
 * Conversions here, with Intl only (no dependency).
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

function parts(ms: number, timeZone: string) {
  const p: Record<string, string> = {};
  for (const x of formatter(timeZone).formatToParts(new Date(ms))) p[x.type] = x.value;
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) };
}

function offsetMs(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
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
  const first = wall - offsetMs(wall, timeZone);
  return toIso(wall - offsetMs(first, timeZone));
}

/** An instant as `YYYY-MM-DD hh:mm:ss` wall-clock time in a zone. */
export function toLocalDateTime(iso: string, timeZone: string): string {
  const p = parts(Date.parse(iso), timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${p.y}-${two(p.mo)}-${two(p.d)} ${two(p.h)}:${two(p.mi)}:${two(p.s)}`;
}
