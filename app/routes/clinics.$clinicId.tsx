import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { publicUrl } from "../../config/runtime.ts";
import { listCampaignsOfClinic } from "../../db/queries/campaigns.ts";
import { getClinic, listTimeline } from "../../db/queries/clinics.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import {
  addNote,
  applySuggestedRegion,
  canSendReconnectLink,
  ConsoleActionError,
  NoteSchema,
  pauseConnection,
  PauseReasonSchema,
  resumeConnection,
} from "../../domain/clinics/console-actions.ts";
import { lookupPatients, PatientNameSchema, probeNow, ReconnectPurposeSchema, sendReconnectLink } from "../../domain/clinics/live.ts";
import type { ProbeEvidence } from "../../domain/health/classifier.ts";
import { buildEscalationPacket, escalationText, VENDOR_LABELS } from "../../domain/health/escalation.ts";
import { STATE_LABELS } from "../../domain/health/states.ts";
import { playbookFor, TAXONOMY } from "../../domain/health/taxonomy.ts";
import { ReconnectLinkError } from "../../domain/reconnect/links.ts";
import { CopyButton } from "../components/copy-button.tsx";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { Field, FormError, Pager } from "../components/forms.tsx";
import { FailureText, StateBadge, STATE_TONES } from "../components/state-badge.tsx";
import { badRequest, fieldErrorsOf, formObject } from "../forms.server.ts";
import type { loader as rootLoader } from "../root.tsx";
import { redirectWithFlash, requireRole, requireUser } from "../session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.clinic.name ?? "Clinic"} · Relink` }];

const ParamsSchema = z.object({ clinicId: z.uuid() });
const TIMELINE_PAGE = 25;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new Response("No clinic has that address.", { status: 404 });
  const page = z.coerce.number().int().min(1).catch(1).parse(new URL(request.url).searchParams.get("page") ?? 1);
  const [row, timeline, campaigns] = await Promise.all([
    getClinic({ clinicId: parsed.data.clinicId }, context.services.db),
    listTimeline({ clinicId: parsed.data.clinicId, page, pageSize: TIMELINE_PAGE }, context.services.db),
    listCampaignsOfClinic({ clinicId: parsed.data.clinicId }, context.services.db),
  ]);
  if (!row) throw new Response("No clinic has that address.", { status: 404 });
  const c = row.connection;
  const packet = c
    ? escalationText(
        buildEscalationPacket({
          organisationName: row.clinic.name,
          vendor: c.vendor,
          region: c.region,
          apiVersion: c.apiVersion,
          state: c.state,
          failureCode: c.failureCode,
          evidence: (c.failureEvidence as ProbeEvidence | null) ?? null,
          keyHint: c.keyHint,
          keyUpdatedAt: c.keyUpdatedAt,
          firstFailureAt: c.firstFailureAt,
          lastSuccessAt: c.lastSuccessAt,
          visiblePatients: c.visiblePatientCount,
        }),
      )
    : null;
  const playbook = c?.failureCode ? playbookFor(c.failureCode, c.vendor) : null;
  return {
    clinic: row.clinic,
    connection: c ? { ...c, failureEvidence: null, canSendLink: canSendReconnectLink(c.state) } : null,
    timeline: { ...timeline, rows: timeline.rows.map((e) => ({ ...e, id: String(e.id) })) },
    page,
    packet,
    playbook,
    campaigns,
    now: Date.now(),
  };
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
]);

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context;
  const user = await requireRole(request, services, "agent");
  const p = ParamsSchema.safeParse(params);
  if (!p.success) throw new Response("No clinic has that address.", { status: 404 });
  const clinicId = p.data.clinicId;
  const parsed = ActionSchema.safeParse(formObject(await request.formData()));
  if (!parsed.success) return badRequest(fieldErrorsOf(parsed.error));
  const row = await getClinic({ clinicId }, services.db);
  if (!row) throw new Response("No clinic has that address.", { status: 404 });
  if (!row.connection) throw new Response("This clinic has no connection yet.", { status: 404 });
  const actor = { userId: user.id, label: user.email };
  const here = `/clinics/${clinicId}`;
  const live = { db: services.db, keyring: services.keyring, vendors: services.vendors, vendorSettings: services.vendor, alerts: services.alerts, probes: services.queues.probe };
  const input = parsed.data;
  try {
    switch (input.intent) {
      case "probe": {
        const report = await probeNow({ clinicId, connectionId: row.connection.id, actor }, live);
        return data({ ok: true as const, intent: "probe" as const, probe: { outcome: report.outcome, failureCode: report.failureCode, state: report.state, ms: report.ms, visiblePatients: report.verify?.visiblePatients ?? null } });
      }
      case "lookup": {
        const lookup = await lookupPatients({ clinicId, connectionId: row.connection.id, name: input.patientName, actor }, live);
        return data({ ok: true as const, intent: "lookup" as const, lookup, searched: input.patientName });
      }
      case "link-create":
      case "link-email": {
        const email = input.intent === "link-email";
        if (email && !row.clinic.adminEmail) return badRequest({ purpose: ["This clinic has no admin email; create the link and send it yourself."] });
        const link = await sendReconnectLink(
          {
            clinicId,
            purpose: input.purpose,
            email,
            actor,
            publicUrl: publicUrl(services.env),
            ttlHours: services.env.RECONNECT_LINK_TTL_HOURS,
            admin: { name: row.clinic.adminName, email: row.clinic.adminEmail, clinicName: row.clinic.name, vendorLabel: VENDOR_LABELS[row.connection.vendor] },
          },
          { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver },
        );
        return data({ ok: true as const, intent: "link" as const, link: { url: link.url, expiresAt: link.expiresAt.toISOString(), emailedTo: link.emailQueuedTo } });
      }
      case "apply-region": {
        const { region } = await applySuggestedRegion({ clinicId, actor }, services.db);
        await probeNow({ clinicId, connectionId: row.connection.id, actor }, live);
        return redirectWithFlash(request, services, here, `Region set to ${region} and re-probed.`);
      }
      case "pause":
        await pauseConnection({ clinicId, reason: input.reason || undefined, actor }, services.db);
        return redirectWithFlash(request, services, here, "Connection paused. Nothing is probed until you resume it.");
      case "resume":
        await resumeConnection({ clinicId, actor }, services.db);
        await probeNow({ clinicId, connectionId: row.connection.id, actor }, live);
        return redirectWithFlash(request, services, here, "Connection resumed and probed.");
      case "note":
        await addNote({ clinicId, text: input.note, actor }, services.db);
        return redirectWithFlash(request, services, here, "Note added to the timeline.");
    }
  } catch (err) {
    if (err instanceof ConsoleActionError) {
      if (err.status === 404) throw new Response(err.message, { status: 404 });
      return data({ ok: false as const, fieldErrors: { form: [err.message] } }, { status: 409 });
    }
    if (err instanceof ReconnectLinkError) return badRequest({ purpose: [err.message] });
    throw err;
  }
}

function ProbeResult({ probe }: { probe: { outcome: string; failureCode: string | null; state: string | null; ms: number; visiblePatients: number | null } }) {
  const info = probe.failureCode ? TAXONOMY[probe.failureCode as keyof typeof TAXONOMY] : null;
  const tone = probe.outcome === "healthy" ? "ok" : probe.outcome === "failed" ? "bad" : "info";
  return (
    <div className={`result tone-${tone}`} role="status">
      <strong>
        {probe.outcome === "healthy" ? "Probe succeeded" : probe.outcome === "failed" ? `Probe failed: ${info?.title ?? probe.failureCode}` : probe.outcome === "conflict" ? "Someone changed the connection meanwhile" : "Probe skipped"}
      </strong>{" "}
      in {probe.ms} ms.
      {probe.visiblePatients !== null ? ` ${formatCount(probe.visiblePatients)} patients visible.` : ""}
      {probe.state ? ` Now ${STATE_LABELS[probe.state as keyof typeof STATE_LABELS]}.` : ""}
      {info ? <div>{info.supportMessage}</div> : null}
    </div>
  );
}

export default function ClinicPage() {
  const { clinic, connection, timeline, page, packet, playbook, campaigns, now } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = root?.user ? hasRole(root.user.role, "agent") : false;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyIntent = navigation.state !== "idle" ? navigation.formData?.get("intent") : null;
  const [params] = useSearchParams();
  const errors = result && "fieldErrors" in result ? result.fieldErrors : undefined;
  const info = connection?.failureCode ? TAXONOMY[connection.failureCode] : null;
  const pages = Math.max(1, Math.ceil(timeline.total / TIMELINE_PAGE));
  const defaultPurpose = connection?.failureCode ? `${TAXONOMY[connection.failureCode].title}: please enter a new ${connection.vendor === "nookal" ? "Nookal" : "Cliniko"} API key` : "Please enter a new API key";
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
          <StateBadge state={connection?.state ?? null} />
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
          {c.linkSentAt ? `; link emailed ${relativeTime(c.linkSentAt, now)}.` : "; no link sent yet."}
        </div>
      ))}
      <FormError errors={errors} />
      <div className="grid two">
        <div className="stack">
          <section className="card" aria-labelledby="conn-h">
            <h2 id="conn-h">Connection</h2>
            {connection ? (
              <>
                {info ? (
                  <div className="form-error" role="status" style={{ marginBottom: "1rem" }}>
                    <strong>{info.title}.</strong> {info.supportMessage}
                  </div>
                ) : null}
                <dl className="facts">
                  <dt>Vendor</dt>
                  <dd>{VENDOR_LABELS[connection.vendor]}</dd>
                  <dt>{connection.vendor === "cliniko" ? "Shard" : "Region"}</dt>
                  <dd className="mono">{connection.region}</dd>
                  <dt>API version</dt>
                  <dd>{connection.apiVersion}</dd>
                  <dt>Key</dt>
                  <dd className="mono">{connection.keyHint ?? "none stored"}</dd>
                  <dt>Problem</dt>
                  <dd>
                    <FailureText code={connection.failureCode} />
                  </dd>
                  <dt>Connected as</dt>
                  <dd>{connection.vendorUserName ? `${connection.vendorUserName}${connection.vendorUserRole ? ` (${connection.vendorUserRole})` : ""}` : "—"}</dd>
                  <dt>Visible patients</dt>
                  <dd>{formatCount(connection.visiblePatientCount)}</dd>
                  <dt>Last probe</dt>
                  <dd title={absoluteTime(connection.lastProbeAt)}>{relativeTime(connection.lastProbeAt, now)}</dd>
                  <dt>Last success</dt>
                  <dd title={absoluteTime(connection.lastSuccessAt)}>{relativeTime(connection.lastSuccessAt, now)}</dd>
                  <dt>Failing since</dt>
                  <dd title={absoluteTime(connection.firstFailureAt)}>{connection.firstFailureAt ? relativeTime(connection.firstFailureAt, now) : "—"}</dd>
                  <dt>Sync / briefing</dt>
                  <dd className="hint">Not running yet for this product.</dd>
                </dl>
                {canAct ? (
                  <div className="actions">
                    <Form method="post">
                      <button className="btn" type="submit" name="intent" value="probe" disabled={busyIntent === "probe"}>
                        {busyIntent === "probe" ? "Probing…" : "Probe now"}
                      </button>
                    </Form>
                    {connection.failureCode === "wrong_region" && connection.suggestedRegion ? (
                      <Form method="post">
                        <button className="btn" type="submit" name="intent" value="apply-region">
                          Apply suggested region {connection.suggestedRegion}
                        </button>
                      </Form>
                    ) : null}
                    <Form method="post" className="inline-form">
                      {connection.state === "paused" ? (
                        <button className="btn secondary" type="submit" name="intent" value="resume">
                          Resume
                        </button>
                      ) : (
                        <>
                          <label className="visually-hidden" htmlFor="reason">
                            Reason for pausing
                          </label>
                          <input id="reason" name="reason" placeholder="Reason for pausing (optional)" />
                          <button className="btn secondary" type="submit" name="intent" value="pause">
                            Pause
                          </button>
                        </>
                      )}
                    </Form>
                  </div>
                ) : null}
                {result && "intent" in result && result.intent === "probe" ? <ProbeResult probe={result.probe} /> : null}
              </>
            ) : (
              <p className="hint">This clinic has no connection yet.</p>
            )}
          </section>
          {connection && canAct ? (
            <section className="card" aria-labelledby="link-h">
              <h2 id="link-h">Reconnect link</h2>
              <p className="hint">A new link revokes earlier ones. The clinic admin pastes a new key and sees the verdict at once.</p>
              <Form method="post" noValidate>
                <Field name="purpose" label="What the clinic reads" errors={errors}>
                  {(p) => <input {...p} defaultValue={defaultPurpose} />}
                </Field>
                <div className="actions">
                  <button className="btn" type="submit" name="intent" value="link-create">
                    Create link
                  </button>
                  <button className="btn secondary" type="submit" name="intent" value="link-email" disabled={!clinic.adminEmail}>
                    Create and email to {clinic.adminEmail ?? "admin (no email on file)"}
                  </button>
                </div>
              </Form>
              {result && "intent" in result && result.intent === "link" ? (
                <div className="result tone-ok" role="status">
                  <strong>Link created</strong> — valid until {absoluteTime(result.link.expiresAt)}. {result.link.emailedTo ? `Email queued to ${result.link.emailedTo}; Deliveries shows when it is sent.` : "Copy it now: it is shown only once."}
                  <div className="copy-row">
                    <input readOnly value={result.link.url} aria-label="Reconnect link" className="mono" />
                    <CopyButton text={result.link.url} label="Copy link" />
                  </div>
                </div>
              ) : null}
            </section>
          ) : null}
          {connection && canAct ? (
            <section className="card" aria-labelledby="lookup-h">
              <h2 id="lookup-h">Is one patient missing?</h2>
              <p className="hint">Searches {VENDOR_LABELS[connection.vendor]} live through the clinic&apos;s key. Only the number of matches is shown; nothing is stored.</p>
              <Form method="post" noValidate className="inline-form">
                <input type="hidden" name="intent" value="lookup" />
                <Field name="patientName" label="Patient name" errors={errors}>
                  {(p) => <input {...p} autoComplete="off" />}
                </Field>
                <button className="btn secondary" type="submit" disabled={busyIntent === "lookup"}>
                  {busyIntent === "lookup" ? "Searching…" : "Search"}
                </button>
              </Form>
              {result && "intent" in result && result.intent === "lookup" ? (
                <div className={`result tone-${result.lookup.ok ? (result.lookup.matches ? "ok" : "bad") : "bad"}`} role="status">
                  {result.lookup.ok
                    ? result.lookup.matches
                      ? `${result.lookup.matches}${result.lookup.capped ? "+" : ""} patient${result.lookup.matches === 1 ? "" : "s"} match “${result.searched}”: the key can see them.`
                      : `No patient matches “${result.searched}” through this key. If the clinic sees them in ${VENDOR_LABELS[connection.vendor]}, escalate as "one patient missing".`
                    : result.lookup.message}
                </div>
              ) : null}
            </section>
          ) : null}
        </div>
        <div className="stack">
          {playbook && info ? (
            <section className="card" aria-labelledby="pb-h">
              <h2 id="pb-h">Playbook: {info.title}</h2>
              <p>
                <strong>First:</strong> {info.suggestedAction}
              </p>
              <h3>Support steps</h3>
              <ol className="steps">
                {playbook.supportSteps.map((s) => (
                  <li key={s}>{s}</li>
                ))}
              </ol>
              {playbook.clinicSteps.length ? (
                <>
                  <h3>What the clinic does in {connection ? VENDOR_LABELS[connection.vendor] : "their system"}</h3>
                  <ol className="steps">
                    {playbook.clinicSteps.map((s) => (
                      <li key={s}>{s}</li>
                    ))}
                  </ol>
                </>
              ) : null}
              <h3>Tell the clinic</h3>
              <blockquote className="tell">{playbook.tellClinic}</blockquote>
              <CopyButton text={playbook.tellClinic} label="Copy message" />
            </section>
          ) : null}
          {packet ? (
            <section className="card" aria-labelledby="esc-h">
              <h2 id="esc-h">Escalation packet</h2>
              <pre className="packet">{packet}</pre>
              <CopyButton text={packet} label="Copy packet" />
            </section>
          ) : null}
          <section className="card" aria-labelledby="tl-h">
            <h2 id="tl-h">Timeline</h2>
            {connection && canAct ? (
              <Form method="post" noValidate className="note-form">
                <input type="hidden" name="intent" value="note" />
                <Field name="note" label="Add a note" errors={errors}>
                  {(p) => <textarea {...p} rows={2} placeholder="What you did or what the clinic said" />}
                </Field>
                <button className="btn secondary small" type="submit">
                  Add note
                </button>
              </Form>
            ) : null}
            {timeline.rows.length === 0 ? (
              <p className="hint">Nothing has happened yet. Healthy probes that change nothing are not listed.</p>
            ) : (
              <ol className="timeline">
                {timeline.rows.map((e) => (
                  <li key={e.id} className={e.toState ? `tone-${STATE_TONES[e.toState]}` : undefined}>
                    <div>
                      <strong>{e.message}</strong>
                    </div>
                    <div className="when" title={absoluteTime(e.at)}>
                      {relativeTime(e.at, now)} · {e.kind.replace("_", " ")} · by {e.actor}
                    </div>
                    {e.httpStatus || e.vendorMessage || e.probeId ? (
                      <div className="evidence">
                        {e.httpStatus ? `HTTP ${e.httpStatus}` : ""}
                        {e.vendorMessage ? ` · “${e.vendorMessage}”` : ""}
                        {e.probeId ? ` · probe ${e.probeId.slice(0, 8)}` : ""}
                      </div>
                    ) : null}
                  </li>
                ))}
              </ol>
            )}
            <Pager page={page} pages={pages} params={params} label="Timeline pages" />
          </section>
        </div>
      </div>
    </main>
  );
}
