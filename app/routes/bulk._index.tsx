import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { listRecentBulkOperations } from "../../db/queries/bulk-operations.ts";
import { BULK_LABELS } from "../../domain/bulk/kinds.ts";
import { BulkRequestSchema, startBulkOperation } from "../../domain/bulk/operations.ts";
import { bulkDeps } from "../../composition/services.ts";
import { runAction } from "../actions.server.ts";
import { bulkConfirmRequest } from "../components/bulk-confirm.ts";
import { ConfirmStep } from "../components/confirm-step.tsx";
import { absoluteTime, relativeTime } from "../components/format.ts";
import type { FormFields } from "../forms.server.ts";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Bulk actions · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const operations = await listRecentBulkOperations({ limit: 25 }, context.services.db);
  return { operations, now: Date.now() };
}

/** Where a refused selection goes back to: the clinics table as it was filtered, never elsewhere. */
const returnTo = (form: FormFields) => ({ returnTo: typeof form.returnTo === "string" && form.returnTo.startsWith("/clinics") ? form.returnTo : "/clinics" });

/** Starts a bulk action from the clinics table's selection, then shows its progress. */
export async function action(args: ActionFunctionArgs) {
  return runAction(args, { role: "agent", schema: BulkRequestSchema, echo: returnTo }, async ({ input, actor, services }) => {
    const started = await startBulkOperation(input, actor, bulkDeps(services));
    // why: not confirmed yet (or for fewer clinics than now): the confirm step, as a dialog in the bar or this page without JavaScript
    if (started.confirm) return data({ ok: true as const, confirm: bulkConfirmRequest(started.confirm, input), returnTo: input.returnTo });
    return redirect(`/bulk/${started.operationId}`);
  });
}

export default function BulkOperations() {
  const { operations, now } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : undefined;
  const confirm = actionData && actionData.ok ? actionData : undefined;
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Bulk actions</h1>
          <p className="sub">Started from a selection in the clinics table; every agent sees the same progress.</p>
        </div>
      </div>
      {confirm ? <ConfirmStep confirm={confirm.confirm} cancelHref={confirm.returnTo} /> : null}
      {errors ? (
        <div className="form-error" role="alert">
          {Object.values(errors).flat().filter(Boolean).join(" ")}{" "}
          <Link to={actionData && "returnTo" in actionData ? String(actionData.returnTo) : "/clinics"}>Back to the clinics</Link>
        </div>
      ) : null}
      {operations.length === 0 ? (
        <div className="card empty">
          No bulk actions yet. Select clinics in the <Link to="/clinics">clinics table</Link> to start one.
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Started by</th>
                <th scope="col">When</th>
                <th scope="col" className="num">
                  Clinics
                </th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {operations.map((op) => (
                <tr key={op.id}>
                  <td data-label="Action">
                    <Link to={`/bulk/${op.id}`}>{BULK_LABELS[op.kind]}</Link>
                  </td>
                  <td data-label="Started by">{op.requestedByLabel}</td>
                  <td data-label="When">
                    <span title={absoluteTime(op.createdAt)}>{relativeTime(op.createdAt, now)}</span>
                  </td>
                  <td data-label="Clinics" className="num">
                    {op.total}
                  </td>
                  <td data-label="Progress">
                    {op.waiting > 0 ? (
                      <span className="badge tone-info">Running: {op.waiting} waiting</span>
                    ) : op.failed > 0 ? (
                      <span className="badge tone-bad">Finished, {op.failed} failed</span>
                    ) : (
                      <span className="badge tone-ok">Finished</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
