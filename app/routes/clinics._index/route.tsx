import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useNavigate, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { useTable, type RowSelectionState, type SortingState } from "@tanstack/react-table";
import { useEffect, useMemo, useState } from "react";
import { hasRole } from "../../../domain/auth/roles.ts";
import { CLINIC_FILTER_KEYS, ClinicsQuerySchema, loadClinicsTable } from "../../../domain/clinics/clinics-table.ts";
import { BulkBar } from "../../components/bulk-bar.tsx";
import { formatCount } from "../../components/format.ts";
import { AutoRefresh } from "../../components/auto-refresh.tsx";
import { Pager } from "../../components/forms.tsx";
import type { loader as rootLoader } from "../../root.tsx";
import { requireUser } from "../../session.server.ts";
import { ClinicsTableView, columnsFor, features, type Row } from "./columns.tsx";
import { BrokenChips } from "./broken-chips.tsx";
import { ClinicFilters } from "./filters.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Clinics · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context.services);
  const query = ClinicsQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  // why: the bulk bar offers "add to a campaign" only to those who may act
  return loadClinicsTable({ query, canAct: hasRole(user.role, "agent") }, context.services.db);
}

/** The table's filters only (not sort or page): what "all N matching" hands the server to resolve. */
function matchQueryOf(params: URLSearchParams): string {
  const q = new URLSearchParams();
  for (const k of CLINIC_FILTER_KEYS) {
    const v = params.get(k);
    if (v) q.set(k, v);
  }
  return q.toString();
}

export default function Clinics() {
  const { rows, total, totalCapped, broken, campaigns, page, pageSize, sort, dir, now } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = !!root?.user && hasRole(root.user.role, "agent");
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  // why: a selection belongs to the page it was made on; another page or filter starts empty — but
  // an auto-refresh of the same page (new row objects, same clinics) keeps it
  const rowIds = rows.map((r) => r.id).join(",");
  useEffect(() => setRowSelection({}), [rowIds]);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const sorting: SortingState = [{ id: sort, desc: dir === "desc" }];
  const sortHref = (id: string) => {
    const next = new URLSearchParams(params);
    const desc = id === sort ? dir !== "desc" : false;
    next.set("sort", id);
    next.set("dir", desc ? "desc" : "asc");
    next.delete("page");
    return `?${next.toString()}`;
  };
  // why: TanStack keeps its models while columns stay the same object; a fresh array each render rebuilds them
  const columns = useMemo(() => columnsFor(now, canAct), [now, canAct]);
  const table = useTable({
    features,
    columns,
    data: rows as Row[],
    getRowId: (r) => r.id,
    manualSorting: true,
    manualPagination: true,
    rowCount: total,
    enableSortingRemoval: false,
    state: { sorting, pagination: { pageIndex: page - 1, pageSize }, rowSelection },
    onRowSelectionChange: setRowSelection,
    // why: the server owns sort and page; a change becomes a URL, so the view can be shared
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      const s = next[0];
      if (s) navigate(sortHref(s.id));
    },
  });
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const filtered = CLINIC_FILTER_KEYS.some((k) => params.get(k));
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Clinics</h1>
          <p className="sub">
            <span data-testid="clinics-total">
              {formatCount(total)}
              {totalCapped ? "+" : ""}
            </span>{" "}
            {total === 1 && !totalCapped ? "clinic" : "clinics"} {filtered ? (total === 1 && !totalCapped ? "matches" : "match") : "in the fleet"}. Sorted by{" "}
            {table.getColumn(sort)?.columnDef.header as string} {dir === "desc" ? "(descending)" : "(ascending)"}.
          </p>
        </div>
        <div className="row-actions">
          {canAct ? (
            <Link className="btn" to="/clinics/new">
              Add clinic
            </Link>
          ) : null}
          {root?.user?.role === "admin" ? (
            <Link className="btn secondary" to="/clinics/import">
              Import CSV
            </Link>
          ) : null}
          <Link to="/clinics/archived">Archived clinics</Link>
        </div>
      </div>
      <ClinicFilters sort={sort} dir={dir} params={params} />
      <BrokenChips params={params} counts={broken} />
      {rows.length === 0 ? (
        <div className="card empty">No clinics match these filters.</div>
      ) : (
        <>
          {canAct ? (
            <BulkBar
              selected={Object.keys(rowSelection).filter((k) => rowSelection[k]).length}
              pageIds={rows.map((r) => r.id)}
              campaigns={campaigns}
              returnTo={`/clinics${params.size ? `?${params.toString()}` : ""}`}
              total={total}
              matchQuery={matchQueryOf(params)}
            />
          ) : null}
          <ClinicsTableView table={table} sortHref={sortHref} />
        </>
      )}
      <Pager page={page} pages={pages} params={params} total={total} pageSize={pageSize} totalCapped={totalCapped} />
      <AutoRefresh at={now} />
    </main>
  );
}
