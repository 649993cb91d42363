import { Form } from "@remix-run/react";
import { TAXONOMY, type FailureInfo } from "../../../domain/health/taxonomy.ts";
import { absoluteTime, formatPatientCount, formatPatientsVisible, relativeTime } from "../../components/format.ts";
import { FailureText } from "../../components/state-badge.tsx";
import type { ClinicActionData, ClinicPageData } from "./route.tsx";
import { STATE_LABELS, VENDOR_LABELS } from "../../../domain/vocabulary.ts";

type Probe = { outcome: string; failureCode: string | null; state: string | null; ms: number; visiblePatients: number | null; visiblePatientsAtLeast: boolean };

function ProbeResult({ probe }: { probe: Probe }) {
  const info = probe.failureCode ? TAXONOMY[probe.failureCode as keyof typeof TAXONOMY] : null;
  const tone = probe.outcome === "healthy" ? "ok" : probe.outcome === "failed" ? "bad" : "info";
  return (
    <div className={`result tone-${tone}`} role="status">
      <strong>
        {probe.outcome === "healthy"
          ? "Probe succeeded"
          : probe.outcome === "failed"
            ? `Probe failed: ${info?.title ?? probe.failureCode}`
            : probe.outcome === "conflict"
              ? "Someone changed the connection meanwhile"
              : "Probe skipped"}
      </strong>{" "}
      in {probe.ms} ms.
      {probe.visiblePatients !== null ? ` ${formatPatientsVisible(probe.visiblePatients, probe.visiblePatientsAtLeast)}.` : ""}
      {probe.state ? ` Now ${STATE_LABELS[probe.state as keyof typeof STATE_LABELS]}.` : ""}
      {info ? <div>{info.supportMessage}</div> : null}
    </div>
  );
}

/** The connection's facts, the failure in words, and probe / apply region / pause / resume. */
export function ConnectionCard({
  connection,
  info,
  canAct,
  busyIntent,
  result,
  now,
}: {
  connection: ClinicPageData["connection"];
  info: FailureInfo | null;
  canAct: boolean;
  busyIntent: FormDataEntryValue | null | undefined;
  result: ClinicActionData;
  now: number;
}) {
  return (
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
            <dt>Account</dt>
            <dd>
              {connection.vendorAccount ? (
                <>
                  {connection.vendorAccount.name}
                  {connection.vendorAccount.accountIds.length ? <span className="mono hint"> {connection.vendorAccount.accountIds.join(", ")}</span> : null}
                </>
              ) : (
                "not learned yet"
              )}
            </dd>
            <dt>Visible patients</dt>
            <dd>{formatPatientCount(connection.visiblePatientCount, connection.visiblePatientsAtLeast)}</dd>
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
  );
}
