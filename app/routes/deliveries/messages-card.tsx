import { Form } from "@remix-run/react";
import { Pager } from "../../components/forms.tsx";
import { absoluteTime, formatCount, relativeTime } from "../../components/format.ts";
import { messageStatusLabel, type NotificationStatus } from "../../../domain/vocabulary.ts";

export interface MessageView {
  id: string;
  event: string;
  channel: string;
  target: string;
  /** Null for a message about no clinic (a webhook subscription disabled). */
  clinicName: string | null;
  audience: string;
  carriesLink: boolean;
  subject: string | null;
  text: string | null;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string | Date;
  settledAt: string | Date | null;
}

/** Every stored message with its delivery status; bodies only arrive for admins (the loader decides). */
export function MessagesCard({
  outbox,
  page,
  pages,
  params,
  now,
  canResend,
}: {
  canResend: boolean;
  outbox: { rows: MessageView[]; total: number };
  page: number;
  pages: number;
  params: URLSearchParams;
  now: number;
}) {
  return (
    <section className="card" aria-labelledby="ob-h">
      <div className="page-head" style={{ marginBottom: "0.5rem" }}>
        <h2 id="ob-h">Messages</h2>
        <Form method="get" className="filters" style={{ margin: 0 }}>
          <label style={{ display: "flex", gap: "0.4rem", alignItems: "center", fontWeight: 400 }}>
            <input type="checkbox" name="unsent" value="1" defaultChecked={params.get("unsent") === "1"} style={{ width: "auto" }} /> Only not sent
          </label>
          <button className="btn secondary" type="submit">
            Show
          </button>
        </Form>
      </div>
      {outbox.rows.length === 0 ? (
        <p className="hint">No messages yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Clinic and subject</th>
                <th scope="col">Queued</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {outbox.rows.map((m) => {
                const status = messageStatusLabel(m.status, m.status === "queued" && m.lastError !== null);
                return (
                  <tr key={m.id}>
                    <td>
                      {m.target}
                      <div className="hint">
                        {m.channel === "webhook"
                          ? "webhook"
                          : m.event === "reconnect_link"
                            ? "reconnect link email"
                            : m.event === "briefing"
                              ? "weekly briefing email"
                              : m.event === "webhook_disabled"
                                ? "webhook disabled email"
                                : `alert email (${m.event})`}
                      </div>
                    </td>
                    <td>
                      <div>{m.clinicName ?? "—"}</div>
                      {m.text !== null ? (
                        <details>
                          <summary>{m.subject ?? "(webhook body)"}</summary>
                          <pre className="mono" style={{ whiteSpace: "pre-wrap", margin: "0.5rem 0 0" }}>
                            {m.text}
                          </pre>
                        </details>
                      ) : (
                        <div className="hint">{m.subject ?? ""}</div>
                      )}
                      {m.lastError ? <div className="field-error">Last error: {m.lastError}</div> : null}
                      {m.carriesLink && m.audience === "clinic_admin" ? (
                        <div style={{ display: "flex", gap: "0.6rem", alignItems: "center", flexWrap: "wrap", marginTop: "0.35rem" }}>
                          <span className="hint">Its link is masked (…last four characters) and never shown again.</span>
                          {canResend ? (
                            <Form method="post">
                              <input type="hidden" name="intent" value="resend-link" />
                              <input type="hidden" name="notificationId" value={m.id} />
                              <button className="btn secondary small" type="submit">
                                Resend a new link
                              </button>
                            </Form>
                          ) : null}
                        </div>
                      ) : null}
                    </td>
                    <td title={absoluteTime(m.createdAt)}>{relativeTime(m.createdAt, now)}</td>
                    <td>
                      <span className={`badge tone-${status.tone}`}>{status.label}</span>
                      {m.settledAt ? (
                        <div className="hint" title={absoluteTime(m.settledAt)}>
                          {relativeTime(m.settledAt, now)} · {m.attempts} attempt{m.attempts === 1 ? "" : "s"}
                        </div>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <p className="hint">{formatCount(outbox.total)} messages.</p>
      <Pager page={page} pages={pages} params={params} label="Outbox pages" />
    </section>
  );
}
