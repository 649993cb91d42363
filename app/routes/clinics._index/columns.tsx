import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { createColumnHelper, rowPaginationFeature, rowSelectionFeature, rowSortingFeature, tableFeatures, type ReactTable } from "@tanstack/react-table";
import type { ClinicListRow } from "../../../db/queries/clinics.ts";
import { BULK_FORM_ID } from "../../components/bulk-bar.tsx";
import { absoluteTime, formatPatientCount, relativeTime } from "../../components/format.ts";
import { FailureText, StateBadge } from "../../components/state-badge.tsx";
import { FailingSinceChip } from "./broken-chips.tsx";

/** The clinics table's columns (TanStack v9) and its rendering; the route owns the URL state. */

export type Row = Omit<ClinicListRow, "lastProbeAt" | "lastSuccessAt" | "firstFailureAt" | "lastSyncSuccessAt"> & {
  lastProbeAt: string | null;
  lastSuccessAt: string | null;
  firstFailureAt: string | null;
  lastSyncSuccessAt: string | null;
};

export const features = tableFeatures({ rowSortingFeature, rowPaginationFeature, rowSelectionFeature });
const col = createColumnHelper<typeof features, Row>();

// why: column ids are the URL's sort keys, so a header click maps straight onto ?sort=
export function columnsFor(now: number, selectable: boolean) {
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
    col.accessor("vendor", {
      id: "vendor",
      header: "Vendor",
      cell: (c) => (c.getValue() === "nookal" ? "Nookal" : c.getValue() === "cliniko" ? "Cliniko" : "—"),
    }),
    col.accessor("region", { id: "region", header: "Region", cell: (c) => <span className="mono">{c.getValue() ?? "—"}</span> }),
    col.accessor("state", { id: "state", header: "State", cell: (c) => <StateBadge state={c.getValue()} failureCode={c.row.original.failureCode} /> }),
    col.accessor("failureCode", { id: "failure", header: "Problem", cell: (c) => <FailureText code={c.getValue()} /> }),
    col.accessor("lastSuccessAt", {
      id: "lastSuccess",
      header: "Last success",
      cell: (c) => (
        <span className="when" title={absoluteTime(c.getValue())}>
          {relativeTime(c.getValue(), now, "short")}
        </span>
      ),
    }),
    col.accessor("lastSyncSuccessAt", {
      id: "lastSync",
      header: "Last sync",
      cell: (c) => (
        <>
          <span className={c.getValue() ? "when" : "when hint"} title={absoluteTime(c.getValue())}>
            {c.getValue() ? relativeTime(c.getValue(), now, "short") : "never"}
          </span>
          {c.row.original.syncState === "failed" ? <span className="badge tone-bad chip">Sync failing</span> : null}
        </>
      ),
    }),
    col.accessor("firstFailureAt", {
      id: "failingSince",
      header: "Failing since",
      cell: (c) =>
        c.getValue() ? (
          <>
            <span className="when" title={absoluteTime(c.getValue())}>
              {relativeTime(c.getValue(), now, "short")}
            </span>
            {c.row.original.state !== "paused" ? <FailingSinceChip since={c.getValue()!} now={now} /> : null}
          </>
        ) : (
          "—"
        ),
    }),
    col.accessor("visiblePatientCount", {
      id: "patients",
      header: "Patients",
      cell: (c) => formatPatientCount(c.getValue(), c.row.original.visiblePatientsAtLeast),
    }),
    col.accessor("openAlerts", {
      id: "alerts",
      header: "Open alerts",
      cell: (c) => (c.getValue() ? <Link to={`/alerts?clinic=${c.row.original.id}`}>{c.getValue()}</Link> : <span className="hint">0</span>),
    }),
  ]);
}

const NUMERIC = new Set(["patients", "alerts"]);

/**
 * A cell's markup by calling its column's `cell` function directly. why not <FlexRender>: it mounts
 * two components per cell (itself and the cell function as a component), 1,100 a page; these cell
 * functions use no hooks, so a plain call renders the same markup for half the server-rendering work.
 */
function renderCell(cell: { column: { columnDef: { cell?: unknown } }; getContext: () => unknown }): ReactNode {
  const def = cell.column.columnDef.cell;
  return typeof def === "function" ? (def as (ctx: unknown) => ReactNode)(cell.getContext()) : ((def as ReactNode) ?? null);
}

/** The table itself: sortable headers are links (they work without JavaScript), cells as the columns render them. */
export function ClinicsTableView({ table, sortHref }: { table: ReactTable<typeof features, Row>; sortHref: (id: string) => string }) {
  return (
    <div className="table-wrap">
      <table className="data stack-on-phone clinics-table">
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
                <td
                  key={cell.id}
                  className={NUMERIC.has(cell.column.id) ? "num" : cell.column.id === "select" ? "select" : undefined}
                  // why: on a phone each row stacks into a card and this labels each value (app/polish.css)
                  data-label={typeof cell.column.columnDef.header === "string" ? cell.column.columnDef.header : undefined}
                >
                  {renderCell(cell)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
