import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { listMessages, listWebhookEndpoints } from "../../../db/queries/alerts.ts";
import { createWebhookEndpoint, setWebhookEndpointEnabled, WebhookEndpointInputSchema } from "../../../domain/alerts/manage.ts";
import { resendReconnectLink } from "../../../domain/clinics/clinic-workflows.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { publicUrl, webhookTargetPolicy } from "../../../config/runtime.ts";
import { runAction } from "../../actions.server.ts";
import { badRequest, fieldErrorsOf } from "../../forms.server.ts";
import { notFound } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { redirectWithFlash, requireUser } from "../../session.server.ts";
import { MessagesCard } from "./messages-card.tsx";
import { WebhookReceiversCard } from "./webhook-receivers-card.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

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

const ResendSchema = z.object({ intent: z.literal("resend-link"), notificationId: z.uuid() });

// why: a webhook receiver gets every clinic's escalation packet; only admins may add one. Resending a
// link is an agent's everyday action (as on the clinic page).
export async function action(args: ActionFunctionArgs) {
  if ((await args.request.clone().formData()).get("intent") === "resend-link") {
    return runAction(args, { role: "agent", schema: ResendSchema }, async ({ input, actor, services, request }) => {
      const sent = await resendReconnectLink(
        { notificationId: input.notificationId, actor, publicUrl: publicUrl(services.env), ttlHours: services.env.RECONNECT_LINK_TTL_HOURS },
        { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
      );
      return redirectWithFlash(request, services, "/deliveries", `A new link is queued to ${sent.emailQueuedTo}; the old one no longer works.`);
    });
  }
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

      <WebhookReceiversCard endpoints={endpoints} created={created} errors={errors} isAdmin={isAdmin} busy={busy} now={now} />

      <MessagesCard outbox={outbox} page={page} pages={pages} params={params} now={now} canResend={root?.user ? hasRole(root.user.role, "agent") : false} />
    </main>
  );
}
