import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { listAuditActions, listAuditLog } from "../../db/queries/audit.ts";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { Pager } from "../components/forms.tsx";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Audit log · Relink" }];

const PAGE_SIZE = 50;
const QuerySchema = z.object({
  action: z.string().trim().max(100).optional().catch(undefined),
  actor: z.string().trim().max(200).optional().catch(undefined),
  clinic: z.uuid().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  // why: every role may read the log — viewers audit too; nobody can write to it from here
  await requireUser(request, context.services);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const [log, actions] = await Promise.all([
    listAuditLog(
      { filters: { action: q.action || undefined, actor: q.actor || undefined, clinicId: q.clinic }, page: q.page, pageSize: PAGE_SIZE },
      context.services.db,
    ),
    listAuditActions(context.services.db),
  ]);
  return { ...log, actions, page: q.page, pages: Math.ceil(log.total / PAGE_SIZE), now: Date.now() };
}

function detailText(details: Record<string, unknown> | null): string {
  if (!details) return "";
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}

export default function AuditPage() {
  const { rows, total, actions, page, pages, now } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="sub">Every write, who made it and when. {formatCount(total)} entries match. The log cannot be edited or deleted.</p>
        </div>
      </div>
      <Form method="get" className="filters" role="search">
        <div className="field">
          <label htmlFor="action">Action</label>
          <select id="action" name="action" defaultValue={params.get("action") ?? ""}>
            <option value="">Any action</option>
            {actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="actor">Who</label>
          <input id="actor" name="actor" type="search" placeholder="Email" defaultValue={params.get("actor") ?? ""} />
        </div>
        {params.get("clinic") ? <input type="hidden" name="clinic" value={params.get("clinic")!} /> : null}
        <button className="btn" type="submit">
          Apply
        </button>
        <Link className="btn secondary" to="/audit">
          Clear
        </Link>
      </Form>
      {rows.length === 0 ? (
        <div className="card empty">Nothing recorded for these filters.</div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Clinic</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td title={absoluteTime(r.at)}>{relativeTime(r.at, now)}</td>
                  <td>{r.actorLabel}</td>
                  <td className="mono">{r.action}</td>
                  <td>{r.clinicId ? <Link to={`/clinics/${r.clinicId}`}>{r.clinicName ?? "clinic"}</Link> : <span className="hint">—</span>}</td>
                  <td className="evidence">{detailText(r.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={pages} params={params} />
    </main>
  );
}
