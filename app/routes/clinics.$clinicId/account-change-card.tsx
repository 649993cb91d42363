import { Form } from "@remix-run/react";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import type { ClinicPageData } from "./route.tsx";

type Change = NonNullable<ClinicPageData["accountChange"]>;
type Account = Change["account"];

function AccountLine({ account: a }: { account: Account | null }) {
  if (!a) return <>not recorded</>;
  return (
    <>
      {a.name}
      {a.accountIds.length ? <div className="mono hint">ids {a.accountIds.join(", ")}</div> : null}
      {a.userId ? <div className="mono hint">user {a.userId}</div> : null}
    </>
  );
}

/**
 * A key for a different vendor account, held from the reconnect page (docs/decisions/0026): who it
 * belongs to against who the connection belonged to, the patient counts, and confirm / discard.
 */
export function AccountChangeCard({ change, canAct, busyIntent, now }: { change: Change; canAct: boolean; busyIntent: unknown; now: number }) {
  const drop = change.previousVisiblePatients !== null && change.visiblePatients * 2 <= change.previousVisiblePatients;
  return (
    <section className="card tone-warn" aria-labelledby="account-change-h">
      <h2 id="account-change-h">Account change waiting for support</h2>
      <p>
        {change.enteredBySupport
          ? "A key for a different account was entered on this page by support."
          : change.status === "awaiting_support"
            ? "The clinic admin entered a key for a different account and confirmed it is their practice."
            : "The clinic admin entered a key for a different account and has not answered yet whether it is their practice."}{" "}
        It is <strong>not connected</strong> until you confirm it.
      </p>
      <dl className="facts">
        <dt>New key</dt>
        <dd className="mono">{change.keyHint}</dd>
        <dt>Belongs to</dt>
        <dd>
          <AccountLine account={change.account} />
        </dd>
        <dt>Connected account</dt>
        <dd>
          <AccountLine account={change.previousAccount} />
        </dd>
        <dt>Key user</dt>
        <dd>{change.vendorUser ?? "—"}</dd>
        <dt>Visible patients</dt>
        <dd>
          {change.visiblePatients.toLocaleString("en-AU")}
          {change.visiblePatientsAtLeast ? "+" : ""} with the new key
          {change.previousVisiblePatients !== null ? `, ${change.previousVisiblePatients.toLocaleString("en-AU")} before` : ""}
          {drop ? <strong> — a large drop</strong> : null}
        </dd>
        <dt>Entered</dt>
        <dd title={absoluteTime(change.createdAt)}>{relativeTime(change.createdAt, now)}</dd>
      </dl>
      {canAct ? (
        <Form method="post" className="actions">
          <button className="btn" type="submit" name="intent" value="account-confirm" disabled={busyIntent === "account-confirm"}>
            {busyIntent === "account-confirm" ? "Checking the key…" : "Confirm account change and connect"}
          </button>
          <button className="btn secondary" type="submit" name="intent" value="account-discard" disabled={busyIntent === "account-discard"}>
            Discard the held key
          </button>
        </Form>
      ) : null}
      <p className="hint">Confirm only after speaking to the clinic: synced records of the old and new account must not be mixed.</p>
    </section>
  );
}
