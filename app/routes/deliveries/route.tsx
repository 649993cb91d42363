import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { listMessages } from "../../../db/queries/alerts.ts";
import { resendReconnectLink } from "../../../domain/clinics/clinic-workflows.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { publicUrl } from "../../../config/runtime.ts";
import { runAction } from "../../actions.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { redirectWithFlash, requireUser } from "../../session.server.ts";
import { MessagesCard } from "./messages-card.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Deliveries · Relink" }];

const PAGE_SIZE = 25;
const QuerySchema = z.object({
  unsent: z.enum(["1"]).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

/** Every email Relink sends (alerts, reconnect links, briefings) with its delivery status; webhooks have their own page (/webhooks). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context;
  const user = await requireUser(request, services);
  const q = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  // why: message bodies are for admins only; other roles never receive them (stored links are redacted anyway)
  const includeBodies = hasRole(user.role, "admin");
  const outbox = await listMessages({ unsettledOnly: q.unsent === "1", includeBodies, page: q.page, pageSize: PAGE_SIZE }, services.db);
  return {
    outbox,
    smtpConfigured: Boolean(services.env.SMTP_URL),
    page: q.page,
    pages: Math.ceil(outbox.total / PAGE_SIZE),
    now: Date.now(),
  };
}

const ResendSchema = z.object({ intent: z.literal("resend-link"), notificationId: z.uuid() });

// why: resending a link is an agent's everyday action (as on the clinic page)
export async function action(args: ActionFunctionArgs) {
  return runAction(args, { role: "agent", schema: ResendSchema }, async ({ input, actor, services, request }) => {
    const sent = await resendReconnectLink(
      { notificationId: input.notificationId, actor, publicUrl: publicUrl(services.env), ttlHours: services.env.RECONNECT_LINK_TTL_HOURS },
      { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
    );
    return redirectWithFlash(request, services, "/deliveries", `A new link is queued to ${sent.emailQueuedTo}; the old one no longer works.`);
  });
}

export default function Deliveries() {
  const { outbox, smtpConfigured, page, pages, now } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const [params] = useSearchParams();
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Deliveries</h1>
          <p className="sub">
            Every email Relink sends, with its status: queued until the worker really sends it, then sent — or failed (retrying) and dead (gave up).{" "}
            {smtpConfigured ? "Email is sent over SMTP." : "SMTP is not configured, so emails are not sent: they wait in the outbox."} Webhooks have their own
            delivery log: <Link to="/webhooks">Webhooks</Link>.
          </p>
        </div>
      </div>

      <MessagesCard outbox={outbox} page={page} pages={pages} params={params} now={now} canResend={root?.user ? hasRole(root.user.role, "agent") : false} />
    </main>
  );
}
