import { isRouteErrorResponse, Link, useRouteError, type ErrorResponse } from "@remix-run/react";
import type { ReactNode } from "react";

/**
 * The one error boundary (the root's and every route's): a thrown Response is answered by its
 * status (404 not found, 403 not allowed, others by their status line), anything else is "something
 * went wrong" without the error's text, which may hold internals. A route passes its own words for
 * a status through `statusHandlers`, and a way back (`back`) that fits the page.
 */

export interface ErrorView {
  title: string;
  message: ReactNode;
}
export type StatusHandler = (error: ErrorResponse) => ErrorView;

const text = (error: ErrorResponse) => (typeof error.data === "string" && error.data ? error.data : "");

const DEFAULT_STATUS_HANDLERS: Record<number, StatusHandler> = {
  404: (e) => ({ title: "Not found", message: text(e) || "That page or clinic does not exist (or was archived)." }),
  403: (e) => ({ title: "Not allowed", message: `${text(e) ? `${text(e)} ` : ""}Ask an admin if you need access.` }),
};

const UNEXPECTED: ErrorView = { title: "Something went wrong", message: "The error has been logged. Try again, or go back to the clinics list." };

export function viewOfError(error: unknown, statusHandlers: Record<number, StatusHandler> = {}, unexpected: ErrorView = UNEXPECTED): ErrorView {
  if (!isRouteErrorResponse(error)) return unexpected;
  const handler = statusHandlers[error.status] ?? DEFAULT_STATUS_HANDLERS[error.status];
  return handler ? handler(error) : { title: `${error.status} ${error.statusText}`, message: unexpected.message };
}

export function StatusErrorBoundary({
  statusHandlers,
  unexpected,
  back = { to: "/clinics", label: "Back to clinics" },
}: {
  statusHandlers?: Record<number, StatusHandler>;
  unexpected?: ErrorView;
  back?: { to: string; label: string } | null;
}) {
  const view = viewOfError(useRouteError(), statusHandlers, unexpected);
  return (
    <main id="main">
      <div className="card">
        <h1>{view.title}</h1>
        <p>{view.message}</p>
        {back ? (
          <Link className="btn secondary" to={back.to}>
            {back.label}
          </Link>
        ) : null}
      </div>
    </main>
  );
}

/** What a console route exports as its ErrorBoundary: the same page, inside the layout. */
export function ErrorBoundary() {
  return <StatusErrorBoundary />;
}

const CLINIC_FACING: Record<number, StatusHandler> = {
  404: () => ({ title: "This link does not work", message: "It may have expired or been replaced by a newer one. Ask the person who sent it for a new link." }),
};

/** The clinic-facing pages' boundary: same handling, in the clinic's words, and no way into the console. */
export function ClinicFacingErrorBoundary() {
  return (
    <StatusErrorBoundary
      statusHandlers={CLINIC_FACING}
      unexpected={{ title: "Something went wrong", message: "Nothing was changed. Try again in a minute." }}
      back={null}
    />
  );
}
