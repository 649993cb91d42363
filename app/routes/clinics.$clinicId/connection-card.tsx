import { Form, Link } from "@remix-run/react";
import { TAXONOMY, whoMustAct, type FailureInfo } from "../../../domain/health/taxonomy.ts";
import { formatPatientCount, formatPatientsVisible, relativeTime } from "../../components/format.ts";
import { LocalTime } from "../../components/local-time.tsx";
import { FailureText } from "../../components/state-badge.tsx";
import type { ClinicActionData, ClinicPageData } from "./route.tsx";
import { STATE_LABELS, SYNC_STATE_LABELS, VENDOR_LABELS } from "../../../domain/vocabulary.ts";

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

/**
 * While we wait on the vendor (outage, throttling, network: the taxonomy's audience), a new key will
 * not help: say so, and show the other clinics on the same vendor and region (a clinics-table URL).
 */
function VendorWait({ connection }: { connection: NonNullable<ClinicPageData["connection"]> }) {
  const others = `/clinics?${new URLSearchParams({ vendor: connection.vendor, region: connection.region, broken: "now" }).toString()}`;
  return (
    <div className="result tone-warn vendor-wait" role="note">
      <strong>Waiting on {VENDOR_LABELS[connection.vendor]}: a new key will not help.</strong> The vendor is not answering normally; the key is not the problem,
      so do not ask the clinic to reconnect. Probes keep retrying and the connection recovers on its own.{" "}
      <Link to={others}>
        Other clinics on {VENDOR_LABELS[connection.vendor]} {connection.region} that are broken now
      </Link>
    </div>
  );
}

const FAILURE_BOX: Record<NonNullable<ReturnType<typeof whoMustAct>>, string> = {
  clinic: "form-error",
  vendor: "result tone-warn",
  paused: "result tone-idle",
  us: "result tone-info",
};

/** The connection's facts, the failure in words, and probe / apply region / pause / resume. */
export function ConnectionCard({
  connection,
  info,
  canAct,
  busyIntent,
  result,
  now,
  clinicZone,
}: {
  connection: ClinicPageData["connection"];
  info: FailureInfo | null;
  canAct: boolean;
  busyIntent: FormDataEntryValue | null | undefined;
  result: ClinicActionData;
  now: number;
  clinicZone: string;
}) {
  const when = (at: string | Date | null, none: string) =>
    at ? (
      <>
        {relativeTime(at, now)} · <LocalTime at={at} clinicZone={clinicZone} />
      </>
    ) : (
      none
    );
  return (
    <section className="card" aria-labelledby="conn-h">
      <h2 id="conn-h">Connection</h2>
      {connection ? (
        <>
          {info ? (
            // why the tone: colour says who must act (decision 0028) here too — red only when the clinic must
            <div className={FAILURE_BOX[whoMustAct(connection.state, connection.failureCode) ?? "clinic"]} role="status" style={{ marginBottom: "1rem" }}>
              <strong>{info.title}.</strong> {info.supportMessage}
            </div>
          ) : null}
          {whoMustAct(connection.state, connection.failureCode) === "vendor" ? <VendorWait connection={connection} /> : null}
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
            <dd>{when(connection.lastProbeAt, "never")}</dd>
            <dt>Last success</dt>
            <dd>{when(connection.lastSuccessAt, "never")}</dd>
            <dt>Failing since</dt>
            <dd>{when(connection.firstFailureAt, "—")}</dd>
            <dt>Last sync</dt>
            <dd>
              {connection.syncState ? (
                <>
                  {SYNC_STATE_LABELS[connection.syncState]} · {connection.lastSyncAt ? relativeTime(connection.lastSyncAt, now) : ""}
                </>
              ) : (
                "never"
              )}
              {connection.lastSyncSuccessAt ? <span className="hint"> · last success {relativeTime(connection.lastSyncSuccessAt, now)}</span> : null}
            </dd>
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
