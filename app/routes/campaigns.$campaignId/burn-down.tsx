import type { BurnDownPoint } from "../../../domain/campaigns/campaign-page.ts";

/**
 * Clinics remaining over time, server-rendered SVG: the solid line is what is left each day, the
 * dashed line the steady pace that would reach zero on the deadline. The same numbers are in the
 * caption and in a list for screen readers and for anyone who would rather read.
 */
export function BurnDown({ points, deadline, today }: { points: BurnDownPoint[]; deadline: string; today: string }) {
  const w = 720;
  const h = 150;
  const pad = 4;
  const known = points.filter((p): p is { day: string; remaining: number } => p.remaining !== null);
  const first = known[0];
  const last = known.at(-1);
  const max = Math.max(1, ...known.map((p) => p.remaining));
  const x = (i: number) => pad + (points.length <= 1 ? 0 : (i * (w - 2 * pad)) / (points.length - 1));
  const y = (n: number) => pad + (h - 2 * pad) * (1 - n / max);
  const line = points
    .map((p, i) => (p.remaining === null ? null : `${x(i).toFixed(1)},${y(p.remaining).toFixed(1)}`))
    .filter(Boolean)
    .join(" ");
  const deadlineAt = points.findIndex((p) => p.day === deadline);
  const summary = last
    ? `${last.remaining} of ${Math.max(first?.remaining ?? 0, last.remaining)} clinics remaining on ${last.day}; deadline ${deadline}`
    : "No clinics yet";
  return (
    <figure className="chart burn-down">
      <svg viewBox={`0 0 ${w} ${h + 22}`} role="img" aria-labelledby="burn-title burn-desc" preserveAspectRatio="none">
        <title id="burn-title">Clinics remaining over time</title>
        <desc id="burn-desc">{summary}</desc>
        {[0, 0.5, 1].map((f) => (
          <line key={f} x1={0} x2={w} y1={y(max * f)} y2={y(max * f)} className="grid" />
        ))}
        {first && deadlineAt >= 0 ? <line x1={x(0)} y1={y(first.remaining)} x2={x(deadlineAt)} y2={y(0)} className="pace" /> : null}
        {deadlineAt >= 0 ? (
          <>
            <line x1={x(deadlineAt)} x2={x(deadlineAt)} y1={0} y2={h} className="deadline" />
            <text x={x(deadlineAt) - 4} y={12} textAnchor="end" className="tick">
              deadline
            </text>
          </>
        ) : null}
        {known.length > 1 ? <polyline points={line} className="remaining" /> : null}
        {points.map((p, i) =>
          p.remaining === null ? null : (
            <circle key={p.day} cx={x(i)} cy={y(p.remaining)} r={known.length > 40 ? 1.5 : 3} className="remaining-dot">
              <title>{`${p.day}: ${p.remaining} remaining`}</title>
            </circle>
          ),
        )}
        <text x={0} y={h + 18} className="tick">
          {points[0]?.day}
        </text>
        <text x={w} y={h + 18} textAnchor="end" className="tick">
          {points.at(-1)?.day}
        </text>
        <text x={4} y={y(max) + 12} className="tick">
          {max}
        </text>
      </svg>
      <figcaption>
        Burn-down: {summary}. Today is {today}.
      </figcaption>
      <details>
        <summary>Show as a list</summary>
        {/* why a list, not a table: the campaign's clinics table is the page's one table of rows */}
        <ul className="burn-down-list">
          {known.map((p) => (
            <li key={p.day}>
              {p.day}: {p.remaining} remaining
            </li>
          ))}
        </ul>
      </details>
    </figure>
  );
}
