import type { VerdictView } from "../../domain/clinics/add-clinic.ts";
import { formatPatientCount, formatPatientsVisible } from "./format.ts";

/** A live key check in plain words: the taxonomy's title, what to tell the clinic, what was cleaned. */
export function KeyVerdict({ verdict, regionLabel }: { verdict: VerdictView; regionLabel?: (region: string) => string }) {
  if (verdict.ok) {
    return (
      <div className="result tone-ok" role="status">
        <strong>✓ {verdict.title}</strong> — connected as {verdict.connectedAs};{" "}
        {formatPatientsVisible(verdict.visiblePatients ?? 0, verdict.visiblePatientsAtLeast)}.
        <CleanedNotes notes={verdict.notes} />
      </div>
    );
  }
  return (
    <div className="result tone-bad verdict" role="alert">
      <strong>⚠ Not saved: {verdict.title}</strong>
      {verdict.detail ? <p>{verdict.detail}</p> : null}
      {verdict.suggestedRegion ? (
        // why: "pick that region" offered no way to pick a Cliniko shard here; one click re-checks there
        // (the button sits inside the add-clinic form, so the key typed in the field goes with it)
        <p>
          <strong>The key works in {regionLabel ? regionLabel(verdict.suggestedRegion) : verdict.suggestedRegion}.</strong>{" "}
          <button className="btn small" type="submit" name="useRegion" value={verdict.suggestedRegion}>
            Use {regionLabel ? regionLabel(verdict.suggestedRegion) : verdict.suggestedRegion} and check again
          </button>
        </p>
      ) : null}
      {verdict.visiblePatients !== null ? (
        <p>
          The key signs in{verdict.connectedAs ? ` as ${verdict.connectedAs}` : ""} but sees{" "}
          {formatPatientCount(verdict.visiblePatients, verdict.visiblePatientsAtLeast)} patients.
        </p>
      ) : null}
      <dl className="facts">
        {verdict.clinicMessage ? (
          <>
            <dt>Tell the clinic</dt>
            <dd>{verdict.clinicMessage}</dd>
          </>
        ) : null}
        {verdict.supportMessage ? (
          <>
            <dt>For support</dt>
            <dd>{verdict.supportMessage}</dd>
          </>
        ) : null}
      </dl>
      <CleanedNotes notes={verdict.notes} />
    </div>
  );
}

function CleanedNotes({ notes }: { notes: string[] }) {
  if (notes.length === 0) return null;
  return <div className="hint">Cleaned from the paste: {notes.join(" ")}</div>;
}
