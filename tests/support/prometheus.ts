import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from "parse-prometheus-text-format";

/** A /metrics answer parsed by a Prometheus text-format parser, with lookups by name and labels. */
export interface Scraped {
  status: number;
  contentType: string | null;
  families: ParsedFamily[];
  /** The sum of a counter's or gauge's samples whose labels include `labels` (0 when none). */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's observation count over the samples whose labels include `labels`. */
  count(name: string, labels?: Record<string, string>): number;
  names(): Set<string>;
}

const matches = (s: ParsedSample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v);

function parseScrape(status: number, contentType: string | null, text: string): Scraped {
  const families = status === 200 ? parsePrometheusTextFormat(text) : [];
  const family = (name: string) => families.find((f) => f.name === name);
  return {
    status,
    contentType,
    families,
    value(name, labels = {}) {
      return (family(name)?.metrics ?? []).filter((s) => matches(s, labels)).reduce((sum, s) => sum + Number(s.value), 0);
    },
    count(name, labels = {}) {
      if (family(name)?.type !== "HISTOGRAM") return 0;
      // why: the parser (prom2json-compatible) folds a labelled histogram's samples into one bucket map
      // and drops each label set's _count; the family and its type come from the parser, the count
      // from the exposition's own `<name>_count{…}` lines
      let total = 0;
      for (const line of text.split("\n")) {
        const m = new RegExp(`^${name}_count\\{([^}]*)\\} (\\S+)$`).exec(line);
        if (!m) continue;
        const sample: ParsedSample = { labels: Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!])) };
        if (matches(sample, labels)) total += Number(m[2]);
      }
      return total;
    },
    names: () => new Set(families.map((f) => f.name)),
  };
}

/** GETs a /metrics URL over real HTTP and parses what came back. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scraped> {
  const res = await fetch(url, { headers });
  return parseScrape(res.status, res.headers.get("content-type"), await res.text());
}
