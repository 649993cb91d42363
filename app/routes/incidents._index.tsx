import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { loadIncidentList, type IncidentListRow } from "../../domain/incidents/incident-pages.ts";
import { AutoRefresh } from "../components/auto-refresh.tsx";
import { formatCount } from "../components/format.ts";
import { IncidentStatus } from "../components/incident-banner.tsx";
import { LocalTime } from "../components/local-time.tsx";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Incidents · Relink" }];

// why: a mangled "before" shows the first page rather than an error (as the other lists' page=)
const QuerySchema = z.object({ before: z.iso.datetime().optional().catch(undefined) });

/** Vendor incidents (docs/decisions/0049): every role reads them; there is nothing secret and nothing to change here. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const list = await loadIncidentList({ before: q.before ? new Date(q.before) : undefined }, context.services.db);
  return { ...list, paged: Boolean(q.before) };
}

export default function IncidentsPage() {
  const { open, history, older, paged, now } = useLoaderData<typeof loader>();
  const rows: IncidentListRow[] = [...open, ...history];
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Vendor incidents</h1>
          <p className="sub">
            When one Cliniko shard or Nookal region fails for many clinics at once, it is one incident here instead of an alert per clinic: clinic admins are
            not emailed, support hears once, and each clinic's alert is grouped under it. Open incidents first, then the history, newest first.
          </p>
          <AutoRefresh at={now} />
        </div>
      </div>
      {rows.length === 0 ? (
        <div className="card empty">
          {paged ? "No older incidents." : "No vendor incidents. When a shard or region fails for many clinics at once, it shows here as one incident."}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Vendor &amp; region</th>
                <th scope="col">Status</th>
                <th scope="col">Opened</th>
                <th scope="col">Duration</th>
                <th scope="col">Peak affected</th>
                <th scope="col">Recovered</th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="incident-row">
                  <td>
                    <Link to={`/incidents/${r.id}`}>
                      <strong>{r.name}</strong>
                    </Link>
                  </td>
                  <td>
                    <IncidentStatus open={r.open} />
                  </td>
                  <td>
                    <LocalTime at={r.openedAt} />
                  </td>
                  <td>{r.duration ?? <span title={`for ${r.sinceOpened} so far`}>ongoing ({r.sinceOpened})</span>}</td>
                  <td>
                    {formatCount(r.peakAffected)} <span className="hint">of {formatCount(Math.max(r.fleetSize, r.peakAffected))}</span>
                  </td>
                  <td>{formatCount(r.recovered)}</td>
                  <td>
                    <Link to={`/incidents/${r.id}`} aria-label={`Details of the ${r.name} incident opened ${r.openedAt.slice(0, 16).replace("T", " ")} UTC`}>
                      Details
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Older incidents">
        {paged ? <Link to="/incidents">Newest</Link> : null}
        {older ? <Link to={`/incidents?before=${encodeURIComponent(older)}`}>Older</Link> : null}
      </nav>
    </main>
  );
}
