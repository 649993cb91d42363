import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData } from "@remix-run/react";
import { z } from "zod";
import { listSubscriptions } from "../../db/queries/webhooks.ts";
import { webhookTargetPolicy } from "../../config/runtime.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import { EVENT_TYPES } from "../../domain/events/catalog.ts";
import { WEBHOOK_DELIVERY_STATUS_LABELS } from "../../domain/vocabulary.ts";
import { createSubscription, EventTypesSchema, SubscriptionInputSchema, SubscriptionUrlSchema } from "../../domain/webhooks/subscriptions.ts";
import { runAction } from "../actions.server.ts";
import { checkboxList, trimmed } from "../forms.server.ts";
import { CopyButton } from "../components/copy-button.tsx";
import { absoluteTime, relativeTime } from "../components/format.ts";
import { FormError } from "../components/forms.tsx";
import { SubscriptionFields } from "../components/subscription-fields.tsx";
import type { loader as rootLoader } from "../root.tsx";
import { requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

// why: the subscribe / rotate answer holds the signing secret, shown once
export { actionCacheControl as headers } from "../http.server.ts";

export const meta: MetaFunction = () => [{ title: "Webhooks · Relink" }];

/** Webhook subscriptions (docs/webhooks.md): every role reads the list (never a secret); admins subscribe receivers. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context;
  await requireUser(request, services);
  const policy = webhookTargetPolicy(services.env);
  return { subscriptions: await listSubscriptions(services.db), httpsOnly: policy.requireHttps, now: Date.now() };
}

const CreateSchema = SubscriptionInputSchema.extend({
  intent: z.literal("create"),
  url: trimmed(SubscriptionUrlSchema),
  eventTypes: checkboxList(EventTypesSchema),
});

// why admins only: a subscription receives every clinic's events (docs/decisions/0048)
export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "admin", schema: CreateSchema, echo: (f) => ({ values: { url: String(f.url ?? ""), description: String(f.description ?? "") } }) },
    async ({ input, actor, services }) => {
      const created = await createSubscription(
        {
          input: { url: input.url, description: input.description, eventTypes: input.eventTypes },
          actor,
          keyring: services.keyring,
          targets: webhookTargetPolicy(services.env),
        },
        services.db,
      );
      // why: the signing secret is in this one response only; no cache may keep it
      return data({ ok: true as const, created: { id: created.id, url: input.url, secret: created.secret } }, { headers: { "Cache-Control": "no-store" } });
    },
  );
}

export default function Webhooks() {
  const { subscriptions, httpsOnly, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const isAdmin = root?.user ? hasRole(root.user.role, "admin") : false;
  const busy = useNavigation().state === "submitting";
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  const values = result && !result.ok && "values" in result ? (result.values as { url: string; description: string }) : null;
  const created = result && result.ok ? result.created : null;
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Webhooks</h1>
          <p className="sub">
            Each subscription receives the events it chose, POSTed as JSON and signed per{" "}
            <a href="https://www.standardwebhooks.com" rel="noreferrer">
              Standard Webhooks
            </a>{" "}
            (<span className="mono">webhook-id</span>, <span className="mono">webhook-timestamp</span>, <span className="mono">webhook-signature</span>). A
            failed delivery is retried for three days; a receiver failing for three days is disabled and every admin is emailed.
          </p>
        </div>
      </div>

      {created ? (
        <section className="card" role="status" style={{ background: "var(--ok-bg)", marginBottom: "1rem" }} aria-labelledby="created-h">
          <h2 id="created-h">Subscribed {created.url}</h2>
          <p style={{ margin: "0.4rem 0" }}>This is its signing secret. It is shown only now: store it with the receiver.</p>
          <p className="mono" style={{ wordBreak: "break-all" }}>
            {created.secret} <CopyButton text={created.secret} label="Copy secret" />
          </p>
          <p className="hint">
            <Link to={`/webhooks/${created.id}`}>Open the subscription</Link> to follow its deliveries.
          </p>
        </section>
      ) : null}

      <section className="card" aria-labelledby="subs-h" style={{ marginBottom: "1rem" }}>
        <h2 id="subs-h">Subscriptions</h2>
        {subscriptions.length === 0 ? (
          <p className="hint">No subscriptions yet. {isAdmin ? "Add a receiver below." : "An admin can add one."}</p>
        ) : (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last delivery</th>
                  <th scope="col">Failures in a row</th>
                </tr>
              </thead>
              <tbody>
                {subscriptions.map((s) => {
                  const last = s.lastDelivery ? WEBHOOK_DELIVERY_STATUS_LABELS[s.lastDelivery.status] : null;
                  return (
                    <tr key={s.id}>
                      <td>
                        <Link to={`/webhooks/${s.id}`} className="mono" style={{ overflowWrap: "anywhere" }}>
                          {s.url}
                        </Link>
                        {s.description ? <div className="hint">{s.description}</div> : null}
                      </td>
                      <td>{s.eventTypes.length === EVENT_TYPES.length ? "All events" : <span className="mono">{s.eventTypes.join(", ")}</span>}</td>
                      <td>
                        {s.enabled ? <span className="badge tone-ok">Enabled</span> : <span className="badge tone-bad">Disabled</span>}
                        {s.disabledReason ? <div className="hint">{s.disabledReason}</div> : null}
                      </td>
                      <td>
                        {last && s.lastDelivery ? (
                          <>
                            <span className={`badge tone-${last.tone}`}>{last.label}</span>
                            {s.lastDelivery.httpStatus !== null ? <span className="mono"> {s.lastDelivery.httpStatus}</span> : null}
                            {s.lastDelivery.at ? (
                              <div className="hint" title={absoluteTime(s.lastDelivery.at)}>
                                {relativeTime(s.lastDelivery.at, now)}
                              </div>
                            ) : null}
                          </>
                        ) : (
                          <span className="hint">None yet</span>
                        )}
                      </td>
                      <td>
                        {s.failureStreak > 0 ? (
                          <span className="badge tone-warn" title={s.failingSince ? `failing since ${absoluteTime(s.failingSince)}` : undefined}>
                            {s.failureStreak}
                          </span>
                        ) : (
                          "0"
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {isAdmin ? (
        <section className="card" aria-labelledby="add-h">
          <h2 id="add-h">Add a receiver</h2>
          <Form method="post">
            <FormError errors={errors} />
            <SubscriptionFields
              errors={errors}
              url={values?.url ?? ""}
              description={values?.description ?? ""}
              urlHint={httpsOnly ? "Must be https://, at a public address." : "https:// (http:// is allowed here only for tests and demos)."}
            />
            <button className="btn" type="submit" name="intent" value="create" disabled={busy}>
              {busy ? "Adding…" : "Add receiver"}
            </button>
          </Form>
        </section>
      ) : null}
    </main>
  );
}
