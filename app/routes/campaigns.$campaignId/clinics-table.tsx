import { Form, Link } from "@remix-run/react";
import { TAXONOMY } from "../../../domain/health/taxonomy.ts";
import { absoluteTime, formatCount, relativeTime } from "../../components/format.ts";
import { Pager } from "../../components/forms.tsx";
import { StateBadge } from "../../components/state-badge.tsx";
import type { CampaignPageData } from "./route.tsx";
import { STATUS_WORDS } from "./status-words.ts";
import { CAMPAIGN_STATUSES, type CampaignStatus, messageStatusLabel, STATE_LABELS } from "../../../domain/vocabulary.ts";

/** The campaign's clinics, tabbed by progress status, a page at a time. */
export function CampaignClinicsTable({
  counts,
  list,
  status,
  page,
  pages,
  params,
  statusHref,
  now,
  canRemove = false,
  busy = false,
}: {
  counts: CampaignPageData["counts"];
  list: CampaignPageData["list"];
  status: CampaignStatus | null;
  page: number;
  pages: number;
  params: URLSearchParams;
  statusHref: (s: CampaignStatus | null) => string;
  now: number;
  /** Offer "Remove" on each row (agents, while the campaign is live). */
  canRemove?: boolean;
  busy?: boolean;
}) {
  return (
    <>
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
        <div className="card empty">
          {counts.total === 0 ? "No clinics in this campaign yet. Add them by filter or from a list." : "No clinic in this campaign has that status."}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data stack-on-phone">
            <thead>
              <tr>
                <th scope="col">Clinic</th>
                <th scope="col">Progress</th>
                <th scope="col">Connection</th>
                <th scope="col">Reconnect link</th>
                <th scope="col">Added</th>
                {canRemove ? (
                  <th scope="col">
                    <span className="visually-hidden">Remove</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {list.rows.map((r) => (
                <tr key={r.clinicId}>
                  <td data-label="Clinic">
                    <Link to={`/clinics/${r.clinicId}`}>{r.name}</Link>
                    <div className="hint">{r.adminEmail ?? "no admin email"}</div>
                  </td>
                  <td data-label="Progress">
                    <span className={`badge tone-${STATUS_WORDS[r.status].tone}`}>{STATUS_WORDS[r.status].label}</span>
                  </td>
                  <td data-label="Connection">
                    <StateBadge state={r.state} />
                    {r.failureCode ? <div className="hint">{TAXONOMY[r.failureCode].title}</div> : null}
                  </td>
                  <td data-label="Reconnect link">
                    {r.linkSentAt ? (
                      <span title={absoluteTime(r.linkSentAt)}>
                        {/* why: "Emailed" before the worker sent it was untrue; the badge says Queued or Sent */}
                        Link made {relativeTime(r.linkSentAt, now)}{" "}
                        {r.emailStatus ? (
                          <span className={`badge tone-${messageStatusLabel(r.emailStatus, r.emailRetrying).tone}`}>
                            {messageStatusLabel(r.emailStatus, r.emailRetrying).label}
                          </span>
                        ) : null}
                      </span>
                    ) : r.linkError ? (
                      <span className="field-error">Not sent: {r.linkError}</span>
                    ) : (
                      <span className="hint">Not sent yet</span>
                    )}
                  </td>
                  <td data-label="Added" title={absoluteTime(r.addedAt)}>
                    {relativeTime(r.addedAt, now)}
                    <div className="hint">was {STATE_LABELS[r.fromState].toLowerCase()}</div>
                  </td>
                  {canRemove ? (
                    <td>
                      <Form method="post" className="inline-form">
                        <input type="hidden" name="intent" value="remove-clinic" />
                        <input type="hidden" name="clinicId" value={r.clinicId} />
                        <button className="btn secondary small" type="submit" disabled={busy} aria-label={`Remove ${r.name} from the campaign`}>
                          Remove
                        </button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pages={pages} params={params} />
    </>
  );
}
