import type { BriefingSetupData } from "./route.tsx";

const TONE = { sent: "ok", held: "bad", skipped: "warn", due: "idle" } as const;

/** Every briefed week: sent (and whether late), held or skipped, with the recorded reason. */
export function HistoryCard({ history }: { history: BriefingSetupData["history"] }) {
  return (
    <section className="card" aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      {history.length === 0 ? (
        <p className="hint">No briefing yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data compact">
            <thead>
              <tr>
                <th scope="col">Week</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.weekStart}>
                  <td style={{ whiteSpace: "nowrap" }}>{h.week}</td>
                  <td>
                    <span className={`badge tone-${TONE[h.state]}`}>{h.stateLabel}</span>
                    {h.late ? <span className="badge tone-warn"> Late</span> : null}
                  </td>
                  {/* why: the narrow column: long addresses and reasons wrap instead of scrolling the table */}
                  <td style={{ overflowWrap: "anywhere" }}>
                    {h.sentAt ? (
                      <div>
                        Sent {h.sentAt} to {h.recipients.join(", ")}
                      </div>
                    ) : null}
                    {h.reason ? <div className="hint">{h.state === "sent" ? `Held first: ${h.reason}` : h.reason}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
