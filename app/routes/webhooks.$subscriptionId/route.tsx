import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData } from "@remix-run/react";
import { z } from "zod";
import { getSubscription } from "../../../db/queries/webhooks.ts";
import { webhookTargetPolicy } from "../../../config/runtime.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { EVENT_TYPES } from "../../../domain/events/catalog.ts";
import {
  deleteSubscription,
  EventTypesSchema,
  redeliver,
  rotateSubscriptionSecret,
  setSubscriptionEnabled,
  SubscriptionInputSchema,
  SubscriptionUrlSchema,
  updateSubscription,
} from "../../../domain/webhooks/subscriptions.ts";
import { loadSubscriptionPage } from "../../../domain/webhooks/subscription-page.ts";
import { runAction } from "../../actions.server.ts";
import { checkboxList, trimmed } from "../../forms.server.ts";
import { ConfirmStep, type ConfirmRequest } from "../../components/confirm-step.tsx";
import { CopyButton } from "../../components/copy-button.tsx";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import { FormError } from "../../components/forms.tsx";
import { SubscriptionFields } from "../../components/subscription-fields.tsx";
import { notFound, paramsOr404 } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { redirectWithFlash, requireUser } from "../../session.server.ts";

import { DeliveryLog } from "./delivery-log.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

// why: the subscribe / rotate answer holds the signing secret, shown once
export { actionCacheControl as headers } from "../../http.server.ts";

export const meta: MetaFunction = () => [{ title: "Webhook subscription · Relink" }];

const Params = z.object({ subscriptionId: z.uuid() });
const NOT_FOUND = "No webhook subscription has that id (it may have been deleted).";
const QuerySchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1) });

/** One subscription and its delivery log: every delivery with its attempts and the receiver's answers. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context;
  await requireUser(request, services);
  const { subscriptionId } = paramsOr404(Params, params, NOT_FOUND);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const view = (await loadSubscriptionPage({ id: subscriptionId, page: q.page }, services.db)) ?? notFound(NOT_FOUND);
  return { ...view, now: Date.now() };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("redeliver"), deliveryId: z.uuid() }),
  z.object({ intent: z.literal("rotate"), confirmed: z.literal("1").optional() }),
  z.object({ intent: z.literal("disable") }),
  z.object({ intent: z.literal("enable") }),
  z.object({ intent: z.literal("delete"), confirmed: z.literal("1").optional() }),
  z.object({
    intent: z.literal("update"),
    url: trimmed(SubscriptionUrlSchema),
    description: SubscriptionInputSchema.shape.description.default(""),
    eventTypes: checkboxList(EventTypesSchema),
  }),
]);

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    {
      role: "admin",
      schema: ActionSchema,
      params: Params,
      notFoundMessage: NOT_FOUND,
      echo: (f) => ({ values: { url: String(f.url ?? ""), description: String(f.description ?? "") } }),
    },
    async ({ input, params, actor, services, request }) => {
      const id = params.subscriptionId;
      const here = `/webhooks/${id}`;
      const deps = { keyring: services.keyring, targets: webhookTargetPolicy(services.env), deliveries: services.queues.webhookDeliver };
      const sub = (await getSubscription({ id }, services.db)) ?? notFound(NOT_FOUND);
      // why confirmed: rotating breaks the receiver until it has the new secret; deleting drops the log
      if ((input.intent === "rotate" || input.intent === "delete") && !input.confirmed) {
        const confirm: ConfirmRequest =
          input.intent === "rotate"
            ? {
                question: `Rotate the signing secret of ${sub.url}?`,
                details: ["The old secret stops verifying at once: deliveries fail until the receiver has the new one, which is shown once."],
                count: 1,
                confirmLabel: "Rotate the secret",
                fields: [["intent", "rotate"]],
                action: here,
              }
            : {
                question: `Delete the subscription to ${sub.url}?`,
                details: ["Nothing more is sent to it, and its delivery log is deleted with it. To pause it instead, disable it."],
                count: 1,
                confirmLabel: "Delete the subscription",
                fields: [["intent", "delete"]],
                action: here,
              };
        return data({ ok: true as const, confirm, secret: null });
      }
      switch (input.intent) {
        case "redeliver":
          await redeliver({ subscriptionId: id, deliveryId: input.deliveryId, actor }, deps, services.db);
          return redirectWithFlash(
            request,
            services,
            here,
            sub.enabled ? "Redelivery queued." : "Redelivery queued; it goes out when the subscription is enabled again.",
          );
        case "rotate": {
          const { secret } = await rotateSubscriptionSecret({ id, actor, keyring: services.keyring }, services.db);
          // why: the new secret is in this one response only; no cache may keep it
          return data({ ok: true as const, confirm: null, secret }, { headers: { "Cache-Control": "no-store" } });
        }
        case "disable":
        case "enable": {
          const enabled = input.intent === "enable";
          await setSubscriptionEnabled({ id, enabled, actor }, deps, services.db);
          return redirectWithFlash(
            request,
            services,
            here,
            enabled ? "Enabled: waiting deliveries resume now, and events recorded meanwhile follow." : "Disabled: events wait until it is enabled again.",
          );
        }
        case "update":
          await updateSubscription({ id, patch: { url: input.url, description: input.description, eventTypes: input.eventTypes }, actor }, deps, services.db);
          return redirectWithFlash(request, services, here, "Saved: the next deliveries go to this address, with these events.");
        case "delete":
          await deleteSubscription({ id, actor }, services.db);
          return redirectWithFlash(request, services, "/webhooks", `The subscription to ${sub.url} is deleted.`);
      }
    },
  );
}

export default function WebhookSubscription() {
  const { subscription: s, deliveries, page, pages, total, pageSize, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const isAdmin = root?.user ? hasRole(root.user.role, "admin") : false;
  const busy = useNavigation().state === "submitting";
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  const values = result && !result.ok && "values" in result ? (result.values as { url?: string; description?: string } | undefined) : undefined;
  const confirm = result && result.ok ? result.confirm : null;
  const secret = result && result.ok ? result.secret : null;
  return (
    <main id="main">
      <p className="hint">
        <Link to="/webhooks">← Webhooks</Link>
      </p>
      <div className="page-head">
        <div>
          <h1 className="mono" style={{ wordBreak: "break-all", fontSize: "1.35rem" }}>
            {s.url}
          </h1>
          <p className="sub">
            {s.enabled ? <span className="badge tone-ok">Enabled</span> : <span className="badge tone-bad">Disabled</span>}{" "}
            {s.description ? `${s.description} · ` : null}
            {s.eventTypes.length === EVENT_TYPES.length ? "All events" : <span className="mono">{s.eventTypes.join(", ")}</span>}
            {" · "}added <span title={absoluteTime(s.createdAt)}>{relativeTime(s.createdAt, now)}</span>
          </p>
          {s.disabledReason ? <p className="hint">{s.disabledReason}</p> : null}
          {s.failureStreak > 0 ? (
            <p className="hint">
              {s.failureStreak} failed attempt{s.failureStreak === 1 ? "" : "s"} in a row
              {s.failingSince ? `, failing since ${absoluteTime(s.failingSince)}` : ""}. After 72 hours of failure it is disabled automatically.
            </p>
          ) : null}
        </div>
      </div>

      {secret ? (
        <section className="card" role="status" style={{ background: "var(--ok-bg)", marginBottom: "1rem" }} aria-labelledby="secret-h">
          <h2 id="secret-h">New signing secret</h2>
          <p style={{ margin: "0.4rem 0" }}>Shown only now: give it to the receiver. The old secret no longer verifies.</p>
          <p className="mono" style={{ wordBreak: "break-all" }}>
            {secret} <CopyButton text={secret} label="Copy secret" />
          </p>
        </section>
      ) : null}
      {confirm ? <ConfirmStep confirm={confirm} /> : null}
      <FormError errors={errors} />

      {isAdmin ? (
        <section className="card" aria-label="Manage" style={{ marginBottom: "1rem" }}>
          <Form method="post" className="row-actions">
            {s.enabled ? (
              <button className="btn secondary" type="submit" name="intent" value="disable" disabled={busy}>
                Disable
              </button>
            ) : (
              <button className="btn" type="submit" name="intent" value="enable" disabled={busy}>
                Enable and resume
              </button>
            )}
            <button className="btn secondary" type="submit" name="intent" value="rotate" disabled={busy}>
              Rotate secret
            </button>
            <button className="btn danger" type="submit" name="intent" value="delete" disabled={busy}>
              Delete
            </button>
          </Form>
        </section>
      ) : null}

      {isAdmin ? (
        <details className="card" style={{ marginBottom: "1rem" }} open={Boolean(errors)}>
          <summary>
            <h2 style={{ display: "inline" }}>Edit address and events</h2>
          </summary>
          <Form method="post" style={{ marginTop: "0.75rem" }}>
            <SubscriptionFields errors={errors} url={values?.url ?? s.url} description={values?.description ?? s.description ?? ""} eventTypes={s.eventTypes} />
            <button className="btn" type="submit" name="intent" value="update" disabled={busy}>
              {busy ? "Saving…" : "Save changes"}
            </button>
          </Form>
        </details>
      ) : null}

      <DeliveryLog
        deliveries={deliveries}
        enabled={s.enabled}
        isAdmin={isAdmin}
        busy={busy}
        now={now}
        page={page}
        pages={pages}
        total={total}
        pageSize={pageSize}
      />
    </main>
  );
}
