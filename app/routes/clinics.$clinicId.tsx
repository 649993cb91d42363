import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { getClinic, listTimeline } from "../../db/queries/clinics.ts";
import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { FailureText, StateBadge, STATE_TONES } from "../components/state-badge.tsx";
import { absoluteTime, formatCount, relativeTime } from "../components/format.ts";
import { requireUser } from "../session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.clinic.name ?? "Clinic"} · Relink` }];

const ParamsSchema = z.object({ clinicId: z.uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) throw new Response("No clinic has that address.", { status: 404 });
  const page = z.coerce.number().int().min(1).catch(1).parse(new URL(request.url).searchParams.get("page") ?? 1);
  const [row, timeline] = await Promise.all([
    getClinic({ clinicId: parsed.data.clinicId }, context.services.db),
    listTimeline({ clinicId: parsed.data.clinicId, page }, context.services.db),
  ]);
  if (!row) throw new Response("No clinic has that address.", { status: 404 });
  return { clinic: row.clinic, connection: row.connection, timeline, page, now: Date.now() };
}

export default function ClinicPage() {
  const { clinic, connection, timeline, page, now } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const info = connection?.failureCode ? TAXONOMY[connection.failureCode] : null;
  const pages = Math.max(1, Math.ceil(timeline.total / 25));
  const pageHref = (p: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `?${next.toString()}`;
  };
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
          </p>
        </div>
        <StateBadge state={connection?.state ?? null} />
      </div>
      <div className="grid two">
        <section className="card" aria-labelledby="conn-h">
          <h2 id="conn-h">Connection</h2>
          {connection ? (
            <>
              {info ? (
                <div className={`form-error`} role="status" style={{ marginBottom: "1rem" }}>
                  <strong>{info.title}.</strong> {info.supportMessage}
                </div>
              ) : null}
              <dl className="facts">
                <dt>Vendor</dt>
                <dd>{connection.vendor === "nookal" ? "Nookal" : "Cliniko"}</dd>
                <dt>Region</dt>
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
              </dl>
            </>
          ) : (
            <p className="hint">This clinic has no connection yet.</p>
          )}
        </section>
        <section className="card" aria-labelledby="tl-h">
          <h2 id="tl-h">Timeline</h2>
          {timeline.rows.length === 0 ? (
            <p className="hint">Nothing has happened yet. Healthy probes that change nothing are not listed.</p>
          ) : (
            <ol className="timeline">
              {timeline.rows.map((e) => (
                <li key={String(e.id)} className={e.toState ? `tone-${STATE_TONES[e.toState]}` : undefined}>
                  <div>
                    <strong>{e.message}</strong>
                  </div>
                  <div className="when" title={absoluteTime(e.at)}>
                    {relativeTime(e.at, now)} · by {e.actor}
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
          {pages > 1 ? (
            <nav className="pager" aria-label="Timeline pages">
              <span>
                Page {page} of {pages}
              </span>
              {page > 1 ? <Link to={pageHref(page - 1)}>← Newer</Link> : null}
              {page < pages ? <Link to={pageHref(page + 1)}>Older →</Link> : null}
            </nav>
          ) : null}
        </section>
      </div>
    </main>
  );
}
