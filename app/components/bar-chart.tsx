/** A server-rendered SVG bar chart with the same numbers as a table for screen readers. */
export function BarChart({ points, label }: { points: { day: string; broken: number }[]; label: string }) {
  const max = Math.max(1, ...points.map((p) => p.broken));
  const w = 720;
  const h = 160;
  const gap = 4;
  const bw = (w - gap * (points.length - 1)) / Math.max(1, points.length);
  const last = points[points.length - 1];
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-labelledby="chart-title" preserveAspectRatio="none">
        <title id="chart-title">{`${label}: ${last ? `${last.broken} today` : "no data"}, peak ${max}`}</title>
        {points.map((p, i) => {
          const bh = Math.round((p.broken / max) * h);
          return (
            <rect key={p.day} x={i * (bw + gap)} y={h - bh} width={bw} height={Math.max(bh, p.broken ? 1 : 0)} className="bar">
              <title>{`${p.day}: ${p.broken} broken`}</title>
            </rect>
          );
        })}
        <line x1="0" x2={w} y1={h} y2={h} className="axis" />
        <text x="0" y={h + 16} className="tick">
          {points[0]?.day}
        </text>
        <text x={w} y={h + 16} textAnchor="end" className="tick">
          {last?.day}
        </text>
      </svg>
      <figcaption>
        {label}. Peak {max}; today {last?.broken ?? 0}.
      </figcaption>
      <details>
        <summary>Show as a table</summary>
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Broken</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.day}>
                <td>{p.day}</td>
                <td className="num">{p.broken}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
