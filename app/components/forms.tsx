import { Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { formatCount } from "./format.ts";

export type FieldErrors = Record<string, string[] | undefined> | undefined;

/** A labelled control with its error underneath, wired with aria-invalid / aria-describedby. */
export function Field({
  name,
  label,
  errors,
  hint,
  children,
}: {
  name: string;
  label: string;
  errors?: FieldErrors;
  hint?: ReactNode;
  children: (props: { id: string; name: string; "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = `f-${name}`;
  const error = errors?.[name]?.[0];
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, ...(error ? { "aria-invalid": true as const } : {}), ...(describedBy ? { "aria-describedby": describedBy } : {}) })}
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function FormError({ errors }: { errors?: FieldErrors }) {
  const e = errors?.form?.[0];
  return e ? (
    <div className="form-error" role="alert">
      {e}
    </div>
  ) : null;
}

/** "101–150 of 1,234": the rows a page shows out of the total. */
function pageRange(page: number, pageSize: number, total: number, capped: boolean): string {
  if (total === 0) return "0 of 0";
  const from = (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)}${capped ? "+" : ""}`;
}

/** Past every page: the loader clamps it to the last one (so a capped total can still offer "Last"). */
const PAST_THE_END = 100_000;

/** Page links that keep every other search parameter (filters, sort) as they are; with `total`, the range shown. */
export function Pager({
  page,
  pages,
  params,
  label = "Pages",
  total,
  pageSize,
  totalCapped = false,
}: {
  page: number;
  pages: number;
  params: URLSearchParams;
  label?: string;
  total?: number;
  pageSize?: number;
  /** `total` is a lower bound ("10,000+"): the last page is not known, only that there are more. */
  totalCapped?: boolean;
}) {
  const href = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next.toString()}`;
  };
  const last = Math.max(1, pages);
  return (
    <nav className="pager" aria-label={label}>
      {total !== undefined && pageSize ? <span className="pager-range">{pageRange(page, pageSize, total, totalCapped)}</span> : null}
      <span>
        Page {page} of {last}
        {totalCapped ? "+" : ""}
      </span>
      {page > 2 ? <Link to={href(1)}>« First</Link> : null}
      {page > 1 ? <Link to={href(page - 1)}>← Previous</Link> : null}
      {page < pages || totalCapped ? <Link to={href(page + 1)}>Next →</Link> : null}
      {page < pages - 1 || totalCapped ? <Link to={href(totalCapped ? PAST_THE_END : last)}>Last »</Link> : null}
    </nav>
  );
}
