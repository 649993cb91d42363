import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { z } from "zod";
import { getBulkProgress } from "../../db/queries/bulk-operations.ts";
import { BULK_LABELS } from "../../domain/bulk/kinds.ts";
import { BulkProgressBar, ITEM_LABELS, ItemBadge } from "../components/bulk-progress.tsx";
import { absoluteTime, relativeTime } from "../components/format.ts";
import { FailureText, StateBadge } from "../components/state-badge.tsx";
import { notFound, paramsOr404 } from "../http.server.ts";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data ? BULK_LABELS[data.operation.kind] : "Bulk action"} · Relink` }];

const ParamsSchema = z.object({ operationId: z.uuid() });
const NOT_FOUND = "No bulk action has that address.";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const { operationId } = paramsOr404(ParamsSchema, params, NOT_FOUND);
  const operation = (await getBulkProgress({ operationId }, context.services.db)) ?? notFound(NOT_FOUND);
  return { operation, now: Date.now() };
}

const POLL_MS = 1000;

export default function BulkOperationProgress() {
  const { operation: op, now } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const running = op.counts.waiting > 0;
  const finished = op.total - op.counts.waiting;
  // why: the worker settles probe items in the background; re-reading every second shows it as it happens
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle" && document.visibilityState === "visible") revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [running, revalidator]);
  const purpose = typeof op.params.purpose === "string" ? op.params.purpose : null;
  const reason = typeof op.params.reason === "string" ? op.params.reason : null;
  const campaignName = typeof op.params.campaignName === "string" ? op.params.campaignName : null;
  const campaignId = typeof op.params.campaignId === "string" ? op.params.campaignId : null;
  return (
    <main id="main">
      {/* why: without JavaScript the page refreshes itself until the work is done */}
      {running ? (
        <noscript>
          <meta httpEquiv="refresh" content="2" />
        </noscript>
      ) : null}
      <div className="page-head">
        <div>
          <h1>
            {BULK_LABELS[op.kind]}: {op.total} {op.total === 1 ? "clinic" : "clinics"}
          </h1>
          <p className="sub">
            Started by {op.requestedByLabel} <span title={absoluteTime(op.createdAt)}>{relativeTime(op.createdAt, now)}</span>
            {purpose ? <> · message: “{purpose}”</> : null}
            {reason ? <> · reason: “{reason}”</> : null}
            {campaignName && campaignId ? (
              <>
                {" "}
                · campaign: <Link to={`/campaigns/${campaignId}`}>{campaignName}</Link>
              </>
            ) : null}
          </p>
        </div>
        <Link className="btn secondary" to={op.returnTo}>
          Back to the clinics
        </Link>
      </div>
      <section className="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">Progress</h2>
        <p role="status">
          {running
            ? op.kind === "probe"
              ? `Running: the worker is probing; ${op.counts.waiting} still waiting.`
              : `Running: ${op.counts.waiting} still waiting.`
            : op.counts.failed > 0
              ? `Finished, with ${op.counts.failed} failed.`
              : "Finished."}
        </p>
        <BulkProgressBar finished={finished} total={op.total} label={`${BULK_LABELS[op.kind]} progress`} />
        <ul className="bulk-counts" aria-label="Counts">
          {(["done", "failed", "skipped", "waiting"] as const).map((s) => (
            <li key={s}>
              <ItemBadge status={s} /> <strong>{op.counts[s]}</strong>
              <span className="visually-hidden"> {ITEM_LABELS[s].toLowerCase()}</span>
            </li>
          ))}
        </ul>
      </section>
      <h2 style={{ marginTop: "1.5rem" }}>Clinics</h2>
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Clinic</th>
              <th scope="col">Result</th>
              <th scope="col">Details</th>
              <th scope="col">State now</th>
              <th scope="col">Problem now</th>
              <th scope="col">Finished</th>
            </tr>
          </thead>
          <tbody>
            {op.items.map((item) => (
              <tr key={item.clinicId}>
                <td>
                  <Link to={`/clinics/${item.clinicId}`}>{item.clinicName}</Link>
                </td>
                <td>
                  <ItemBadge status={item.status} />
                </td>
                <td>{item.message ?? (item.status === "done" && op.kind === "probe" ? "Probed." : <span className="hint">—</span>)}</td>
                <td>
                  <StateBadge state={item.state} />
                </td>
                <td>
                  <FailureText code={item.failureCode} />
                </td>
                <td>
                  {item.finishedAt ? <span title={absoluteTime(item.finishedAt)}>{relativeTime(item.finishedAt, now)}</span> : <span className="hint">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}
