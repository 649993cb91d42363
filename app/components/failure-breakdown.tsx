import { Link } from "@remix-run/react";
import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { type FailureCode, type Vendor, VENDOR_LABELS } from "../../domain/vocabulary.ts";

export interface FailureGroup {
  vendor: Vendor;
  region: string;
  failureCode: FailureCode;
  n: number;
}

/**
 * Failing clinics by vendor and region, worst first: a table whose last column is a bar split by
 * failure code (HTML, so it reflows on a phone). The numbers are all in the cells; the bar only
 * repeats them for the eye, and each segment's title names its code.
 */
export function FailureBreakdown({ groups }: { groups: FailureGroup[] }) {
  const byPlace = new Map<string, { vendor: Vendor; region: string; total: number; codes: { code: FailureCode; n: number }[] }>();
  for (const g of groups) {
    const key = `${g.vendor}:${g.region}`;
    const place = byPlace.get(key) ?? { vendor: g.vendor, region: g.region, total: 0, codes: [] };
    place.total += g.n;
    place.codes.push({ code: g.failureCode, n: g.n });
    byPlace.set(key, place);
  }
  const places = [...byPlace.values()].sort((a, b) => b.total - a.total || a.vendor.localeCompare(b.vendor) || a.region.localeCompare(b.region));
  for (const p of places) p.codes.sort((a, b) => b.n - a.n);
  const max = Math.max(1, ...places.map((p) => p.total));
  if (places.length === 0) return <p className="hint">No failing clinics right now.</p>;
  return (
    <div className="table-wrap">
      <table className="data compact failure-breakdown stack-on-phone">
        <caption className="visually-hidden">Failing clinics by vendor and region</caption>
        <thead>
          <tr>
            <th scope="col">Vendor</th>
            <th scope="col">Region</th>
            <th scope="col" className="num">
              Failing
            </th>
            <th scope="col">Problems</th>
            <th scope="col" aria-hidden="true">
              <span className="visually-hidden">Bar</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {places.map((p) => (
            <tr key={`${p.vendor}:${p.region}`}>
              <td data-label="Vendor">{VENDOR_LABELS[p.vendor]}</td>
              <td data-label="Region">
                <Link to={`/clinics?vendor=${p.vendor}&region=${encodeURIComponent(p.region)}`} className="mono">
                  {p.region}
                </Link>
              </td>
              <td data-label="Failing" className="num">
                {p.total}
              </td>
              <td data-label="Problems">{p.codes.map((c) => `${TAXONOMY[c.code].title} ${c.n}`).join(" · ")}</td>
              <td aria-hidden="true" className="bar-cell">
                <span className="hbar" style={{ width: `${Math.max(4, Math.round((100 * p.total) / max))}%` }}>
                  {p.codes.map((c) => (
                    <span
                      key={c.code}
                      className={`hbar-seg ${TAXONOMY[c.code].transient ? "seg-warn" : "seg-bad"}`}
                      style={{ flexGrow: c.n }}
                      title={`${TAXONOMY[c.code].title}: ${c.n}`}
                    />
                  ))}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
