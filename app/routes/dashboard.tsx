import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { countBrokenNow } from "../../db/queries/broken-now.ts";
import {
  brokenOverTime,
  failuresByVendorRegion,
  fleetCounts,
  oldestProblem,
  openAlertCount,
  recoveryEpisodes,
  recoveryMedians,
} from "../../db/queries/dashboard.ts";
import { deadProbesLastDay } from "../../domain/health/dead-probes.ts";
import { loadIncidentBanners } from "../../domain/incidents/incident-pages.ts";
import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { BROKEN_NOW_MEANING } from "../../domain/vocabulary.ts";
import { AutoRefresh } from "../components/auto-refresh.tsx";
import { BarChart } from "../components/bar-chart.tsx";
import { FailureBreakdown } from "../components/failure-breakdown.tsx";
import { IncidentBanner } from "../components/incident-banner.tsx";
import { absoluteTime, formatCount, formatDuration, relativeTime } from "../components/format.ts";
import { StateBadge } from "../components/state-badge.tsx";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Dashboard · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const db = context.services.db;
  // why: the recoveries are read once and shared by the medians and the chart
  const episodes = recoveryEpisodes(db, 30);
  const [counts, broken, alerts, oldest, recovery, chart, deadProbes, failures, incidents] = await Promise.all([
    fleetCounts(db),
    countBrokenNow(db),
    openAlertCount(db),
    oldestProblem(db),
    recoveryMedians(db, episodes),
    brokenOverTime(db, 30, episodes),
    deadProbesLastDay(db),
    failuresByVendorRegion(db),
    loadIncidentBanners(db),
  ]);
  return { counts, broken, alerts, oldest, recovery, chart, deadProbes, failures, incidents, now: Date.now() };
}

export default function Dashboard() {
  const { counts, broken, alerts, oldest, recovery, chart, deadProbes, failures, incidents, now } = useLoaderData<typeof loader>();
  return (
    <main id="main">
      {/* why first: during a region outage this is the one thing to read; the numbers below follow from it */}
      {incidents.map((i) => (
        <IncidentBanner key={i.id} incident={i} />
      ))}
      <div className="page-head">
        <div>
          <h1>Fleet overview</h1>
          <p className="sub">
            {formatCount(counts.total)} active clinics ·{" "}
            <Link to="/clinics?broken=now" title={`Broken now: ${BROKEN_NOW_MEANING}`}>
              <strong data-testid="broken-now-count">{formatCount(broken.total)}</strong> broken now
            </Link>{" "}
            ({formatCount(broken.today)} since today, {formatCount(broken.week)} for over 7 days)
          </p>
          <AutoRefresh at={now} />
        </div>
        {/* why: the same filter as the headline's count, so the button opens exactly those clinics */}
        <Link className="btn" to="/clinics?broken=now">
          Work the broken clinics
        </Link>
      </div>
      <div className="stats">
        <Link className="stat card" to="/alerts">
          <span className="stat-label">Alerts open</span>
          <span className="stat-value">{formatCount(alerts.open)}</span>
          <span className="hint">
            {alerts.acknowledged} acknowledged · {alerts.muted} muted
          </span>
        </Link>
        <div className="stat card">
          <span className="stat-label">Dead probes, 24 hours</span>
          <span className="stat-value">{formatCount(deadProbes)}</span>
          <span className="hint">probe jobs that gave up after their retries (on each clinic's timeline)</span>
        </div>
        <div className="stat card">
          <span className="stat-label">Oldest unresolved problem</span>
          {oldest ? (
            <>
              <span className="stat-value" title={absoluteTime(oldest.since)}>
                {relativeTime(oldest.since, now)}
              </span>
              <Link to={`/clinics/${oldest.clinicId}`}>
                {oldest.name}
                {oldest.failureCode ? ` — ${TAXONOMY[oldest.failureCode].title}` : ""}
              </Link>
            </>
          ) : (
            <span className="stat-value">None</span>
          )}
        </div>
        <div className="stat card">
          <span className="stat-label">Median time to recover, 7 days</span>
          <span className="stat-value">{formatDuration(recovery.median7)}</span>
          <span className="hint">{recovery.n7} recoveries</span>
        </div>
        <div className="stat card">
          <span className="stat-label">Median time to recover, 30 days</span>
          <span className="stat-value">{formatDuration(recovery.median30)}</span>
          <span className="hint">{recovery.n30} recoveries</span>
        </div>
      </div>
      <div className="grid halves">
        <section className="card" aria-labelledby="by-state-h">
          <h2 id="by-state-h">By state</h2>
          <table className="data compact">
            <tbody>
              {counts.byState.map((s) => (
                <tr key={s.state ?? "none"}>
                  <td>
                    <Link to={s.state ? `/clinics?state=${s.state}` : "/clinics"} aria-label={`Show clinics in state ${s.state ?? "no connection"}`}>
                      <StateBadge state={s.state} />
                    </Link>
                  </td>
                  <td className="num">{formatCount(s.n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card" aria-labelledby="by-failure-h">
          <h2 id="by-failure-h">By problem</h2>
          {counts.byFailure.length === 0 ? (
            <p className="hint">No connection is failing.</p>
          ) : (
            <table className="data compact">
              <tbody>
                {counts.byFailure.map((f) => (
                  <tr key={f.failureCode}>
                    <td>
                      <Link to={`/clinics?failure=${f.failureCode}`}>{TAXONOMY[f.failureCode].title}</Link>
                      <div className="hint">{TAXONOMY[f.failureCode].suggestedAction}</div>
                    </td>
                    <td className="num">{formatCount(f.n)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="by-place-h" style={{ marginTop: "1rem" }}>
        <h2 id="by-place-h">Failures by vendor and region</h2>
        <p className="hint">During an outage, one vendor&apos;s region fills this table; a bad key shows up alone. Orange: transient; red: needs a human.</p>
        <FailureBreakdown groups={failures} />
      </section>
      <section className="card" aria-labelledby="chart-h" style={{ marginTop: "1rem" }}>
        <h2 id="chart-h">Broken connections, last 30 days</h2>
        <BarChart points={chart} label="Connections failing at the end of each day" />
      </section>
    </main>
  );
}
