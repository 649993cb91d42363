import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigate, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import {
  createColumnHelper,
  rowPaginationFeature,
  rowSelectionFeature,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type RowSelectionState,
  type SortingState,
} from "@tanstack/react-table";
import { useEffect, useMemo, useState } from "react";
import { z } from "zod";
import { listCampaignChoices } from "../../db/queries/bulk-operations.ts";
import { CLINIC_SORTS, listClinics, type ClinicListRow } from "../../db/queries/clinics.ts";
import { KNOWN_CLINIKO_SHARDS } from "../../domain/vendors/cliniko-key.ts";
import { FailureText, StateBadge } from "../components/state-badge.tsx";
import { ProblemSelect, StateSelect, VendorSelect } from "../components/filter-selects.tsx";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { Pager } from "../components/forms.tsx";
import { hasRole } from "../../domain/auth/roles.ts";
import { BULK_FORM_ID, BulkBar } from "../components/bulk-bar.tsx";
import type { loader as rootLoader } from "../root.tsx";
import { requireUser } from "../session.server.ts";
import { CONNECTION_STATES, FAILURE_CODES, NOOKAL_REGION_LABELS, NOOKAL_REGIONS, VENDORS } from "../../domain/vocabulary.ts";

export const meta: MetaFunction = () => [{ title: "Clinics · Relink" }];

const PAGE_SIZE = 50;
const REGIONS = [...KNOWN_CLINIKO_SHARDS, ...NOOKAL_REGIONS] as const;

/** The clinics view lives in the URL: bad values fall back to defaults instead of failing the page. */
export const ClinicsQuerySchema = z.object({
  state: z.enum(CONNECTION_STATES).optional().catch(undefined),
  failure: z.enum(FAILURE_CODES).optional().catch(undefined),
  vendor: z.enum(VENDORS).optional().catch(undefined),
  region: z.enum(REGIONS).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  sort: z.enum(CLINIC_SORTS).catch("failingSince").default("failingSince"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context.services);
  const query = ClinicsQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { rows, total } = await listClinics(
    {
      filters: { state: query.state, failureCode: query.failure, vendor: query.vendor, region: query.region, q: query.q || undefined },
      sort: query.sort,
      desc: query.dir === "desc",
      page: query.page,
      pageSize: PAGE_SIZE,
    },
    context.services.db,
  );
  // why: the bulk bar offers "add to a campaign" only to those who may act
  const campaigns = hasRole(user.role, "agent") ? await listCampaignChoices(context.services.db) : [];
  return { rows, total, campaigns, page: query.page, sort: query.sort, dir: query.dir, pageSize: PAGE_SIZE, now: Date.now() };
}

type Row = Omit<ClinicListRow, "lastProbeAt" | "lastSuccessAt" | "firstFailureAt"> & {
  lastProbeAt: string | null;
  lastSuccessAt: string | null;
  firstFailureAt: string | null;
};

const features = tableFeatures({ rowSortingFeature, rowPaginationFeature, rowSelectionFeature });
const col = createColumnHelper<typeof features, Row>();

// why: column ids are the URL's sort keys, so a header click maps straight onto ?sort=
function columnsFor(now: number, selectable: boolean) {
  // why: plain checkboxes in the bulk form (form="bulk-form"), so selecting works without JavaScript;
  // "all on this page" posts scope=page and the server adds the page's ids (docs/decisions/0014-bulk-actions.md)
  const select = col.display({
    id: "select",
    enableSorting: false,
    header: ({ table }) => (
      <input
        type="checkbox"
        form={BULK_FORM_ID}
        name="scope"
        value="page"
        aria-label="Select all clinics on this page"
        checked={table.getIsAllPageRowsSelected()}
        ref={(el) => {
          if (el) el.indeterminate = table.getIsSomePageRowsSelected();
        }}
        onChange={table.getToggleAllPageRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => (
      <input
        type="checkbox"
        form={BULK_FORM_ID}
        name="clinicId"
        value={row.original.id}
        aria-label={`Select ${row.original.name}`}
        checked={row.getIsSelected()}
        onChange={row.getToggleSelectedHandler()}
      />
    ),
  });
  return col.columns([
    ...(selectable ? [select] : []),
    col.accessor("name", {
      id: "name",
      header: "Clinic",
      cell: (c) => (
        <>
          <Link to={`/clinics/${c.row.original.id}`}>{c.getValue()}</Link>
          {c.row.original.adminEmail ? <div className="hint">{c.row.original.adminEmail}</div> : null}
        </>
      ),
    }),
    col.accessor("vendor", { id: "vendor", header: "Vendor", cell: (c) => (c.getValue() === "nookal" ? "Nookal" : c.getValue() === "cliniko" ? "Cliniko" : "—") }),
    col.accessor("region", { id: "region", header: "Region", cell: (c) => <span className="mono">{c.getValue() ?? "—"}</span> }),
    col.accessor("state", { id: "state", header: "State", cell: (c) => <StateBadge state={c.getValue()} /> }),
    col.accessor("failureCode", { id: "failure", header: "Problem", cell: (c) => <FailureText code={c.getValue()} /> }),
    col.accessor("lastSuccessAt", {
      id: "lastSuccess",
      header: "Last success",
      cell: (c) => <span title={absoluteTime(c.getValue())}>{relativeTime(c.getValue(), now)}</span>,
    }),
    col.accessor("firstFailureAt", {
      id: "failingSince",
      header: "Failing since",
      cell: (c) => (c.getValue() ? <span title={absoluteTime(c.getValue())}>{relativeTime(c.getValue(), now)}</span> : "—"),
    }),
    col.accessor("visiblePatientCount", { id: "patients", header: "Patients", cell: (c) => formatCount(c.getValue()) }),
    col.accessor("openAlerts", {
      id: "alerts",
      header: "Open alerts",
      cell: (c) => (c.getValue() ? <Link to={`/alerts?clinic=${c.row.original.id}`}>{c.getValue()}</Link> : <span className="hint">0</span>),
    }),
  ]);
}

const NUMERIC = new Set(["patients", "alerts"]);

export default function Clinics() {
  const { rows, total, campaigns, page, pageSize, sort, dir, now } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = !!root?.user && hasRole(root.user.role, "agent");
  const [rowSelection, setRowSelection] = useState<RowSelectionState>({});
  // why: a selection belongs to the page it was made on; another page or filter starts empty
  useEffect(() => setRowSelection({}), [rows]);
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
  const filtered = ["state", "failure", "vendor", "region", "q"].some((k) => params.get(k));
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Clinics</h1>
          <p className="sub">
            {formatCount(total)} clinics {filtered ? "match" : "in the fleet"}. Sorted by {table.getColumn(sort)?.columnDef.header as string}{" "}
            {dir === "desc" ? "(descending)" : "(ascending)"}.
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
      <Form method="get" className="filters" role="search">
        <input type="hidden" name="sort" value={sort} />
        <input type="hidden" name="dir" value={dir} />
        <div className="field">
          <label htmlFor="q">Search</label>
          <input id="q" name="q" type="search" placeholder="Clinic name or admin email" defaultValue={params.get("q") ?? ""} />
        </div>
        <StateSelect id="state" defaultValue={params.get("state")} />
        <ProblemSelect id="failure" defaultValue={params.get("failure")} />
        <VendorSelect id="vendor" defaultValue={params.get("vendor")} narrow />
        <div className="field narrow">
          <label htmlFor="region">Region</label>
          <select id="region" name="region" defaultValue={params.get("region") ?? ""}>
            <option value="">Any region</option>
            <optgroup label="Cliniko shards">
              {KNOWN_CLINIKO_SHARDS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </optgroup>
            <optgroup label="Nookal regions">
              {NOOKAL_REGIONS.map((r) => (
                <option key={r} value={r}>
                  {NOOKAL_REGION_LABELS[r]}
                </option>
              ))}
            </optgroup>
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
        <>
        {canAct ? (
          <BulkBar
            selected={Object.keys(rowSelection).filter((k) => rowSelection[k]).length}
            pageIds={rows.map((r) => r.id)}
            campaigns={campaigns}
            returnTo={`/clinics${params.size ? `?${params.toString()}` : ""}`}
          />
        ) : null}
        <div className="table-wrap">
          <table className="data">
            <thead>
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id}>
                  {group.headers.map((header) => {
                    const sorted = header.column.getIsSorted();
                    if (!header.column.getCanSort())
                      return (
                        <th key={header.id} scope="col" className="select">
                          <table.FlexRender header={header} />
                        </th>
                      );
                    return (
                      <th
                        key={header.id}
                        scope="col"
                        aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                        className={NUMERIC.has(header.column.id) ? "num" : undefined}
                      >
                        {/* why: a link, not a button, so sorting works without JavaScript and can be shared */}
                        <Link
                          className="sort"
                          to={sortHref(header.column.id)}
                          onClick={(e) => {
                            e.preventDefault();
                            header.column.toggleSorting(sorted === "asc", false);
                          }}
                        >
                          <table.FlexRender header={header} />
                          <span aria-hidden="true">{sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "↕"}</span>
                          {sorted ? <span className="visually-hidden">{sorted === "asc" ? ", sorted ascending" : ", sorted descending"}</span> : null}
                        </Link>
                      </th>
                    );
                  })}
                </tr>
              ))}
            </thead>
            <tbody>
              {table.getRowModel().rows.map((row) => (
                <tr key={row.id}>
                  {row.getAllCells().map((cell) => (
                    <td key={cell.id} className={NUMERIC.has(cell.column.id) ? "num" : cell.column.id === "select" ? "select" : undefined}>
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        </>
      )}
      <Pager page={page} pages={pages} params={params} />
    </main>
  );
}
