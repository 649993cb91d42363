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

/** Page links that keep every other search parameter (filters, sort) as they are. */
export function Pager({ page, pages, params, label = "Pages" }: { page: number; pages: number; params: URLSearchParams; label?: string }) {
  const href = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next.toString()}`;
  };
  return (
    <nav className="pager" aria-label={label}>
      <span>
        Page {page} of {Math.max(1, pages)}
      </span>
      {page > 1 ? <Link to={href(page - 1)}>← Previous</Link> : null}
      {page < pages ? <Link to={href(page + 1)}>Next →</Link> : null}
    </nav>
  );
}
