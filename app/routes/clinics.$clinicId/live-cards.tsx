import { Form } from "@remix-run/react";
import { TAXONOMY, whoMustAct } from "../../../domain/health/taxonomy.ts";
import { CopyButton } from "../../components/copy-button.tsx";
import { absoluteTime } from "../../components/format.ts";
import { Field } from "../../components/forms.tsx";
import type { CardErrors, ClinicActionData, ClinicConnection, ClinicPageData } from "./route.tsx";
import { VENDOR_LABELS } from "../../../domain/vocabulary.ts";

/** Creates (and optionally emails) a reconnect link; the link is shown once, here. */
export function ReconnectLinkCard({
  clinic,
  connection,
  errors,
  result,
}: {
  clinic: ClinicPageData["clinic"];
  connection: ClinicConnection;
  errors: CardErrors;
  result: ClinicActionData;
}) {
  // why only when the clinic must act: "Vendor unavailable: please enter a new key" asks for what will not help
  const defaultPurpose =
    connection.failureCode && whoMustAct(connection.state, connection.failureCode) === "clinic"
      ? `${TAXONOMY[connection.failureCode].title}: please enter a new ${connection.vendor === "nookal" ? "Nookal" : "Cliniko"} API key`
      : "Please enter a new API key";
  return (
    <section className="card" aria-labelledby="link-h">
      <h2 id="link-h">Reconnect link</h2>
      <p className="hint">
        A new link replaces the earlier one you made; links in action-needed emails keep working until their expiry. Once the clinic uses any link, the others
        stop. The clinic admin pastes a new key and sees the verdict at once.
      </p>
      <Form method="post" noValidate>
        <Field name="purpose" label="What the clinic reads" errors={errors}>
          {(p) => <input {...p} defaultValue={defaultPurpose} />}
        </Field>
        <div className="actions">
          <button className="btn" type="submit" name="intent" value="link-create">
            Create link
          </button>
          <button className="btn secondary" type="submit" name="intent" value="link-email" disabled={!clinic.adminEmail}>
            Create and email to {clinic.adminEmail ?? "admin (no email on file)"}
          </button>
        </div>
      </Form>
      {result && "intent" in result && result.intent === "link" ? (
        <div className="result tone-ok" role="status">
          <strong>Link created</strong> — valid until {absoluteTime(result.link.expiresAt)}.{" "}
          {result.link.emailedTo ? `Email queued to ${result.link.emailedTo}; Deliveries shows when it is sent.` : "Copy it now: it is shown only once."}
          <div className="copy-row">
            <input readOnly value={result.link.url} aria-label="Reconnect link" className="mono" />
            <CopyButton text={result.link.url} label="Copy link" />
          </div>
        </div>
      ) : null}
    </section>
  );
}

/** "Is one patient missing?": a live search through the clinic's key that shows only the count. */
export function LookupCard({
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
  return (
    <section className="card" aria-labelledby="lookup-h">
      <h2 id="lookup-h">Is one patient missing?</h2>
      <p className="hint">
        Searches {VENDOR_LABELS[connection.vendor]} live through the clinic&apos;s key. Only the number of matches is shown; nothing is stored.
      </p>
      <Form method="post" noValidate className="inline-form">
        <input type="hidden" name="intent" value="lookup" />
        <Field name="patientName" label="Patient name" errors={errors}>
          {(p) => <input {...p} autoComplete="off" />}
        </Field>
        <button className="btn secondary" type="submit" disabled={busyIntent === "lookup"}>
          {busyIntent === "lookup" ? "Searching…" : "Search"}
        </button>
      </Form>
      {result && "intent" in result && result.intent === "lookup" ? (
        <div className={`result tone-${result.lookup.ok ? (result.lookup.matches ? "ok" : "bad") : "bad"}`} role="status">
          {result.lookup.ok
            ? result.lookup.matches
              ? `${result.lookup.matches}${result.lookup.capped ? "+" : ""} patient${result.lookup.matches === 1 ? "" : "s"} match “${result.searched}”: the key can see them.`
              : `No patient matches “${result.searched}” through this key. If the clinic sees them in ${VENDOR_LABELS[connection.vendor]}, escalate as "one patient missing".`
            : result.lookup.message}
        </div>
      ) : null}
    </section>
  );
}

/** Support records that the clinic is copying notes by hand for the day; the escalation packet carries it. */
export function ManualNotesCard({
  manualNotes,
  errors,
  now,
}: {
  manualNotes: { since: string; note: string | null; by: string } | null;
  errors: CardErrors;
  now: number;
}) {
  const today = manualNotes && now - new Date(manualNotes.since).getTime() < 86_400_000;
  return (
    <section className="card" aria-labelledby="manual-h">
      <h2 id="manual-h">Copying notes by hand?</h2>
      {manualNotes ? (
        <>
          <p>
            <strong>Yes{today ? ", today" : ""}:</strong> since {absoluteTime(manualNotes.since)} (recorded by {manualNotes.by})
            {manualNotes.note ? ` — ${manualNotes.note}` : ""}. The escalation packet says so.
          </p>
          <Form method="post">
            <input type="hidden" name="intent" value="manual-notes-off" />
            <button className="btn secondary" type="submit">
              They stopped copying by hand
            </button>
          </Form>
        </>
      ) : (
        <Form method="post" noValidate className="inline-form">
          <input type="hidden" name="intent" value="manual-notes-on" />
          <Field name="manualNote" label="The clinic is copying notes by hand today (note optional)" errors={errors}>
            {(p) => <input {...p} autoComplete="off" placeholder="e.g. front desk copies today's notes in by hand" />}
          </Field>
          <button className="btn secondary" type="submit">
            Record it
          </button>
        </Form>
      )}
    </section>
  );
}
