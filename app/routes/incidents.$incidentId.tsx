import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { loadIncidentPage } from "../../domain/incidents/incident-pages.ts";
import { AutoRefresh } from "../components/auto-refresh.tsx";
import { formatCount } from "../components/format.ts";
import { IncidentBanner, IncidentStatus } from "../components/incident-banner.tsx";
import { LocalTime } from "../components/local-time.tsx";
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
            <dt>Alerts held</dt>
            <dd>
              {formatCount(i.heldAlerts)} <span className="hint">grouped under it; their clinic admins were not emailed</span>
            </dd>
          </dl>
        </section>
      </div>
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
