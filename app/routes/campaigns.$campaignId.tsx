import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation, useRevalidator, useRouteLoaderData, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { z } from "zod";
import { publicUrl } from "../../config/runtime.ts";
import { campaignCounts, countUnsent, getCampaign, listCampaignClinics } from "../../db/queries/campaigns.ts";
import { CAMPAIGN_STATUSES, type CampaignStatus } from "../../domain/campaigns/status.ts";
import { messageStatusLabel } from "../../domain/alerts/kinds.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import { addClinicsByFilter, CampaignError, todayUtc, type AddToCampaignResult } from "../../domain/campaigns/campaigns.ts";
import { addClinicsFromCsv } from "../../domain/campaigns/csv.ts";
import { sendCampaignLinks, type SendLinksResult } from "../../domain/campaigns/send-links.ts";
import type { LineError } from "../../domain/clinics/csv.ts";
import { VENDOR_LABELS } from "../../domain/health/escalation.ts";
import { CONNECTION_STATES, STATE_LABELS } from "../../domain/health/states.ts";
import { FAILURE_CODES, TAXONOMY } from "../../domain/health/taxonomy.ts";
import { KNOWN_CLINIKO_SHARDS } from "../../domain/vendors/cliniko-key.ts";
import { NOOKAL_REGION_LABELS, NOOKAL_REGIONS } from "../../domain/vendors/types.ts";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { FormError, Pager } from "../components/forms.tsx";
import { ProblemSelect, StateSelect } from "../components/filter-selects.tsx";
import { LineErrors } from "../components/line-errors.tsx";
import { StateBadge } from "../components/state-badge.tsx";
import { badRequest, fieldErrorsOf, formObject } from "../forms.server.ts";
import type { loader as rootLoader } from "../root.tsx";
import { redirectWithFlash, requireRole, requireUser } from "../session.server.ts";
import { readUploadedText } from "../upload.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.campaign.name ?? "Campaign"} · Relink` }];

const PAGE_SIZE = 100;
const REFRESH_SECONDS = 10;
const ParamsSchema = z.object({ campaignId: z.uuid() });
const QuerySchema = z.object({
  status: z.enum(CAMPAIGN_STATUSES).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});

const STATUS_WORDS: Record<CampaignStatus, { label: string; tone: string; hint: string }> = {
  reconnected: { label: "Reconnected", tone: "ok", hint: "a key entered since being added works" },
  waiting: { label: "Waiting", tone: "info", hint: "not reconnected yet, deadline ahead" },
  failing: { label: "Failing", tone: "bad", hint: "the connection needs a human now" },
  past_deadline: { label: "Past deadline", tone: "warn", hint: "not reconnected and the deadline is over" },
};

async function campaignOr404(params: unknown, services: { db: Parameters<typeof getCampaign>[1] }) {
  const p = ParamsSchema.safeParse(params);
  if (!p.success) throw new Response("No campaign has that address.", { status: 404 });
  const campaign = await getCampaign({ campaignId: p.data.campaignId }, services.db);
  if (!campaign) throw new Response("No campaign has that address.", { status: 404 });
  return campaign;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context;
  await requireUser(request, services);
  const campaign = await campaignOr404(params, services);
  const query = QuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const [counts, list, unsent] = await Promise.all([
    campaignCounts({ campaignId: campaign.id }, services.db),
    listCampaignClinics({ campaignId: campaign.id, status: query.status, page: query.page, pageSize: PAGE_SIZE }, services.db),
    countUnsent({ campaignId: campaign.id }, services.db),
  ]);
  return { campaign, counts, list, unsent, status: query.status ?? null, page: query.page, today: todayUtc(), now: Date.now() };
}

const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const AddFilterForm = z
  .object({
    intent: z.literal("add-filter"),
    state: z.preprocess(blankToUndefined, z.enum(CONNECTION_STATES, "Not a state").optional()),
    failure: z.preprocess(blankToUndefined, z.enum(FAILURE_CODES, "Not a problem code").optional()),
    region: z.preprocess(blankToUndefined, z.string().regex(/^[a-z]{2}\d{0,2}$/, "Not a region").optional()),
    q: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
  })
  // why: an empty filter would add the vendor's whole fleet with one stray click
  .refine((f) => f.state || f.failure || f.region || f.q, { message: "Pick at least one filter, so a stray click cannot add every clinic.", path: ["form"] });
const SendForm = z.object({ intent: z.literal("send-links"), batch: z.literal("1").optional(), retryFailed: z.literal("1").optional() });

function addSummary(r: AddToCampaignResult): string {
  const parts = [`Added ${r.added} clinic${r.added === 1 ? "" : "s"}${r.added ? ` (${r.movedToPendingDisconnect} now pending disconnect)` : ""}.`];
  if (r.alreadyIn) parts.push(`${r.alreadyIn} already in the campaign.`);
  if (r.skipped.length) {
    const by = new Map<string, number>();
    for (const s of r.skipped) by.set(s.message, (by.get(s.message) ?? 0) + 1);
    parts.push(`${r.skipped.length} skipped: ${[...by].map(([m, n]) => `${n} × ${m.replace(/\.$/, "")}`).join("; ")}.`);
  }
  return parts.join(" ");
}

type ActionData =
  | { ok: false; fieldErrors: Record<string, string[] | undefined>; csvErrors?: LineError[]; csvText?: string }
  | { ok: true; send: SendLinksResult };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context;
  const user = await requireRole(request, services, "agent");
  const campaign = await campaignOr404(params, services);
  const actor = { userId: user.id, label: user.email };
  const here = `/campaigns/${campaign.id}`;
  const fd = await request.formData();
  const form = formObject(fd);
  try {
    switch (form.intent) {
      case "add-filter": {
        const parsed = AddFilterForm.safeParse(form);
        if (!parsed.success) return badRequest(fieldErrorsOf(parsed.error));
        const { state, failure, region, q } = parsed.data;
        const r = await addClinicsByFilter({ campaignId: campaign.id, filters: { state, failureCode: failure, region, q }, actor }, services.db);
        return redirectWithFlash(request, services, here, r.matched ? addSummary(r) : "No clinic matches that filter.", r.added ? "ok" : "info");
      }
      case "add-csv": {
        const upload = await readUploadedText(request, "csv", fd);
        if (!upload.ok) return badRequest({ csv: [upload.message] });
        const r = await addClinicsFromCsv({ campaignId: campaign.id, text: upload.text, actor }, services.db);
        // why: the list holds only ids and names (no secrets), so it comes back to be fixed in place
        if (!r.ok) return data({ ok: false, fieldErrors: {}, csvErrors: r.errors, csvText: upload.text } satisfies ActionData, { status: 400 });
        return redirectWithFlash(request, services, here, addSummary(r));
      }
      case "send-links": {
        const parsed = SendForm.safeParse(form);
        if (!parsed.success) return badRequest(fieldErrorsOf(parsed.error));
        const base = { campaignId: campaign.id, actor, publicUrl: publicUrl(services.env), ttlHours: services.env.RECONNECT_LINK_TTL_HOURS, retryFailed: parsed.data.retryFailed === "1" };
        // with JavaScript the page sends batch by batch and shows progress between them
        const linkDeps = { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver };
        if (parsed.data.batch) return data({ ok: true, send: await sendCampaignLinks(base, linkDeps) } satisfies ActionData);
        let sent = 0;
        let failed = 0;
        for (;;) {
          const r = await sendCampaignLinks(base, linkDeps);
          sent += r.sent;
          failed += r.failed.length;
          if (r.remaining === 0 || r.sent + r.failed.length === 0 || base.retryFailed) break;
        }
        return redirectWithFlash(request, services, here, `Queued ${sent} reconnect link${sent === 1 ? "" : "s"} by email (Deliveries shows when each is sent).${failed ? ` ${failed} could not be sent (see the table).` : ""}`, failed ? "info" : "ok");
      }
      default:
        return badRequest({ form: ["Unknown action."] });
    }
  } catch (err) {
    if (err instanceof CampaignError) {
      if (err.status === 404) throw new Response(err.message, { status: 404 });
      return data({ ok: false, fieldErrors: { form: [err.message] } } satisfies ActionData, { status: 409 });
    }
    throw err;
  }
}

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

function SendLinks({ unsent, failedTotal, total, disabled }: { unsent: number; failedTotal: number; total: number; disabled: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const [run, setRun] = useState<{ sent: number; failed: number; total: number; running: boolean; retry: boolean } | null>(null);
  const handled = useRef<unknown>(null);
  useEffect(() => {
    const d = fetcher.data as ActionData | undefined;
    if (fetcher.state !== "idle" || !run?.running || !d || handled.current === d) return;
    handled.current = d;
    if (!d.ok) {
      setRun({ ...run, running: false });
      return;
    }
    const next = { ...run, sent: run.sent + d.send.sent, failed: run.failed + d.send.failed.length };
    const progressed = d.send.sent + d.send.failed.length > 0;
    if (d.send.remaining > 0 && progressed && !run.retry) {
      setRun(next);
      fetcher.submit({ intent: "send-links", batch: "1" }, { method: "post" });
    } else setRun({ ...next, running: false });
  }, [fetcher, run]);
  const start = (retry: boolean) => (e: FormEvent) => {
    e.preventDefault();
    handled.current = fetcher.data;
    setRun({ sent: 0, failed: 0, total: retry ? failedTotal : unsent, running: true, retry });
    fetcher.submit({ intent: "send-links", batch: "1", ...(retry ? { retryFailed: "1" } : {}) }, { method: "post" });
  };
  const done = run ? run.sent + run.failed : 0;
  return (
    <div>
      <Form method="post" onSubmit={start(false)}>
        <input type="hidden" name="intent" value="send-links" />
        <button className="btn" type="submit" disabled={disabled || run?.running || unsent === 0}>
          {unsent ? `Send everyone their reconnect link (${formatCount(unsent)})` : total ? "Every clinic has its link" : "Add clinics first"}
        </button>
      </Form>
      {failedTotal > 0 ? (
        <Form method="post" onSubmit={start(true)} className="inline-form" style={{ marginTop: "0.5rem" }}>
          <input type="hidden" name="intent" value="send-links" />
          <input type="hidden" name="retryFailed" value="1" />
          <button className="btn secondary small" type="submit" disabled={disabled || run?.running}>
            Retry the {formatCount(failedTotal)} that could not be sent
          </button>
        </Form>
      ) : null}
      {run ? (
        <div role="status" aria-live="polite" className="send-progress">
          <div className="progress" aria-hidden="true">
            <span style={{ width: `${run.total ? Math.min(100, Math.round((100 * done) / run.total)) : 100}%` }} />
          </div>
          {run.running ? `Sending… ${done} of ${run.total}` : `Done: ${run.sent} sent${run.failed ? `, ${run.failed} could not be sent (see the table)` : ""}.`}
        </div>
      ) : null}
    </div>
  );
}

export default function CampaignPage() {
  const { campaign, counts, list, unsent, status, page, today, now } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = !!root?.user && hasRole(root.user.role, "agent");
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const busy = navigation.state !== "idle";
  useLiveRefresh(busy);
  const errors = result && !result.ok ? result.fieldErrors : undefined;
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
      {canAct ? (
        <div className="grid halves" style={{ marginBottom: "1rem" }}>
          <section className="card" aria-labelledby="send-h">
            <h2 id="send-h">Reconnect links</h2>
            <p className="hint">
              Emails each clinic admin a link of their own (valid at least until the deadline). Clinics already reconnected, or sent a link before, are left alone. Added clinics move to{" "}
              {STATE_LABELS.pending_disconnect.toLowerCase()}; a sent link moves them to {STATE_LABELS.reconnect_pending.toLowerCase()}.
            </p>
            <SendLinks unsent={unsent.unsent} failedTotal={unsent.failed} total={counts.total} disabled={busy} />
          </section>
          <section className="card" aria-labelledby="add-h">
            <h2 id="add-h">Add clinics</h2>
            <details open={counts.total === 0 || undefined}>
              <summary>By filter (as on the clinics table; {vendorLabel} only)</summary>
              <Form method="post" className="filters" noValidate>
                <input type="hidden" name="intent" value="add-filter" />
                <StateSelect id="add-state" narrow />
                <ProblemSelect id="add-failure" narrow />
                <div className="field narrow">
                  <label htmlFor="add-region">{campaign.vendor === "cliniko" ? "Shard" : "Region"}</label>
                  <select id="add-region" name="region" defaultValue="">
                    <option value="">Any</option>
                    {campaign.vendor === "cliniko"
                      ? KNOWN_CLINIKO_SHARDS.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))
                      : NOOKAL_REGIONS.map((r) => (
                          <option key={r} value={r}>
                            {NOOKAL_REGION_LABELS[r]}
                          </option>
                        ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="add-q">Name or admin email</label>
                  <input id="add-q" name="q" type="search" />
                </div>
                <button className="btn secondary" type="submit">
                  Add matching clinics
                </button>
              </Form>
            </details>
            <details open={Boolean(result && !result.ok && (result.csvErrors || result.fieldErrors.csv)) || counts.total === 0 || undefined}>
              <summary>From a list of clinic ids or names</summary>
              <Form method="post" encType="multipart/form-data" noValidate>
                <input type="hidden" name="intent" value="add-csv" />
                <p className="hint">One clinic per line, by id or exact name; a header line with an “id” or “name” column is optional. If any line is wrong, nothing is added.</p>
                <div className="field">
                  <label htmlFor="csv">CSV file</label>
                  {/* why: after a bad list the file is emptied and its text is put below to fix in place; otherwise the old file would win again */}
                  <input id="csv" name="csv" type="file" accept=".csv,.txt,text/csv,text/plain" key={result && !result.ok ? `after-${result.csvText?.length ?? 0}` : "csv"} />
                </div>
                <div className="field">
                  <label htmlFor="csvText">…or paste the list</label>
                  <textarea
                    id="csvText"
                    name="csvText"
                    rows={5}
                    key={result && !result.ok ? (result.csvText ?? "") : "blank"}
                    defaultValue={result && !result.ok ? (result.csvText ?? "") : ""}
                    className="mono"
                    aria-invalid={result && !result.ok && result.csvErrors ? true : undefined}
                    aria-describedby={result && !result.ok && result.csvErrors ? "csv-errors" : undefined}
                  />
                  {errors?.csv?.[0] ? <div className="field-error">{errors.csv[0]}</div> : null}
                </div>
                {result && !result.ok && result.csvErrors ? (
                  <div id="csv-errors">
                    <LineErrors errors={result.csvErrors} title={`Nothing was added: ${result.csvErrors.length} line${result.csvErrors.length === 1 ? "" : "s"} to fix`} />
                  </div>
                ) : null}
                <button className="btn secondary" type="submit">
                  Check and add
                </button>
              </Form>
            </details>
          </section>
        </div>
      ) : null}
      <nav className="tabs" aria-label="Filter by progress">
        <Link to={statusHref(null)} aria-current={status === null ? "page" : undefined}>
          All <span className="count">{formatCount(counts.total)}</span>
        </Link>
        {CAMPAIGN_STATUSES.map((s) => (
          <Link key={s} to={statusHref(s)} aria-current={status === s ? "page" : undefined}>
            {STATUS_WORDS[s].label} <span className="count">{formatCount(counts[s])}</span>
          </Link>
        ))}
      </nav>
      {list.rows.length === 0 ? (
        <div className="card empty">{counts.total === 0 ? "No clinics in this campaign yet. Add them by filter or from a list." : "No clinic in this campaign has that status."}</div>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Clinic</th>
                <th scope="col">Progress</th>
                <th scope="col">Connection</th>
                <th scope="col">Reconnect link</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((r) => (
                <tr key={r.clinicId}>
                  <td>
                    <Link to={`/clinics/${r.clinicId}`}>{r.name}</Link>
                    <div className="hint">{r.adminEmail ?? "no admin email"}</div>
                  </td>
                  <td>
                    <span className={`badge tone-${STATUS_WORDS[r.status].tone}`}>{STATUS_WORDS[r.status].label}</span>
                  </td>
                  <td>
                    <StateBadge state={r.state} />
                    {r.failureCode ? <div className="hint">{TAXONOMY[r.failureCode].title}</div> : null}
                  </td>
                  <td>
                    {r.linkSentAt ? (
                      <span title={absoluteTime(r.linkSentAt)}>
                        Emailed {relativeTime(r.linkSentAt, now)}{" "}
                        {r.emailStatus ? <span className={`badge tone-${messageStatusLabel(r.emailStatus, r.emailRetrying).tone}`}>{messageStatusLabel(r.emailStatus, r.emailRetrying).label}</span> : null}
                      </span>
                    ) : r.linkError ? (
                      <span className="field-error">Not sent: {r.linkError}</span>
                    ) : (
                      <span className="hint">Not sent yet</span>
                    )}
                  </td>
                  <td title={absoluteTime(r.addedAt)}>
                    {relativeTime(r.addedAt, now)}
                    <div className="hint">was {STATE_LABELS[r.fromState].toLowerCase()}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={Math.max(1, Math.ceil(list.total / PAGE_SIZE))} params={params} />
    </main>
  );
}
