import { Form } from "@remix-run/react";
import type { SyncState } from "../../../domain/vocabulary.ts";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import type { ClinicPageData } from "./route.tsx";

type Sync = NonNullable<ClinicPageData["sync"]>;

const TONE: Record<SyncState, "ok" | "warn" | "bad" | "idle"> = { running: "warn", succeeded: "ok", failed: "bad", paused: "idle" };
const n = new Intl.NumberFormat("en");

/**
 * The connection's sync (docs/decisions/0033-sync.md): the latest run with a progress bar while it
 * runs (the page re-reads every few seconds then), each resource's state, records seen / changed
 * and pages done of total, the last error, and a short history of runs.
 */
export function SyncCard({ sync, canAct, busyIntent, now }: { sync: Sync; canAct: boolean; busyIntent: FormDataEntryValue | null | undefined; now: number }) {
  const latest = sync.latest;
  return (
    <section className="card sync-card" aria-labelledby="sync-h">
      <div className="card-head">
        <h2 id="sync-h">Sync</h2>
        {latest ? <span className={`badge tone-${TONE[latest.state]}`}>{latest.stateLabel}</span> : <span className="badge tone-idle">Never synced</span>}
      </div>
      {latest ? (
        <>
          <div
            className={`progress tone-${TONE[latest.state]}`}
            role="progressbar"
            aria-label="Sync progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={latest.percent}
            aria-valuetext={`${latest.pagesDone} of ${latest.pagesTotal} pages`}
          >
            <span style={{ width: `${latest.percent}%` }} />
          </div>
          <p className="hint">
            {latest.state === "running" ? "Running: " : `${latest.stateLabel} ${relativeTime(latest.finishedAt ?? latest.startedAt, now)}: `}
            {n.format(latest.pagesDone)} of {n.format(latest.pagesTotal)} pages · {n.format(latest.recordsSeen)} records seen, {n.format(latest.recordsChanged)}{" "}
            changed · started {absoluteTime(latest.startedAt)}
            {latest.finishedAt ? `, finished ${absoluteTime(latest.finishedAt)}` : ""}
            {sync.account ? ` · account ${sync.account}` : ""}
          </p>
          {latest.lastError ? (
            <p className="result tone-bad" role="note">
              {latest.failedResource ? <strong>{latest.failedResource}: </strong> : null}
              <span className="mono">{latest.lastError}</span>
            </p>
          ) : null}
        </>
      ) : (
        <p className="hint">No sync has run for this connection yet. The schedule reaches it within the hour, or sync it now.</p>
      )}
      {sync.resources.length ? (
        <div className="table-wrap">
          <table className="compact sync-resources">
            <caption className="visually-hidden">Sync by resource</caption>
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">State</th>
                <th scope="col">Pages</th>
                <th scope="col">Seen / changed</th>
                <th scope="col">Kept</th>
              </tr>
            </thead>
            <tbody>
              {sync.resources.map((r) => (
                <tr key={r.resource}>
                  <th scope="row">{r.label}</th>
                  <td>
                    <span className={`badge tone-${r.state ? TONE[r.state] : "idle"}`}>{r.stateLabel}</span>
                    {r.lastError ? <div className="hint mono">{r.lastError}</div> : null}
                  </td>
                  <td>
                    {n.format(r.pagesDone)} / {n.format(r.pagesTotal)}
                  </td>
                  <td>
                    {n.format(r.recordsSeen)} / {n.format(r.recordsChanged)}
                  </td>
                  <td title={r.lastSuccessAt ? `Last success ${absoluteTime(r.lastSuccessAt)}` : "Never succeeded"}>
                    {r.liveCount === null ? "—" : n.format(r.liveCount)}
                    {r.lastFullCheckAt ? <div className="hint">Last full check {absoluteTime(r.lastFullCheckAt)}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {sync.history.length > 1 ? (
        <details>
          <summary>Recent runs</summary>
          <ul className="plain sync-history">
            {sync.history.map((h) => (
              <li key={h.id}>
                <span className={`badge tone-${TONE[h.state]}`}>{h.stateLabel}</span> {absoluteTime(h.startedAt)} ({h.trigger}) · {n.format(h.recordsSeen)}{" "}
                seen, {n.format(h.recordsChanged)} changed{h.failedResource ? ` · stopped at ${h.failedResource}` : ""}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {canAct ? (
        <Form method="post" className="actions">
          <button className="btn" type="submit" name="intent" value="sync" disabled={busyIntent === "sync" || sync.running}>
            {sync.running ? "Sync running…" : busyIntent === "sync" ? "Requesting…" : "Sync now"}
          </button>
        </Form>
      ) : null}
    </section>
  );
}
