import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

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
function pageRange(page: number, pageSize: number, total: number): string {
  if (total === 0) return "0 of 0";
  const from = (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return `${from.toLocaleString("en-AU")}–${to.toLocaleString("en-AU")} of ${total.toLocaleString("en-AU")}`;
}

/** Page links that keep every other search parameter (filters, sort) as they are; with `total`, the range shown. */
export function Pager({
  page,
  pages,
  params,
  label = "Pages",
  total,
  pageSize,
}: {
  page: number;
  pages: number;
  params: URLSearchParams;
  label?: string;
  total?: number;
  pageSize?: number;
}) {
  const href = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next.toString()}`;
  };
  const last = Math.max(1, pages);
  return (
    <nav className="pager" aria-label={label}>
      {total !== undefined && pageSize ? <span className="pager-range">{pageRange(page, pageSize, total)}</span> : null}
      <span>
        Page {page} of {last}
      </span>
      {page > 2 ? <Link to={href(1)}>« First</Link> : null}
      {page > 1 ? <Link to={href(page - 1)}>← Previous</Link> : null}
      {page < pages ? <Link to={href(page + 1)}>Next →</Link> : null}
      {page < pages - 1 ? <Link to={href(last)}>Last »</Link> : null}
    </nav>
  );
}
