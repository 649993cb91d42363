import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { hasRole } from "../../../domain/auth/roles.ts";
import { CLINIC_NOT_FOUND, loadClinicPage } from "../../../domain/clinics/clinic-page.ts";
import { TAXONOMY } from "../../../domain/health/taxonomy.ts";
import { runAction } from "../../actions.server.ts";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import { AutoRefresh } from "../../components/auto-refresh.tsx";
import { FormError } from "../../components/forms.tsx";
import { IncidentBanner } from "../../components/incident-banner.tsx";
import { StateBadge } from "../../components/state-badge.tsx";
import { notFound, paramsOr404 } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { requireUser } from "../../session.server.ts";
import { ClinicActionSchema, runClinicIntent } from "./actions.server.ts";
import { AccountChangeCard } from "./account-change-card.tsx";
import { ConnectionCard } from "./connection-card.tsx";
import { ProbeStrip } from "./probe-strip.tsx";
import { SupportKeyCard } from "./support-key-card.tsx";
import { LookupCard, ManualNotesCard, ReconnectLinkCard } from "./live-cards.tsx";
import { PacketCard, PlaybookCard } from "./playbook-cards.tsx";
import { ClinicMessagesCard } from "./messages-card.tsx";
import { TimelineCard } from "./timeline-card.tsx";
import { SyncCard } from "./sync-card.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.clinic.name ?? "Clinic"} · Relink` }];

const ParamsSchema = z.object({ clinicId: z.uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const { clinicId } = paramsOr404(ParamsSchema, params, CLINIC_NOT_FOUND);
  const page = z.coerce
    .number()
    .int()
    .min(1)
    .catch(1)
    .parse(new URL(request.url).searchParams.get("page") ?? 1);
  return (await loadClinicPage({ clinicId, page }, context.services.db)) ?? notFound(CLINIC_NOT_FOUND);
}

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "agent", params: ParamsSchema, notFoundMessage: CLINIC_NOT_FOUND, schema: ClinicActionSchema },
    ({ input, params: { clinicId }, actor, services, request }) => runClinicIntent({ input, clinicId, actor, services, request }),
  );
}

export type ClinicActionData = ReturnType<typeof useActionData<typeof action>>;
export type ClinicPageData = ReturnType<typeof useLoaderData<typeof loader>>;
/** What the page's cards share: the connection they act on and the field errors of the last action. */
export type ClinicConnection = NonNullable<ClinicPageData["connection"]>;
export type CardErrors = Record<string, string[] | undefined> | undefined;

export default function ClinicPage() {
  const page = useLoaderData<typeof loader>();
  const { clinic, connection, campaigns, now } = page;
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = root?.user ? hasRole(root.user.role, "agent") : false;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyIntent = navigation.state !== "idle" ? navigation.formData?.get("intent") : null;
  const [params] = useSearchParams();
  const errors = result && "fieldErrors" in result ? result.fieldErrors : undefined;
  const info = connection?.failureCode ? TAXONOMY[connection.failureCode] : null;
  return (
    <main id="main">
      <p>
        <Link to="/clinics">← All clinics</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>{clinic.name}</h1>
          <p className="sub">
            {clinic.country} · {clinic.timeZone}
            {clinic.adminEmail ? ` · admin ${clinic.adminName ?? ""} <${clinic.adminEmail}>` : ""}
            {clinic.archivedAt ? " · archived" : ""}
          </p>
        </div>
        <div className="row-actions">
          <StateBadge state={connection?.state ?? null} failureCode={connection?.failureCode ?? null} />
          <Link className="btn secondary small" to={`/clinics/${clinic.id}/briefing`}>
            Weekly briefing
          </Link>
          {canAct ? (
            <Link className="btn secondary small" to={`/clinics/${clinic.id}/edit`}>
              {clinic.archivedAt ? "Restore…" : "Edit or archive…"}
            </Link>
          ) : null}
        </div>
      </div>
      {page.incident ? (
        <IncidentBanner incident={page.incident}>
          {page.incident.thisConnectionFailing ? (
            <p className="hint">This clinic is one of them: its degraded alert is grouped under the incident, and the clinic admin is not emailed.</p>
          ) : null}
        </IncidentBanner>
      ) : null}
      {clinic.archivedAt ? (
        <div className="result tone-idle" role="note">
          <strong>Archived {absoluteTime(clinic.archivedAt)}.</strong> Not listed, probed or alerted on; the history below is kept.
        </div>
      ) : null}
      {campaigns.map((c) => (
        <div key={c.id} className="result tone-warn" role="note">
          <strong>Reconnect by {c.deadline}</strong> — in the campaign <Link to={`/campaigns/${c.id}`}>{c.name}</Link>
          {c.linkSentAt ? `; link made and queued by email ${relativeTime(c.linkSentAt, now)} (see Emails to the clinic).` : "; no link sent yet."}
        </div>
      ))}
      <ProbeStrip probes={page.probes} now={now} />
      <FormError errors={errors} />
      {/* why: a running sync's progress bar moves every few seconds; otherwise the usual half-minute */}
      <AutoRefresh at={now} everyMs={page.sync?.running ? 3000 : 30_000} />
      <div className="grid two">
        <div className="stack">
          {page.accountChange ? <AccountChangeCard change={page.accountChange} canAct={canAct} busyIntent={busyIntent} now={now} /> : null}
          <ConnectionCard connection={connection} info={info} canAct={canAct} busyIntent={busyIntent} result={result} now={now} clinicZone={clinic.timeZone} />
          {connection && canAct ? <ReconnectLinkCard clinic={clinic} connection={connection} errors={errors} result={result} /> : null}
          {connection && canAct ? <SupportKeyCard connection={connection} errors={errors} result={result} busyIntent={busyIntent} /> : null}
          {connection && canAct ? <LookupCard connection={connection} errors={errors} result={result} busyIntent={busyIntent} /> : null}
          {connection && canAct ? <ManualNotesCard manualNotes={connection.supportFindings?.manualNotes ?? null} errors={errors} now={now} /> : null}
        </div>
        <div className="stack">
          {/* why: the wider column, so the per-resource table fits */}
          {page.sync ? <SyncCard sync={page.sync} canAct={canAct} busyIntent={busyIntent} now={now} /> : null}
          {page.playbook && info ? <PlaybookCard playbook={page.playbook} info={info} vendor={connection?.vendor ?? null} /> : null}
          {page.packet ? <PacketCard packet={page.packet} /> : null}
          <ClinicMessagesCard messages={page.messages} now={now} />
          <TimelineCard
            timeline={page.timeline}
            page={page.page}
            pages={page.pages}
            params={params}
            canNote={Boolean(connection && canAct)}
            errors={errors}
            now={now}
            clinicZone={clinic.timeZone}
          />
        </div>
      </div>
    </main>
  );
}
