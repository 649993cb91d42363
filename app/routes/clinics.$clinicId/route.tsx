import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { publicUrl } from "../../../config/runtime.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { addNote, NoteSchema, pauseConnection, PauseReasonSchema, setManualNotes, type Actor } from "../../../domain/clinics/console-actions.ts";
import { CLINIC_NOT_FOUND, clinicWithConnection, loadClinicPage } from "../../../domain/clinics/clinic-page.ts";
import { confirmAccountChange, discardAccountChange } from "../../../domain/clinics/account-change.ts";
import { PreapprovalNoteSchema, preapproveAccountChange, withdrawPreapproval } from "../../../domain/clinics/preapproval.ts";
import { enterKeyForClinic, SupportKeySchema } from "../../../domain/clinics/support-key.ts";
import { applyRegionAndReprobe, createClinicReconnectLink, resumeAndReprobe } from "../../../domain/clinics/clinic-workflows.ts";
import { lookupPatients, PatientNameSchema, probeNow, ReconnectPurposeSchema, type LiveDeps } from "../../../domain/clinics/live.ts";
import { TAXONOMY } from "../../../domain/health/taxonomy.ts";
import { runAction } from "../../actions.server.ts";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import { AutoRefresh } from "../../components/auto-refresh.tsx";
import { FormError } from "../../components/forms.tsx";
import { StateBadge } from "../../components/state-badge.tsx";
import { notFound, paramsOr404 } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import type { Services } from "../../services.server.ts";
import { redirectWithFlash, requireUser } from "../../session.server.ts";
import { AccountChangeCard } from "./account-change-card.tsx";
import { ConnectionCard } from "./connection-card.tsx";
import { ProbeStrip } from "./probe-strip.tsx";
import { SupportKeyCard } from "./support-key-card.tsx";
import { LookupCard, ManualNotesCard, ReconnectLinkCard } from "./live-cards.tsx";
import { PacketCard, PlaybookCard } from "./playbook-cards.tsx";
import { ClinicMessagesCard } from "./messages-card.tsx";
import { TimelineCard } from "./timeline-card.tsx";
import { SyncCard } from "./sync-card.tsx";
import { requestSync } from "../../../domain/sync/sync-card.ts";

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

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("probe") }),
  z.object({ intent: z.literal("apply-region") }),
  z.object({ intent: z.literal("pause"), reason: PauseReasonSchema }),
  z.object({ intent: z.literal("resume") }),
  z.object({ intent: z.literal("note"), note: NoteSchema }),
  z.object({ intent: z.literal("lookup"), patientName: PatientNameSchema }),
  z.object({ intent: z.literal("link-create"), purpose: ReconnectPurposeSchema }),
  z.object({ intent: z.literal("link-email"), purpose: ReconnectPurposeSchema }),
  z.object({ intent: z.literal("manual-notes-on"), manualNote: z.string().trim().max(200, "Keep it under 200 characters").optional() }),
  z.object({ intent: z.literal("manual-notes-off") }),
  z.object({ intent: z.literal("account-confirm") }),
  z.object({ intent: z.literal("account-discard") }),
  z.object({ intent: z.literal("sync") }),
  SupportKeySchema.extend({ intent: z.literal("key-enter") }),
  z.object({ intent: z.literal("account-preapprove"), preapprovalNote: PreapprovalNoteSchema }),
  z.object({ intent: z.literal("account-preapprove-withdraw") }),
]);

const liveDeps = (s: Services): LiveDeps => ({
  db: s.db,
  keyring: s.keyring,
  vendors: s.vendors,
  vendorSettings: s.vendor,
  vendorDeps: s.vendorDeps,
  alerts: s.alerts,
  probes: s.queues.probe,
});
const probeStep = (s: Services) => (i: { clinicId: string; connectionId: string; actor: Actor }) => probeNow(i, liveDeps(s));

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "agent", params: ParamsSchema, notFoundMessage: CLINIC_NOT_FOUND, schema: ActionSchema },
    async ({ input, params: { clinicId }, actor, services, request }) => {
      const { clinic, connection } = await clinicWithConnection(clinicId, services.db);
      const here = `/clinics/${clinicId}`;
      const flash = (message: string) => redirectWithFlash(request, services, here, message);
      switch (input.intent) {
        case "probe": {
          const report = await probeNow({ clinicId, connectionId: connection.id, actor }, liveDeps(services));
          return data({
            ok: true as const,
            intent: "probe" as const,
            probe: {
              outcome: report.outcome,
              failureCode: report.failureCode,
              state: report.state,
              ms: report.ms,
              visiblePatients: report.verify?.visiblePatients ?? null,
              visiblePatientsAtLeast: report.verify?.visiblePatientsAtLeast === true,
            },
          });
        }
        case "lookup": {
          const lookup = await lookupPatients({ clinicId, connectionId: connection.id, name: input.patientName, actor }, liveDeps(services));
          return data({ ok: true as const, intent: "lookup" as const, lookup, searched: input.patientName });
        }
        case "link-create":
        case "link-email": {
          const link = await createClinicReconnectLink(
            {
              clinic,
              vendor: connection.vendor,
              purpose: input.purpose,
              email: input.intent === "link-email",
              actor,
              publicUrl: publicUrl(services.env),
              ttlHours: services.env.RECONNECT_LINK_TTL_HOURS,
            },
            { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
          );
          return data({
            ok: true as const,
            intent: "link" as const,
            link: { url: link.url, expiresAt: link.expiresAt.toISOString(), emailedTo: link.emailQueuedTo },
          });
        }
        case "apply-region": {
          const { region } = await applyRegionAndReprobe({ clinicId, actor }, { db: services.db, probe: probeStep(services) });
          return flash(`Region set to ${region} and re-probed.`);
        }
        case "pause":
          await pauseConnection({ clinicId, reason: input.reason || undefined, actor }, services.db);
          return flash("Connection paused. Nothing is probed until you resume it.");
        case "resume":
          await resumeAndReprobe({ clinicId, actor }, { db: services.db, probe: probeStep(services) });
          return flash("Connection resumed and probed.");
        case "note":
          await addNote({ clinicId, text: input.note, actor }, services.db);
          return flash("Note added to the timeline.");
        case "manual-notes-on":
        case "manual-notes-off":
          await setManualNotes(
            { clinicId, on: input.intent === "manual-notes-on", note: input.intent === "manual-notes-on" ? input.manualNote : undefined, actor },
            services.db,
          );
          return flash(
            input.intent === "manual-notes-on"
              ? "Recorded: the clinic is copying notes by hand today (in the escalation packet)."
              : "Recorded: the clinic stopped copying notes by hand.",
          );
        case "account-confirm": {
          const { accountName } = await confirmAccountChange(
            { clinicId, actor },
            { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
          );
          return flash(`Account change confirmed: connected to ${accountName}.`);
        }
        case "sync":
          await requestSync({ connectionId: connection.id, requestedBy: `user:${actor.userId}` }, services.queues.sync);
          return flash("Sync requested: the card below shows its progress.");
        case "account-discard":
          await discardAccountChange({ clinicId, actor }, { db: services.db, alerts: services.alerts });
          return flash("The held key was discarded; the connection keeps its account.");
        case "key-enter": {
          const entered = await enterKeyForClinic(
            {
              target: { clinicId, connectionId: connection.id, vendor: connection.vendor, region: connection.region, apiVersion: connection.apiVersion },
              input,
              actor,
            },
            { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
          );
          if (entered.kind === "refused") return data({ ok: true as const, intent: "key" as const, verdict: entered.verdict }, { status: 422 });
          if (entered.kind === "account_held")
            return flash(
              `Not connected: this key belongs to ${entered.accountName}, not ${entered.previousName}. Confirm the account change below only if that is intended.`,
            );
          return flash(
            `New key ${entered.keyHint} stored and working${entered.accountName ? ` (${entered.accountName})` : ""}${entered.worksAgainQueued ? "; a works-again message is queued to whoever was alerted" : ""}.`,
          );
        }
        case "account-preapprove":
          await preapproveAccountChange({ clinicId, note: input.preapprovalNote, actor }, services.db);
          return flash("Account change pre-approved: the next key of another account connects without asking the clinic.");
        case "account-preapprove-withdraw":
          await withdrawPreapproval({ clinicId, actor }, services.db);
          return flash("Pre-approval withdrawn.");
      }
    },
  );
}

export type ClinicActionData = ReturnType<typeof useActionData<typeof action>>;
export type ClinicPageData = ReturnType<typeof useLoaderData<typeof loader>>;

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
          {canAct ? (
            <Link className="btn secondary small" to={`/clinics/${clinic.id}/edit`}>
              {clinic.archivedAt ? "Restore…" : "Edit or archive…"}
            </Link>
          ) : null}
        </div>
      </div>
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
