import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ALERT_INBOX_PAGE_SIZE as PAGE_SIZE, loadAlertInbox } from "../../domain/alerts/inbox-page.ts";
import { AlertActions } from "../components/alert-actions.tsx";
import { acknowledgeAlert, acknowledgeAlerts, BULK_ACK_LIMIT, muteAlert, unmuteAlert } from "../../domain/alerts/manage.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import { AutoRefresh } from "../components/auto-refresh.tsx";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { LocalTime } from "../components/local-time.tsx";
import { FormError, Pager } from "../components/forms.tsx";
import { VendorSelect } from "../components/filter-selects.tsx";
import { FailureText } from "../components/state-badge.tsx";
import { runAction } from "../actions.server.ts";
import { checkboxList } from "../forms.server.ts";
import { notFound } from "../http.server.ts";
import type { loader as rootLoader } from "../root.tsx";
import { redirectWithFlash, requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";
import { ALERT_KIND_LABELS, ALERT_KINDS, ALERT_STATUSES, type AlertStatus, VENDORS } from "../../domain/vocabulary.ts";

export const meta: MetaFunction = () => [{ title: "Alerts · Relink" }];

const STATUS_LABELS: Record<AlertStatus, string> = { open: "Open", acknowledged: "Acknowledged", muted: "Muted", resolved: "Resolved" };
const QuerySchema = z.object({
  status: z.enum(ALERT_STATUSES).catch("open").default("open"),
  kind: z.enum(ALERT_KINDS).optional().catch(undefined),
  vendor: z.enum(VENDORS).optional().catch(undefined),
  clinic: z.uuid().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const inbox = await loadAlertInbox({ filters: { status: q.status, kind: q.kind, vendor: q.vendor, clinicId: q.clinic }, page: q.page }, context.services.db);
  return { ...inbox, status: q.status, page: q.page, now: Date.now() };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("acknowledge"), alertId: z.uuid() }),
  z.object({
    intent: z.literal("mute"),
    alertId: z.uuid(),
    until: z.iso.date("Pick the date the mute ends").refine((d) => new Date(`${d}T23:59:59Z`).getTime() > Date.now(), "Pick a date in the future"),
  }),
  z.object({ intent: z.literal("unmute"), alertId: z.uuid() }),
  z.object({
    intent: z.literal("acknowledge-many"),
    alertId: checkboxList(
      z.array(z.uuid()).min(1, "Select the alerts to acknowledge first").max(BULK_ACK_LIMIT, `Acknowledge at most ${BULK_ACK_LIMIT} alerts at once`),
    ),
  }),
]);

export async function action(args: ActionFunctionArgs) {
  return runAction(args, { role: "agent", schema: ActionSchema }, async ({ input, actor, services, request }) => {
    const search = new URL(request.url).search;
    const back = search ? `/alerts${search}` : "/alerts";
    if (input.intent === "acknowledge-many") {
      const done = await acknowledgeAlerts({ alertIds: input.alertId, actor }, services.db);
      const skipped = input.alertId.length - done.length;
      return redirectWithFlash(
        request,
        services,
        back,
        `${done.length} alert${done.length === 1 ? "" : "s"} acknowledged${skipped ? ` (${skipped} already acknowledged or resolved)` : ""}.`,
      );
    }
    const row =
      input.intent === "acknowledge"
        ? await acknowledgeAlert({ alertId: input.alertId, actor }, services.db)
        : input.intent === "unmute"
          ? await unmuteAlert({ alertId: input.alertId, actor }, services.db)
          : await muteAlert({ alertId: input.alertId, until: new Date(`${input.until}T23:59:59Z`), actor }, services.db);
    if (!row) notFound("No unresolved alert has that id (it may have just been resolved).");
    return redirectWithFlash(
      request,
      services,
      back,
      input.intent === "acknowledge" ? "Alert acknowledged." : input.intent === "mute" ? `Alert muted until ${input.until}.` : "Alert unmuted.",
    );
  });
}

export default function AlertsPage() {
  const { rows, total, tabs, broken, status, page, pages, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = root?.user ? hasRole(root.user.role, "agent") : false;
  const [params] = useSearchParams();
  const tabHref = (s: AlertStatus) => {
    const next = new URLSearchParams(params);
    next.set("status", s);
    next.delete("page");
    return `?${next.toString()}`;
  };
  // why: only open and muted alerts can still be acknowledged
  const bulkAck = status === "open" || status === "muted";
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Alerts</h1>
          <p className="sub">
            {formatCount(total)} {STATUS_LABELS[status].toLowerCase()} alerts match. Oldest incident first. ·{" "}
            <Link to="/clinics?broken=now">
              <strong data-testid="broken-now-count">{formatCount(broken)}</strong> clinics broken now
            </Link>
          </p>
          <AutoRefresh at={now} />
        </div>
      </div>
      <nav className="tabs" aria-label="Alert status">
        {ALERT_STATUSES.map((s) => (
          <Link key={s} to={tabHref(s)} aria-current={s === status ? "page" : undefined}>
            {STATUS_LABELS[s]} <span className="count">{tabs[s] ?? 0}</span>
          </Link>
        ))}
      </nav>
      <Form method="get" className="filters" role="search">
        <input type="hidden" name="status" value={status} />
        {params.get("clinic") ? <input type="hidden" name="clinic" value={params.get("clinic")!} /> : null}
        <div className="field">
          <label htmlFor="kind">Kind</label>
          <select id="kind" name="kind" defaultValue={params.get("kind") ?? ""}>
            <option value="">Any kind</option>
            {ALERT_KINDS.map((k) => (
              <option key={k} value={k}>
                {ALERT_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <VendorSelect id="vendor" defaultValue={params.get("vendor")} narrow />
        <button className="btn" type="submit">
          Apply
        </button>
        <Link className="btn secondary" to={`/alerts?status=${status}`}>
          Clear
        </Link>
      </Form>
      <FormError
        errors={
          result?.fieldErrors && {
            form: Object.values(result.fieldErrors)
              .flat()
              .filter((e): e is string => Boolean(e)),
          }
        }
      />
      {rows.length === 0 ? (
        <div className="card empty">No {STATUS_LABELS[status].toLowerCase()} alerts here.</div>
      ) : (
        <div className="table-wrap">
          {canAct && bulkAck ? (
            // why: row checkboxes join this form through form="alerts-bulk", so each row keeps its own forms
            <Form method="post" id="alerts-bulk" className="bulk-ack">
              <button className="btn secondary small" type="submit" name="intent" value="acknowledge-many">
                Acknowledge selected
              </button>
              <span className="hint">Tick alerts below; acknowledging ends their mutes.</span>
            </Form>
          ) : null}
          <table className="data">
            <thead>
              <tr>
                {canAct && bulkAck ? (
                  <th scope="col" className="select">
                    <span className="visually-hidden">Select</span>
                  </th>
                ) : null}
                <th scope="col">Clinic</th>
                <th scope="col">Alert</th>
                <th scope="col">Problem now</th>
                <th scope="col">Since</th>
                <th scope="col">Seen</th>
                <th scope="col">{status === "resolved" ? "Resolved" : "Actions"}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  {canAct && bulkAck ? (
                    <td className="select">
                      <input type="checkbox" form="alerts-bulk" name="alertId" value={a.id} aria-label={`Select the alert for ${a.clinicName}`} />
                    </td>
                  ) : null}
                  <td>
                    <Link to={`/clinics/${a.clinicId}`}>{a.clinicName}</Link>
                    {" · "}
                    <Link to={`/clinics/${a.clinicId}#playbook`} className="hint">
                      playbook
                    </Link>
                    <div className="hint">
                      {a.vendor === "nookal" ? "Nookal" : "Cliniko"} · <span className="mono">{a.region}</span>
                    </div>
                  </td>
                  <td>
                    {ALERT_KIND_LABELS[a.kind]}
                    {a.status === "muted" && a.mutedUntil ? <div className="hint">Muted until {absoluteTime(a.mutedUntil).slice(0, 10)}</div> : null}
                    {a.acknowledgedAt ? (
                      <div className="hint ack-by">
                        Acknowledged by {a.acknowledgedByName ?? a.acknowledgedByEmail ?? "someone"} <LocalTime at={a.acknowledgedAt} /> (
                        {relativeTime(a.acknowledgedAt, now)})
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <FailureText code={a.failureCode} />
                  </td>
                  <td title={absoluteTime(a.firstSeenAt)}>{relativeTime(a.firstSeenAt, now)}</td>
                  <td>
                    {a.count}× · last {relativeTime(a.lastSeenAt, now)}
                  </td>
                  <td>
                    {status === "resolved" ? (
                      <span title={absoluteTime(a.resolvedAt)}>{relativeTime(a.resolvedAt, now)}</span>
                    ) : canAct ? (
                      <AlertActions alert={a} now={now} />
                    ) : (
                      <span className="hint">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={pages} params={params} total={total} pageSize={PAGE_SIZE} />
    </main>
  );
}
