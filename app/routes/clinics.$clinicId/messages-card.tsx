import { Link } from "@remix-run/react";
import { absoluteTime, relativeTime } from "../../components/format.ts";

export interface ClinicMessageView {
  id: string;
  event: string;
  target: string;
  subject: string | null;
  status: { label: string; tone: string };
  createdAt: string | Date;
  settledAt: string | Date | null;
}

/** What the clinic admin was emailed, with its real delivery status: "Queued" until sent, "Sent" after. */
export function ClinicMessagesCard({ messages, now }: { messages: ClinicMessageView[]; now: number }) {
  return (
    <section className="card" aria-labelledby="msg-h">
      <h2 id="msg-h">Emails to the clinic</h2>
      {messages.length === 0 ? (
        <p className="hint">Nothing emailed to the clinic admin yet.</p>
      ) : (
        <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {messages.map((m) => (
            <li key={m.id} style={{ marginBottom: "0.5rem" }}>
              <span className={`badge tone-${m.status.tone}`}>{m.status.label}</span> {m.subject ?? "(no subject)"}
              <div className="hint" title={absoluteTime(m.settledAt ?? m.createdAt)}>
                {m.event === "reconnect_link"
                  ? "reconnect link"
                  : m.event === "briefing"
                    ? "weekly briefing"
                    : m.event === "recovered"
                      ? "works again"
                      : "alert"}{" "}
                to {m.target} · {m.settledAt ? `sent ${relativeTime(m.settledAt, now)}` : `queued ${relativeTime(m.createdAt, now)}`}
              </div>
            </li>
          ))}
        </ul>
      )}
      <p className="hint">
        <Link to="/deliveries">All deliveries</Link>
      </p>
    </section>
  );
}
