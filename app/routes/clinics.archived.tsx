import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { listArchivedClinics } from "../../db/queries/clinic-records.ts";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { Pager } from "../components/forms.tsx";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Archived clinics · Relink" }];

const PAGE_SIZE = 50;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const page = z.coerce
    .number()
    .int()
    .min(1)
    .catch(1)
    .parse(new URL(request.url).searchParams.get("page") ?? 1);
  const { rows, total } = await listArchivedClinics({ page, pageSize: PAGE_SIZE }, context.services.db);
  return { rows, total, page, now: Date.now() };
}

export default function ArchivedClinics() {
  const { rows, total, page, now } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <main id="main">
      <p>
        <Link to="/clinics">← All clinics</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Archived clinics</h1>
          <p className="sub">{formatCount(total)} archived. They are not probed or listed elsewhere; their history is kept. Open one to restore it.</p>
        </div>
      </div>
      {rows.length === 0 ? (
        <div className="card empty">No clinic has been archived.</div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Clinic</th>
                <th scope="col">Vendor</th>
                <th scope="col">Country</th>
                <th scope="col">Archived</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/clinics/${r.id}`}>{r.name}</Link>
                    {r.adminEmail ? <div className="hint">{r.adminEmail}</div> : null}
                  </td>
                  <td>{r.vendor === "nookal" ? "Nookal" : r.vendor === "cliniko" ? "Cliniko" : "—"}</td>
                  <td>{r.country}</td>
                  <td title={absoluteTime(r.archivedAt)}>{relativeTime(r.archivedAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={Math.max(1, Math.ceil(total / PAGE_SIZE))} params={params} />
    </main>
  );
}
