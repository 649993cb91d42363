import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { loadIncidentPage } from "../../domain/incidents/incident-pages.ts";
import { AutoRefresh } from "../components/auto-refresh.tsx";
import { formatCount } from "../components/format.ts";
import { IncidentBanner, IncidentStatus } from "../components/incident-banner.tsx";
import { LocalTime } from "../components/local-time.tsx";
import { StateBadge } from "../components/state-badge.tsx";
import type { ConnectionState } from "../../domain/vocabulary.ts";
import { notFound, paramsOr404 } from "../http.server.ts";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data ? `${data.name} incident` : "Incident"} · Relink` }];

const Params = z.object({ incidentId: z.uuid() });
const NOT_FOUND = "No vendor incident has that id.";

const KIND_LABELS = { opened: "Opened", update: "Update", resolved: "Resolved" } as const;

/** One vendor incident: what it is, the probe that opened it, its counts and its timeline. Every role reads it. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const { incidentId } = paramsOr404(Params, params, NOT_FOUND);
  return (await loadIncidentPage({ id: incidentId }, context.services.db)) ?? notFound(NOT_FOUND);
}

export default function IncidentPage() {
  const i = useLoaderData<typeof loader>();
  const fleet = Math.max(i.fleetSize, i.peakAffected);
  return (
    <main id="main">
      <p>
        <Link to="/incidents">← All incidents</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>{i.name} incident</h1>
          <p className="sub">
            Opened <LocalTime at={i.openedAt} />
            {i.resolvedAt ? (
              <>
                {" "}
                · resolved <LocalTime at={i.resolvedAt} />
              </>
            ) : null}
          </p>
          {i.banner ? <AutoRefresh at={i.now} /> : null}
        </div>
        <IncidentStatus open={i.open} />
      </div>
      {i.banner ? (
        <IncidentBanner incident={i.banner} link={false} />
      ) : (
        <div className="result tone-ok incident-resolved" role="status">
          <strong>{i.resolvedSummary}.</strong>
        </div>
      )}
      <div className="grid halves">
        <section className="card" aria-labelledby="evidence-h">
          <h2 id="evidence-h">First evidence</h2>
          <p className="hint">The probe that tipped the region over the threshold. It carries no key.</p>
          <dl className="facts" data-testid="incident-evidence">
            <dt>Failure</dt>
            <dd>
              {i.evidence.title} <span className="mono hint">({i.evidence.code})</span>
            </dd>
            <dt>HTTP status</dt>
            <dd className="mono">{i.evidence.httpStatus ?? "none (no answer)"}</dd>
            <dt>Vendor said</dt>
            <dd className="evidence">{i.evidence.vendorMessage ?? <span className="hint">nothing</span>}</dd>
            <dt>Seen</dt>
            <dd>
              <LocalTime at={i.evidence.at} />
            </dd>
            <dt>Clinic</dt>
            <dd>
              <Link to={`/clinics/${i.evidence.clinicId}`}>The clinic whose probe it was</Link>
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="counts-h">
          <h2 id="counts-h">Counts</h2>
          <dl className="facts" data-testid="incident-counts">
            <dt>Clinics in the region</dt>
            <dd>{formatCount(fleet)}</dd>
            <dt>Affected when it opened</dt>
            <dd>{formatCount(i.affectedAtOpen)}</dd>
            <dt>Peak affected</dt>
            <dd>
              {formatCount(i.peakAffected)} of {formatCount(fleet)}, at <LocalTime at={i.peakAt} />
            </dd>
            <dt>Recovered</dt>
            <dd>{formatCount(i.recovered)}</dd>
            <dt>{i.open ? "Failing now" : "Still failing at resolve"}</dt>
            <dd>{i.banner ? `${formatCount(i.banner.failing)} of ${formatCount(i.banner.connections)}` : formatCount(i.affectedAtResolve)}</dd>
            <dt>Alerts grouped</dt>
            <dd>
              {formatCount(i.groupedAlerts)}{" "}
              <span className="hint">({formatCount(i.heldAlerts)} held: opened during the incident, so nobody was emailed about them)</span>
            </dd>
          </dl>
        </section>
      </div>
      {i.affected ? <AffectedClinics affected={i.affected} failing={i.banner?.failing ?? 0} /> : null}
      <section className="card" aria-labelledby="timeline-h" style={{ marginTop: "1rem" }}>
        <h2 id="timeline-h">Timeline</h2>
        {i.timeline.length === 0 ? (
          <p className="hint">Nothing recorded yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="data compact" data-testid="incident-timeline">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Affected</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {i.timeline.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <LocalTime at={t.at} />
                    </td>
                    <td>{KIND_LABELS[t.kind]}</td>
                    <td>
                      {formatCount(t.affected)} <span className="hint">of {formatCount(Math.max(t.connections, t.affected))}</span>
                    </td>
                    <td>{t.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}

/** Who an open incident affects: the first failing clinics by name, and the clinics table of them all. */
function AffectedClinics({
  affected,
  failing,
}: {
  affected: { clinics: { id: string; name: string; state: ConnectionState }[]; allUrl: string };
  failing: number;
}) {
  return (
    <section className="card" aria-labelledby="affected-h" style={{ marginTop: "1rem" }}>
      <h2 id="affected-h">Clinics affected</h2>
      {affected.clinics.length === 0 ? (
        <p className="hint">No clinic of the region is failing now: the incident resolves at the next flip or sweep.</p>
      ) : (
        <>
          <ul className="affected-clinics" data-testid="incident-affected">
            {affected.clinics.map((c) => (
              <li key={c.id}>
                <Link to={`/clinics/${c.id}`}>{c.name}</Link> <StateBadge state={c.state} />
              </li>
            ))}
          </ul>
          <p>
            <Link to={affected.allUrl}>
              {failing > affected.clinics.length ? `All ${formatCount(failing)} failing clinics` : "These clinics"} in the clinics table
            </Link>
          </p>
        </>
      )}
    </section>
  );
}
