const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
// why: table cells on a 1366 px laptop: "51 sec. ago" fits a line where "51 seconds ago" takes three
const rtfShort = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "5 minutes ago"; `now` is passed in so server and browser render the same words. */
export function relativeTime(value: string | Date | null | undefined, now: number, style: "long" | "short" = "long"): string {
  if (!value) return "never";
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return (style === "short" ? rtfShort : rtf).format(Math.round(seconds / size), unit);
    }
  }
  return "just now";
}

export function absoluteTime(value: string | Date | null | undefined): string {
  if (!value) return "";
  return new Date(value).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// why: Number#toLocaleString builds a formatter per call (~20x slower than reusing one)
const COUNT = new Intl.NumberFormat("en-AU");

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : COUNT.format(n);
}

/** "3 h 20 min", "2 d 4 h": a span of time in the two largest units. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

// why: one wording for counts everywhere; the domain owns it because timeline and packet texts need it too
export { formatPatientCount, formatPatientsVisible } from "../../domain/patient-count.ts";
