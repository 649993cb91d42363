import { useEffect, useState } from "react";

/**
 * A time in the agent's own zone (the browser's), with the clinic's zone on hover (issue 11).
 * The server renders UTC; after hydration the browser re-formats with Intl in its zone, so the
 * first paint matches the server and nothing flickers into a mismatch warning.
 */
/** "datetime": 2 Dec 2026, 09:15 AEDT; "time": 09:15:04 AEDT; "hm": 09:15 AEDT (a banner's "since"). */
type TimeStyle = "datetime" | "time" | "hm";

export function LocalTime({
  at,
  clinicZone,
  style = "datetime",
}: {
  at: string | number | Date | null | undefined;
  /** IANA zone of the clinic: shown in the tooltip. */
  clinicZone?: string | null;
  style?: TimeStyle;
}) {
  const [zone, setZone] = useState<string | null>(null);
  useEffect(() => setZone(Intl.DateTimeFormat().resolvedOptions().timeZone), []);
  if (at === null || at === undefined) return null;
  const d = new Date(at);
  const iso = d.toISOString();
  const shown = formatIn(d, zone ?? "UTC", style);
  const title = clinicZone ? `${formatIn(d, clinicZone, "datetime")} clinic time (${clinicZone})` : iso.replace("T", " ").slice(0, 19) + " UTC";
  return (
    <time dateTime={iso} title={title}>
      {shown}
    </time>
  );
}

// why: building an Intl.DateTimeFormat costs far more than formatting with one; a page formats
// dozens of times in a handful of zones (bench:console), so each zone and style is built once
const formatters = new Map<string, Intl.DateTimeFormat>();

const STYLE_OPTIONS: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  time: { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" },
  hm: { hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" },
  datetime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" },
};

function formatterFor(zone: string, style: TimeStyle): Intl.DateTimeFormat {
  const key = `${style} ${zone}`;
  let f = formatters.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { ...STYLE_OPTIONS[style], timeZone: zone };
    try {
      f = new Intl.DateTimeFormat("en-AU", opts);
    } catch {
      // an unknown zone formats in UTC (and is not remembered, so the map holds only real zones)
      return formatterFor("UTC", style);
    }
    formatters.set(key, f);
  }
  return f;
}

/** "2 Dec 2026, 09:15 AEDT" in `zone`; falls back to UTC for an unknown zone. */
function formatIn(d: Date, zone: string, style: TimeStyle = "datetime"): string {
  return formatterFor(zone, style).format(d);
}
