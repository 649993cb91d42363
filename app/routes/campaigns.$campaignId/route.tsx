import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useRevalidator, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { useEffect, useState } from "react";
import { z } from "zod";
import { publicUrl } from "../../../config/runtime.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { cancelCampaignConfirmed, sendCampaignLinksConfirmed } from "../../../domain/campaigns/campaign-actions.ts";
import { CAMPAIGN_NOT_FOUND, describeAddResult, loadCampaignPage, requireCampaign } from "../../../domain/campaigns/campaign-page.ts";
import { addClinicsByFilter } from "../../../domain/campaigns/campaigns.ts";
import { addClinicsFromCsv } from "../../../domain/campaigns/csv.ts";
import type { SendLinksResult } from "../../../domain/campaigns/send-links.ts";
import { removeClinicFromCampaign } from "../../../domain/campaigns/withdraw.ts";
import { ConfirmStep, type ConfirmRequest } from "../../components/confirm-step.tsx";
import { BurnDown } from "./burn-down.tsx";
import { CancelCampaign } from "./cancel-campaign.tsx";
import type { LineError } from "../../../domain/clinics/csv.ts";
import { runAction } from "../../actions.server.ts";
import { formatCount } from "../../components/format.ts";
import { FormError } from "../../components/forms.tsx";
import { badRequest } from "../../forms.server.ts";
import { notFound, paramsOr404 } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { redirectWithFlash, requireUser } from "../../session.server.ts";
import { readUploadedText } from "../../upload.server.ts";
import { AddClinicsCard } from "./add-clinics-card.tsx";
import { CampaignClinicsTable } from "./clinics-table.tsx";
import { SendLinks } from "./send-links.tsx";
import { STATUS_WORDS } from "./status-words.ts";
import { CAMPAIGN_STATUSES, type CampaignStatus, STATE_LABELS, VENDOR_LABELS } from "../../../domain/vocabulary.ts";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.campaign.name ?? "Campaign"} · Relink` }];

const REFRESH_SECONDS = 10;
const ParamsSchema = z.object({ campaignId: z.uuid() });
const QuerySchema = z.object({
  status: z.enum(CAMPAIGN_STATUSES).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const { campaignId } = paramsOr404(ParamsSchema, params, CAMPAIGN_NOT_FOUND);
  const query = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  return (await loadCampaignPage({ campaignId, status: query.status, page: query.page }, context.services.db)) ?? notFound(CAMPAIGN_NOT_FOUND);
}

import { ActionSchema } from "./action-schema.ts";

export type CampaignActionData =
  | { ok: false; fieldErrors: Record<string, string[] | undefined>; csvErrors?: LineError[]; csvText?: string }
  | { ok: true; send: SendLinksResult; confirm?: undefined }
  | { ok: true; confirm: ConfirmRequest; send?: undefined };

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "agent", params: ParamsSchema, notFoundMessage: CAMPAIGN_NOT_FOUND, schema: ActionSchema, upload: "csv" },
    async ({ input, params, actor, services, request, formData }) => {
      const campaign = await requireCampaign(params.campaignId, services.db);
      const here = `/campaigns/${campaign.id}`;
      if (input.intent === "add-filter") {
        const r = await addClinicsByFilter(
          { campaignId: campaign.id, filters: { state: input.state, failureCode: input.failure, region: input.region, q: input.q }, actor },
          services.db,
        );
        return redirectWithFlash(request, services, here, r.matched ? describeAddResult(r) : "No clinic matches that filter.", r.added ? "ok" : "info");
      }
      if (input.intent === "add-csv") {
        const upload = await readUploadedText(request, "csv", formData);
        if (!upload.ok) return badRequest({ csv: [upload.message] });
        const r = await addClinicsFromCsv({ campaignId: campaign.id, text: upload.text, actor }, services.db);
        // why: the list holds only ids and names (no secrets), so it comes back to be fixed in place
        if (!r.ok) return data({ ok: false, fieldErrors: {}, csvErrors: r.errors, csvText: upload.text } satisfies CampaignActionData, { status: 400 });
        return redirectWithFlash(request, services, here, describeAddResult(r));
      }
      if (input.intent === "remove-clinic") {
        const r = await removeClinicFromCampaign({ campaignId: campaign.id, clinicId: input.clinicId, actor }, services.db);
        return redirectWithFlash(
          request,
          services,
          here,
          `Removed ${r.name} from the campaign${r.movedToHealthy ? "; its planned disconnect is off (back to healthy)" : ""}.`,
        );
      }
      if (input.intent === "cancel") {
        const r = await cancelCampaignConfirmed({ campaign, reason: input.reason, confirmed: input.confirmed, actor, action: here }, services.db);
        if ("confirm" in r) return data({ ok: true, confirm: r.confirm } satisfies CampaignActionData);
        return redirectWithFlash(
          request,
          services,
          here,
          `Campaign cancelled: ${r.cancelled.members} clinics released, ${r.cancelled.movedToHealthy} back to healthy.`,
        );
      }
      const r = await sendCampaignLinksConfirmed(
        {
          campaign,
          actor,
          publicUrl: publicUrl(services.env),
          ttlHours: services.env.RECONNECT_LINK_TTL_HOURS,
          retryFailed: input.retryFailed === "1",
          // with JavaScript the page sends batch by batch and shows progress between them
          batch: input.batch === "1",
          confirmed: input.confirmed,
          action: here,
        },
        { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
      );
      if ("confirm" in r) return data({ ok: true, confirm: r.confirm } satisfies CampaignActionData);
      if ("batch" in r) return data({ ok: true, send: r.batch } satisfies CampaignActionData);
      const { sent, failed } = r.all;
      return redirectWithFlash(
        request,
        services,
        here,
        `Queued ${sent} reconnect link${sent === 1 ? "" : "s"} by email (Deliveries shows when each is sent).${failed ? ` ${failed} could not be sent (see the table).` : ""}`,
        failed ? "info" : "ok",
      );
    },
  );
}

export type CampaignPageData = ReturnType<typeof useLoaderData<typeof loader>>;

/** Re-reads the page every few seconds while it is visible, so progress is live without a socket. */
function useLiveRefresh(paused: boolean) {
  const revalidator = useRevalidator();
  useEffect(() => {
    const id = window.setInterval(() => {
      if (!paused && document.visibilityState === "visible" && revalidator.state === "idle") revalidator.revalidate();
    }, REFRESH_SECONDS * 1000);
    return () => window.clearInterval(id);
  }, [paused, revalidator]);
}

export default function CampaignPage() {
  const { campaign, counts, list, unsent, status, page, pages, today, now, burnDown } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = !!root?.user && hasRole(root.user.role, "agent");
  const result = useActionData<typeof action>() as CampaignActionData | undefined;
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const busy = navigation.state !== "idle";
  useLiveRefresh(busy);
  const errors = result && !result.ok ? result.fieldErrors : undefined;
  // why: without JavaScript the confirm step is a section of the page; with it, a modal dialog
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [dismissed, setDismissed] = useState<unknown>(null);
  const confirm = result?.ok && result.confirm && dismissed !== result ? result.confirm : null;
  const cancelled = campaign.cancelledAt !== null;
  const live = canAct && !cancelled;
  const past = campaign.deadline < today;
  const vendorLabel = VENDOR_LABELS[campaign.vendor];
  const statusHref = (s: CampaignStatus | null) => {
    const next = new URLSearchParams(params);
    if (s) next.set("status", s);
    else next.delete("status");
    next.delete("page");
    return `?${next.toString()}`;
  };
  const reconnectedPct = counts.total ? Math.round((100 * counts.reconnected) / counts.total) : 0;
  return (
    <main id="main">
      {/* why: without JavaScript the page still refreshes itself; with it, useLiveRefresh does it quietly */}
      <noscript>
        <meta httpEquiv="refresh" content="30" />
      </noscript>
      <p>
        <Link to="/campaigns">← All campaigns</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>{campaign.name}</h1>
          <p className="sub">
            {vendorLabel} · deadline <strong>{campaign.deadline}</strong> {past ? "(passed)" : ""} · {campaign.reason}
          </p>
        </div>
        <span className="hint">Updates every {REFRESH_SECONDS} s</span>
      </div>
      {cancelled ? (
        <div className="card tone-warn cancelled-banner" role="status">
          <strong>Cancelled</strong> {String(campaign.cancelledAt).slice(0, 10)}
          {campaign.cancelReason ? `: ${campaign.cancelReason}` : ""}. No more links are sent and no clinic can be added; the clinics below are listed for the
          record.
        </div>
      ) : null}
      {confirm ? (
        <ConfirmStep confirm={confirm} modal={hydrated} onClose={() => setDismissed(result)} cancelHref={`/campaigns/${campaign.id}`} busy={busy} />
      ) : null}
      <FormError errors={errors} />
      <section className="stats" aria-label="Progress">
        {(["reconnected", "waiting", "failing", "past_deadline"] as const).map((s) => (
          <Link key={s} to={statusHref(s)} className="card stat" aria-current={status === s ? "page" : undefined}>
            <span className="stat-label">{STATUS_WORDS[s].label}</span>
            <span className={`stat-value status-${STATUS_WORDS[s].tone}`}>{formatCount(counts[s])}</span>
            <span className="hint">{STATUS_WORDS[s].hint}</span>
          </Link>
        ))}
      </section>
      <div className="card" style={{ marginBottom: "1rem" }}>
        <div className="progress" role="img" aria-label={`${reconnectedPct}% reconnected`}>
          <span style={{ width: `${reconnectedPct}%` }} />
        </div>
        <span className="hint">
          {formatCount(counts.reconnected)} of {formatCount(counts.total)} reconnected ({reconnectedPct}%) · {formatCount(counts.linksSent)} links sent
        </span>
      </div>
      <section className="card" aria-labelledby="burn-h" style={{ marginBottom: "1rem" }}>
        <h2 id="burn-h">Clinics remaining</h2>
        <BurnDown points={burnDown} deadline={campaign.deadline} today={today} />
      </section>
      {live ? (
        <div className="grid halves" style={{ marginBottom: "1rem" }}>
          <section className="card" aria-labelledby="send-h">
            <h2 id="send-h">Reconnect links</h2>
            <p className="hint">
              Emails each clinic admin a link of their own (valid at least until the deadline). Clinics already reconnected, or sent a link before, are left
              alone. Added clinics move to {STATE_LABELS.pending_disconnect.toLowerCase()}; a sent link moves them to{" "}
              {STATE_LABELS.reconnect_pending.toLowerCase()}.
            </p>
            <SendLinks unsent={unsent.unsent} failedTotal={unsent.failed} total={counts.total} disabled={busy} />
          </section>
          <AddClinicsCard campaign={campaign} total={counts.total} result={result} errors={errors} />
        </div>
      ) : null}
      <CampaignClinicsTable
        counts={counts}
        list={list}
        status={status}
        page={page}
        pages={pages}
        params={params}
        statusHref={statusHref}
        now={now}
        canRemove={live}
        busy={busy}
      />
      {live ? (
        <section className="card danger-zone" aria-labelledby="cancel-h">
          <h2 id="cancel-h">Cancel the campaign</h2>
          <CancelCampaign total={counts.total} disabled={busy} />
        </section>
      ) : null}
    </main>
  );
}
