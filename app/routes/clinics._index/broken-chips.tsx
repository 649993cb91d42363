import { Link } from "@remix-run/react";
import { formatCount } from "../../components/format.ts";
import { FAILING_SINCE_BANDS, FAILING_SINCE_LABELS, failingSinceBand, type FailingSinceBand } from "../../../domain/vocabulary.ts";

type BrokenCounts = { total: number } & Record<FailingSinceBand, number>;

/**
 * "Broken now" and its failing-since bands as filter chips (issue 11; the definition lives in
 * db/queries/broken-now.ts). Each chip is a link that keeps the other filters and the sort, so the
 * view is a URL; the active chip links back to the view without it.
 */
export function BrokenChips({ params, counts }: { params: URLSearchParams; counts: BrokenCounts }) {
  const broken = params.get("broken") === "now";
  const since = params.get("since");
  const href = (set: { broken?: boolean; since?: FailingSinceBand | null }) => {
    const next = new URLSearchParams(params);
    next.delete("page");
    next.delete("broken");
    next.delete("since");
    if (set.broken) next.set("broken", "now");
    if (set.since) next.set("since", set.since);
    const q = next.toString();
    return q ? `?${q}` : "/clinics";
  };
  return (
    <nav className="chips" aria-label="Broken now">
      <Link className="chip tone-bad" to={href({ broken: !(broken && !since) })} aria-current={broken && !since ? "true" : undefined}>
        Broken now <span className="count">{formatCount(counts.total)}</span>
      </Link>
      {FAILING_SINCE_BANDS.map((b) => (
        <Link key={b} className="chip" to={href({ since: since === b ? null : b })} aria-current={since === b ? "true" : undefined}>
          {FAILING_SINCE_LABELS[b]} <span className="count">{formatCount(counts[b])}</span>
        </Link>
      ))}
    </nav>
  );
}

const ROW_LABELS = { today: "today", yesterday: "since yesterday", week: "over 7 days", days: null } as const;

/** The band chip on a row's "failing since" cell: the same edges as the filter. */
export function FailingSinceChip({ since, now }: { since: string; now: number }) {
  const band = failingSinceBand(since, now);
  const label = band ? ROW_LABELS[band] : null;
  return label ? <span className={`chip small${band === "week" ? " tone-bad" : ""}`}>{label}</span> : null;
}
