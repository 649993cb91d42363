import { Form, useSearchParams } from "@remix-run/react";
import { WEBHOOK_DELIVERY_STATUS_LABELS } from "../../../domain/vocabulary.ts";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import { Pager } from "../../components/forms.tsx";
import type { loader } from "./route.tsx";

type View = Awaited<ReturnType<typeof loader>>;

/** The subscription's delivery log: each event's delivery, its attempts and the receiver's answers; admins redeliver. */
export function DeliveryLog({
  deliveries,
  enabled,
  isAdmin,
  busy,
  now,
  page,
  pages,
  total,
  pageSize,
}: Pick<View, "deliveries" | "now" | "page" | "pages" | "total" | "pageSize"> & { enabled: boolean; isAdmin: boolean; busy: boolean }) {
  const [params] = useSearchParams();
  return (
    <section className="card" aria-labelledby="log-h">
      <h2 id="log-h">Delivery log</h2>
      <p className="hint">
        Each event is tried until the receiver answers 2xx: after 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h, for 72 hours in all. Then it is dead;
        redelivering starts it over.
      </p>
      {deliveries.length === 0 ? (
        <p className="hint">No deliveries yet: events recorded from now on appear here within seconds of happening.</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                {isAdmin ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => {
                const st = WEBHOOK_DELIVERY_STATUS_LABELS[d.status];
                const waiting = d.status === "pending" || d.status === "failed";
                return (
                  <tr key={d.id}>
                    <td>
                      <div className="mono">{d.eventType}</div>
                      <div className="hint mono" title="The webhook-id header">
                        {d.eventId}
                      </div>
                      <div className="hint" title={absoluteTime(d.createdAt)}>
                        {relativeTime(d.createdAt, now)}
                      </div>
                    </td>
                    <td>
                      <span className={`badge tone-${st.tone}`}>{st.label}</span>
                    </td>
                    <td>
                      {d.attempts.length === 0 ? (
                        "0"
                      ) : (
                        <details>
                          <summary>{d.attemptCount}</summary>
                          <ol style={{ margin: "0.4rem 0 0", paddingLeft: "1.2rem" }}>
                            {d.attempts.map((a) => (
                              <li key={a.attempt}>
                                <span title={absoluteTime(a.at)}>{relativeTime(a.at, now)}</span>: {a.ok ? "delivered" : "failed"}
                                {a.httpStatus !== null ? <span className="mono"> {a.httpStatus}</span> : null} · {a.durationMs} ms
                                {a.error ? <div className="hint">{a.error}</div> : null}
                              </li>
                            ))}
                          </ol>
                        </details>
                      )}
                    </td>
                    <td>
                      {d.lastHttpStatus !== null ? <span className="mono">{d.lastHttpStatus}</span> : d.attemptCount > 0 ? "no answer" : "—"}
                      {d.lastError ? <div className="hint">{d.lastError.slice(0, 160)}</div> : null}
                    </td>
                    <td>
                      {!waiting ? (
                        "—"
                      ) : enabled ? (
                        <span title={absoluteTime(d.nextAttemptAt)}>{relativeTime(d.nextAttemptAt, now)}</span>
                      ) : (
                        <span className="hint">paused</span>
                      )}
                    </td>
                    {isAdmin ? (
                      <td>
                        <Form method="post">
                          <input type="hidden" name="deliveryId" value={d.id} />
                          <button className="btn secondary" type="submit" name="intent" value="redeliver" disabled={busy}>
                            Redeliver
                          </button>
                        </Form>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 ? <Pager page={page} pages={pages} params={params} label="Delivery pages" total={total} pageSize={pageSize} /> : null}
    </section>
  );
}
