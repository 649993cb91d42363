import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { listMessages, listWebhookEndpoints } from "../../db/queries/alerts.ts";
import { createWebhookEndpoint, setWebhookEndpointEnabled, WebhookEndpointInputSchema } from "../../domain/alerts/manage.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import { webhookTargetPolicy } from "../../config/runtime.ts";
import { CopyButton } from "../components/copy-button.tsx";
import { Field, FormError, Pager } from "../components/forms.tsx";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { runAction } from "../actions.server.ts";
import { badRequest, fieldErrorsOf } from "../forms.server.ts";
import { notFound } from "../http.server.ts";
import type { loader as rootLoader } from "../root.tsx";
import { redirectWithFlash, requireUser } from "../session.server.ts";
import { messageStatusLabel } from "../../domain/vocabulary.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Deliveries · Relink" }];

const PAGE_SIZE = 25;
const QuerySchema = z.object({
  unsent: z.enum(["1"]).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

/** Every message Relink sends (alert emails and webhooks, reconnect-link emails) with its delivery status, and the webhook receivers. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context;
  const user = await requireUser(request, services);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  // why: message bodies are for admins only; other roles never receive them (stored links are redacted anyway)
  const includeBodies = hasRole(user.role, "admin");
  const [outbox, endpoints] = await Promise.all([
    listMessages({ unsettledOnly: q.unsent === "1", includeBodies, page: q.page, pageSize: PAGE_SIZE }, services.db),
    listWebhookEndpoints(services.db),
  ]);
  return {
    outbox,
    endpoints,
    smtpConfigured: Boolean(services.env.SMTP_URL),
    page: q.page,
    pages: Math.ceil(outbox.total / PAGE_SIZE),
    now: Date.now(),
  };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("add-webhook"), url: z.string().trim(), description: z.string().trim().max(200).optional() }),
  z.object({ intent: z.literal("enable-webhook"), endpointId: z.uuid() }),
  z.object({ intent: z.literal("disable-webhook"), endpointId: z.uuid() }),
]);

// why: a webhook receiver gets every clinic's escalation packet; only admins may add one
export async function action(args: ActionFunctionArgs) {
  return runAction(args, { role: "admin", schema: ActionSchema }, async ({ input, actor, services, request }) => {
    if (input.intent === "add-webhook") {
      const valid = WebhookEndpointInputSchema.safeParse({ url: input.url, description: input.description });
      if (!valid.success) return badRequest(fieldErrorsOf(valid.error));
      const created = await createWebhookEndpoint(
        { input: valid.data, actor, keyring: services.keyring, targets: webhookTargetPolicy(services.env) },
        services.db,
      );
      // why: the signing secret is shown exactly once, in this response; it is never listed again
      return data({ ok: true as const, created: { url: created.url, secret: created.secret }, fieldErrors: {} });
    }
    const changed = await setWebhookEndpointEnabled({ endpointId: input.endpointId, active: input.intent === "enable-webhook", actor }, services.db);
    if (!changed) notFound("No webhook receiver has that id.");
    return redirectWithFlash(request, services, "/deliveries", input.intent === "enable-webhook" ? "Webhook receiver enabled." : "Webhook receiver disabled.");
  });
}

export default function Deliveries() {
  const { outbox, endpoints, smtpConfigured, page, pages, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const isAdmin = root?.user ? hasRole(root.user.role, "admin") : false;
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  const created = result && result.ok ? result.created : null;
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Deliveries</h1>
          <p className="sub">
            Every email and webhook Relink sends, with its status: queued until the worker really sends it, then sent — or failed (retrying) and dead (gave up).{" "}
            {smtpConfigured ? "Email is sent over SMTP." : "SMTP is not configured, so emails are not sent: they wait in the outbox."}
          </p>
        </div>
      </div>

      <section className="card" aria-labelledby="wh-h" style={{ marginBottom: "1rem" }}>
        <h2 id="wh-h">Webhook receivers</h2>
        <p className="hint">
          Each alert is POSTed as JSON, signed with HMAC-SHA256 over <span className="mono">timestamp.body</span>: headers{" "}
          <span className="mono">X-Relink-Timestamp</span> and <span className="mono">X-Relink-Signature: v1=&lt;hex&gt;</span>. Failed deliveries are retried
          with backoff for about two hours, then marked failed.
        </p>
        {created ? (
          <div className="card" role="status" style={{ background: "var(--ok-bg)", margin: "0.75rem 0" }}>
            <strong>Receiver added: {created.url}</strong>
            <p style={{ margin: "0.4rem 0" }}>Its signing secret is shown only now. Store it with the receiver:</p>
            <p className="mono" style={{ wordBreak: "break-all" }}>
              {created.secret} <CopyButton text={created.secret} label="Copy secret" />
            </p>
          </div>
        ) : null}
        {endpoints.length === 0 ? (
          <p className="hint">No receivers yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Description</th>
                  <th scope="col">Status</th>
                  <th scope="col">Added</th>
                  {isAdmin ? <th scope="col">Action</th> : null}
                </tr>
              </thead>
              <tbody>
                {endpoints.map((e) => (
                  <tr key={e.id}>
                    <td className="mono">{e.url}</td>
                    <td>{e.description ?? "—"}</td>
                    <td>{e.active ? <span className="badge tone-ok">Active</span> : <span className="badge tone-idle">Disabled</span>}</td>
                    <td title={absoluteTime(e.createdAt)}>{relativeTime(e.createdAt, now)}</td>
                    {isAdmin ? (
                      <td>
                        <Form method="post">
                          <input type="hidden" name="endpointId" value={e.id} />
                          <button className="btn secondary" type="submit" name="intent" value={e.active ? "disable-webhook" : "enable-webhook"}>
                            {e.active ? "Disable" : "Enable"}
                          </button>
                        </Form>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {isAdmin ? (
          <Form method="post" className="filters" style={{ marginTop: "1rem" }}>
            <FormError errors={errors} />
            <Field name="url" label="Receiver URL" errors={errors}>
              {(p) => <input {...p} type="url" placeholder="https://hooks.example.com/relink" required />}
            </Field>
            <Field name="description" label="Description (optional)" errors={errors}>
              {(p) => <input {...p} type="text" placeholder="Ops channel" />}
            </Field>
            <button className="btn" type="submit" name="intent" value="add-webhook" disabled={busy}>
              {busy ? "Adding…" : "Add receiver"}
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="ob-h">
        <div className="page-head" style={{ marginBottom: "0.5rem" }}>
          <h2 id="ob-h">Messages</h2>
          <Form method="get" className="filters" style={{ margin: 0 }}>
            <label style={{ display: "flex", gap: "0.4rem", alignItems: "center", fontWeight: 400 }}>
              <input type="checkbox" name="unsent" value="1" defaultChecked={params.get("unsent") === "1"} style={{ width: "auto" }} /> Only not sent
            </label>
            <button className="btn secondary" type="submit">
              Show
            </button>
          </Form>
        </div>
        {outbox.rows.length === 0 ? (
          <p className="hint">No messages yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">To</th>
                  <th scope="col">Clinic and subject</th>
                  <th scope="col">Queued</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {outbox.rows.map((m) => {
                  const status = messageStatusLabel(m.status, m.status === "queued" && m.lastError !== null);
                  return (
                    <tr key={m.id}>
                      <td>
                        {m.target}
                        <div className="hint">
                          {m.channel === "webhook" ? "webhook" : m.event === "reconnect_link" ? "reconnect link email" : `alert email (${m.event})`}
                        </div>
                      </td>
                      <td>
                        <div>{m.clinicName}</div>
                        {m.text !== null ? (
                          <details>
                            <summary>{m.subject ?? "(webhook body)"}</summary>
                            <pre className="mono" style={{ whiteSpace: "pre-wrap", margin: "0.5rem 0 0" }}>
                              {m.text}
                            </pre>
                          </details>
                        ) : (
                          <div className="hint">{m.subject ?? ""}</div>
                        )}
                        {m.lastError ? <div className="field-error">Last error: {m.lastError}</div> : null}
                      </td>
                      <td title={absoluteTime(m.createdAt)}>{relativeTime(m.createdAt, now)}</td>
                      <td>
                        <span className={`badge tone-${status.tone}`}>{status.label}</span>
                        {m.settledAt ? (
                          <div className="hint" title={absoluteTime(m.settledAt)}>
                            {relativeTime(m.settledAt, now)} · {m.attempts} attempt{m.attempts === 1 ? "" : "s"}
                          </div>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p className="hint">{formatCount(outbox.total)} messages.</p>
        <Pager page={page} pages={pages} params={params} label="Outbox pages" />
      </section>
    </main>
  );
}
