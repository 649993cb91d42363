import { Form } from "@remix-run/react";
import { absoluteTime } from "../../components/format.ts";
import { Field } from "../../components/forms.tsx";
import { NOOKAL_REGIONS, NOOKAL_REGION_LABELS, VENDOR_LABELS } from "../../../domain/vocabulary.ts";
import type { CardErrors, ClinicActionData, ClinicConnection } from "./route.tsx";

/**
 * Support enters a new key the clinic gave them (phone, ticket): checked live with the same identity
 * rules as the reconnect page, and a pre-approval for an expected move to another vendor account.
 * The key field is never refilled from the server.
 */
export function SupportKeyCard({
  connection,
  errors,
  result,
  busyIntent,
}: {
  connection: ClinicConnection;
  errors: CardErrors;
  result: ClinicActionData;
  busyIntent: FormDataEntryValue | null | undefined;
}) {
  const verdict = result && "intent" in result && result.intent === "key" ? result.verdict : null;
  const pre = connection.accountChangePreapproval;
  return (
    <section className="card" aria-labelledby="support-key-h">
      <h2 id="support-key-h">Enter a new key for the clinic</h2>
      <p className="hint">
        When the clinic sends you a new {VENDOR_LABELS[connection.vendor]} key: it is checked live first. A key of another account is held for you to confirm; a
        key another clinic uses is refused.
      </p>
      {/* why the key: a stored key remounts the form, so the pasted key does not linger in the field */}
      <Form method="post" noValidate key={String(connection.keyUpdatedAt ?? "none")}>
        <input type="hidden" name="intent" value="key-enter" />
        <Field name="key" label={`New ${VENDOR_LABELS[connection.vendor]} API key`} errors={errors}>
          {(p) => <input {...p} type="password" autoComplete="off" spellCheck={false} className="mono" />}
        </Field>
        {connection.vendor === "nookal" ? (
          <Field name="region" label="Nookal region" errors={errors}>
            {(p) => (
              <select {...p} defaultValue={connection.region}>
                {NOOKAL_REGIONS.map((r) => (
                  <option key={r} value={r}>
                    {NOOKAL_REGION_LABELS[r]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <div className="actions">
          <button className="btn" type="submit" disabled={busyIntent === "key-enter"}>
            {busyIntent === "key-enter" ? "Checking the key…" : "Check and store the key"}
          </button>
        </div>
      </Form>
      {verdict ? (
        <div className="result tone-bad" role="alert">
          <strong>Not stored: {verdict.title}.</strong> {verdict.supportMessage ?? verdict.detail}
          {verdict.suggestedRegion ? ` It works in ${verdict.suggestedRegion}.` : ""}
        </div>
      ) : null}
      <h3 id="preapprove-h">Moving to a different vendor account?</h3>
      {pre ? (
        <div className="result tone-warn" role="note" aria-labelledby="preapprove-h">
          <strong>Pre-approved</strong> by {pre.by} on {absoluteTime(pre.at)}: “{pre.note}”. The next working key of another account connects without asking the
          clinic.
          <Form method="post">
            <input type="hidden" name="intent" value="account-preapprove-withdraw" />
            <button className="btn secondary small" type="submit">
              Withdraw the pre-approval
            </button>
          </Form>
        </div>
      ) : (
        <Form method="post" noValidate aria-labelledby="preapprove-h">
          <input type="hidden" name="intent" value="account-preapprove" />
          <Field
            name="preapprovalNote"
            label="Why (kept on the timeline and in the audit log)"
            errors={errors}
            hint="The next working key of another account then connects without asking the clinic, once."
          >
            {(p) => <input {...p} autoComplete="off" placeholder="e.g. migrated to a new Cliniko account on 1 Dec" />}
          </Field>
          <div className="actions">
            <button className="btn secondary" type="submit">
              Pre-approve the account change
            </button>
          </div>
        </Form>
      )}
    </section>
  );
}
