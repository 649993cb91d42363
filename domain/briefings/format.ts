/**
 * How the briefing's figures read (issue 14), shared by the email's HTML and text parts and any
 * preview, so both parts say the same thing. Money stays an exact decimal string: Intl formats the
 * string itself (ECMA-402 treats a numeric string as an exact decimal), nothing here turns it into
 * a float, and comparisons go through integer arithmetic on the digits.
 */

/** "71%" from a 0–1 fraction; an em dash when there is nothing to divide by. */
export function formatRate(rate: number | null, digits = 0): string {
  if (rate === null) return "—";
  return `${(rate * 100).toFixed(digits)}%`;
}

/** "1 h 30 min" style hours for available/booked minutes: "81 h". */
export function formatHours(minutes: number): string {
  const hours = minutes / 60;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
}

/** A decimal string as an integer of hundredths (cents), exactly. */
function toHundredths(amount: string): bigint {
  const negative = amount.startsWith("-");
  const [whole = "0", fraction = ""] = amount.replace(/^-/, "").split(".");
  const cents = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
  // why: a third decimal rounds half up, the way an invoice total rounds
  const rounded = fraction.length > 2 && Number(fraction[2]) >= 5 ? cents + 1n : cents;
  return negative ? -rounded : rounded;
}

/** -1, 0 or 1: exact comparison of two decimal strings (to the cent). */
export function compareMoney(a: string, b: string): -1 | 0 | 1 {
  const d = toHundredths(a) - toHundredths(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Whole percent (0–100) of `part` in `total`, exactly, for a bar's width; 0 when the total is not positive. */
export function moneyShare(part: string, total: string): number {
  const t = toHundredths(total);
  if (t <= 0n) return 0;
  const p = toHundredths(part);
  const share = (p * 100n + t / 2n) / t;
  return Number(share < 0n ? 0n : share > 100n ? 100n : share);
}

/** Dates of the briefed week are the clinic's calendar dates already: read them as such, never shifted. */
function localDate(date: string): Date {
  return new Date(`${date}T12:00:00Z`);
}

/** "Week of Mon 30 Nov – Sun 6 Dec 2026" (the year once when both days share it). */
export function formatWeek(week: { start: string; end: string }): string {
  const day = (d: string, year: boolean) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short", ...(year ? { year: "numeric" } : {}) })
      .format(localDate(d))
      .replace(",", "");
  const sameYear = week.start.slice(0, 4) === week.end.slice(0, 4);
  return `Week of ${day(week.start, !sameYear)} – ${day(week.end, true)}`;
}

/** "Mon 7 Dec, 07:00" in the clinic's time zone (UTC when the zone is unknown to the runtime). */
export function formatLocalMoment(at: string | Date, timeZone: string): string {
  const when = typeof at === "string" ? new Date(at) : at;
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
  } catch {
    zone = "UTC";
  }
  const text = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(when);
  return text.replace(/,? at /, ", ").replace(/^(\w{3}),? /, "$1 ");
}
