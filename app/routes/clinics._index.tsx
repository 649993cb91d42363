import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { createColumnHelper, tableFeatures, useTable } from "@tanstack/react-table";
import { z } from "zod";
import { listClinics, type ClinicListRow } from "../../db/queries/clinics.ts";
import { CONNECTION_STATES, STATE_LABELS } from "../../domain/health/states.ts";
import { FAILURE_CODES, TAXONOMY } from "../../domain/health/taxonomy.ts";
import { FailureText, StateBadge } from "../components/state-badge.tsx";
import { formatCount, relativeTime } from "../components/format.ts";
import { requireUser } from "../session.server.ts";

export const meta: MetaFunction = () => [{ title: "Clinics · Relink" }];

const PAGE_SIZE = 50;
const QuerySchema = z.object({
  state: z.enum(CONNECTION_STATES).optional().catch(undefined),
  failure: z.enum(FAILURE_CODES).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const query = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { rows, total } = await listClinics(
    { filters: { state: query.state, failureCode: query.failure, q: query.q || undefined }, page: query.page, pageSize: PAGE_SIZE },
    context.services.db,
  );
  return { rows, total, page: query.page, pageSize: PAGE_SIZE, now: Date.now() };
}

type Row = Omit<ClinicListRow, "lastProbeAt" | "lastSuccessAt" | "firstFailureAt"> & {
  lastProbeAt: string | null;
  lastSuccessAt: string | null;
  firstFailureAt: string | null;
};

const features = tableFeatures({});
const col = createColumnHelper<typeof features, Row>();

export default function Clinics() {
  const { rows, total, page, pageSize, now } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const columns = col.columns([
    col.accessor("name", { header: "Clinic", cell: (c) => <Link to={`/clinics/${c.row.original.id}`}>{c.getValue()}</Link> }),
    col.accessor("vendor", { header: "Vendor", cell: (c) => (c.getValue() === "nookal" ? "Nookal" : c.getValue() === "cliniko" ? "Cliniko" : "—") }),
    col.accessor("region", { header: "Region", cell: (c) => <span className="mono">{c.getValue() ?? "—"}</span> }),
    col.accessor("state", { header: "State", cell: (c) => <StateBadge state={c.getValue()} /> }),
    col.accessor("failureCode", { header: "Problem", cell: (c) => <FailureText code={c.getValue()} /> }),
    col.accessor("lastProbeAt", { header: "Last probe", cell: (c) => relativeTime(c.getValue(), now) }),
    col.accessor("firstFailureAt", { header: "Failing since", cell: (c) => (c.getValue() ? relativeTime(c.getValue(), now) : "—") }),
    col.accessor("visiblePatientCount", { header: "Patients", cell: (c) => formatCount(c.getValue()) }),
  ]);
  const table = useTable({ features, columns, data: rows as Row[] });
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const pageHref = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next.toString()}`;
  };
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Clinics</h1>
          <p className="sub">{formatCount(total)} clinics match. Problems that started longest ago come first.</p>
        </div>
      </div>
      <Form method="get" className="filters" role="search">
        <div className="field">
          <label htmlFor="q">Search</label>
          <input id="q" name="q" type="search" placeholder="Clinic name or admin email" defaultValue={params.get("q") ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="state">State</label>
          <select id="state" name="state" defaultValue={params.get("state") ?? ""}>
            <option value="">Any state</option>
            {CONNECTION_STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="failure">Problem</label>
          <select id="failure" name="failure" defaultValue={params.get("failure") ?? ""}>
            <option value="">Any problem</option>
            {FAILURE_CODES.map((f) => (
              <option key={f} value={f}>
                {TAXONOMY[f].title}
              </option>
            ))}
          </select>
        </div>
        <button className="btn" type="submit">
          Apply
        </button>
        <Link className="btn secondary" to="/clinics">
          Clear
        </Link>
      </Form>
      {rows.length === 0 ? (
        <div className="card empty">No clinics match these filters.</div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id}>
                  {group.headers.map((header) => (
                    <th key={header.id} scope="col">
                      {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                    </th>
                  ))}
                </tr>
              ))}
            </thead>
            <tbody>
              {table.getRowModel().rows.map((row) => (
                <tr key={row.id}>
                  {row.getAllCells().map((cell) => (
                    <td key={cell.id} className={cell.column.id === "visiblePatientCount" ? "num" : undefined}>
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <span>
          Page {page} of {pages}
        </span>
        {page > 1 ? <Link to={pageHref(page - 1)}>← Previous</Link> : null}
        {page < pages ? <Link to={pageHref(page + 1)}>Next →</Link> : null}
      </nav>
    </main>
  );
}
