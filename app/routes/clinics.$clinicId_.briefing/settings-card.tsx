import { Form } from "@remix-run/react";
import { Field, type FieldErrors } from "../../components/forms.tsx";
import type { BriefingSetupData } from "./route.tsx";

/** Reads a refused form's value back (strings or repeated checkboxes), else the saved one. */
function pick(values: Record<string, unknown> | null, key: string): string[] | null {
  if (!values) return null;
  const v = values[key];
  return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

function ErrorLine({ errors, name }: { errors: FieldErrors; name: string }) {
  const e = errors?.[name]?.[0];
  return e ? (
    <div className="field-error" id={`f-${name}-error`}>
      {e}
    </div>
  ) : null;
}

/** The setup form: on/off, recipients, practitioners, excluded types, working hours, currency. Viewers see it read-only. */
export function SettingsCard({
  page,
  canEdit,
  errors,
  values,
  busy,
}: {
  page: BriefingSetupData;
  canEdit: boolean;
  errors: FieldErrors;
  values: Record<string, unknown> | null;
  busy: boolean;
}) {
  const s = page.settings;
  const text = (key: string, saved: string) => pick(values, key)?.[0] ?? saved;
  const chosen = (key: string, saved: string) => text(key, saved);
  const ticked = (key: string, id: string, saved: boolean) => pick(values, key)?.includes(id) ?? saved;
  const enabled = values ? pick(values, "enabled")?.includes("on") : s.enabled;
  const withoutAvailability = page.practitioners.filter((p) => !p.hasAvailability);
  return (
    <section className="card" aria-labelledby="settings-h">
      <h2 id="settings-h">Setup</h2>
      {canEdit ? null : (
        <p className="hint">Read-only: changing the briefing needs the agent or admin role{page.clinic.archived ? " and an active clinic" : ""}.</p>
      )}
      {/* why: keyed by what is saved, so a save (a redirect to this page) shows the stored values, not the typed ones */}
      <Form method="post" noValidate key={JSON.stringify(s)}>
        <fieldset disabled={!canEdit || busy} className="plain">
          <div className="field">
            <label className="checkbox">
              <input type="checkbox" name="enabled" value="on" defaultChecked={enabled} /> Send the weekly briefing
            </label>
          </div>
          <Field
            name="recipients"
            label="Recipients"
            errors={errors}
            hint={`One email address per line. Empty: the clinic admin (${page.clinic.adminEmail ?? "none on file"}).`}
          >
            {(p) => <textarea {...p} rows={3} defaultValue={text("recipients", s.recipients.join("\n"))} />}
          </Field>

          <h3 id="practitioners-h">Practitioners who count</h3>
          {page.practitioners.length === 0 ? (
            <p className="hint">No practitioners synced yet: they appear after the first sync.</p>
          ) : (
            <>
              <div className="field" role="radiogroup" aria-label="Practitioners who count">
                <label className="radio">
                  <input
                    type="radio"
                    name="practitionersChoice"
                    value="default"
                    defaultChecked={chosen("practitionersChoice", s.practitionersChoice) === "default"}
                  />{" "}
                  Default: active, with appointments in the last four weeks
                </label>
                <label className="radio">
                  <input
                    type="radio"
                    name="practitionersChoice"
                    value="chosen"
                    defaultChecked={chosen("practitionersChoice", s.practitionersChoice) === "chosen"}
                  />{" "}
                  Only the ones ticked
                </label>
              </div>
              <ul className="check-list" aria-describedby={errors?.practitionerIds ? "f-practitionerIds-error" : undefined}>
                {page.practitioners.map((p) => (
                  <li key={p.id}>
                    <label className="checkbox">
                      <input type="checkbox" name="practitionerIds" value={p.id} defaultChecked={ticked("practitionerIds", p.id, p.counted)} /> {p.name}
                      <span className="hint">
                        {" "}
                        · {p.active ? "active" : "inactive"} · {p.appointments} appointments in 4 weeks{p.byDefault ? " · counted by default" : ""}
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
              <ErrorLine errors={errors} name="practitionerIds" />
            </>
          )}

          <h3 id="types-h">Appointment types left out</h3>
          {page.appointmentTypes.length === 0 ? (
            <p className="hint">No appointment types synced yet.</p>
          ) : (
            <>
              <div className="field" role="radiogroup" aria-label="Appointment types left out">
                <label className="radio">
                  <input type="radio" name="typesChoice" value="default" defaultChecked={chosen("typesChoice", s.typesChoice) === "default"} /> Default: names
                  like break, lunch, admin, internal
                </label>
                <label className="radio">
                  <input type="radio" name="typesChoice" value="chosen" defaultChecked={chosen("typesChoice", s.typesChoice) === "chosen"} /> Only the ones
                  ticked
                </label>
              </div>
              <ul className="check-list">
                {page.appointmentTypes.map((t) => (
                  <li key={t.id}>
                    <label className="checkbox">
                      <input type="checkbox" name="excludedTypeIds" value={t.id} defaultChecked={ticked("excludedTypeIds", t.id, t.excluded)} /> {t.name}
                      {t.byDefault ? <span className="hint"> · left out by default</span> : null}
                      {t.archived ? <span className="hint"> · archived</span> : null}
                    </label>
                  </li>
                ))}
              </ul>
            </>
          )}

          <h3 id="hours-h">Working hours</h3>
          {page.practitioners.length === 0 ? (
            <p className="hint">Shown after the first sync, for practitioners without availability in the practice system.</p>
          ) : withoutAvailability.length === 0 ? (
            <p className="hint">Every synced practitioner has availability in the practice system: utilisation uses it.</p>
          ) : (
            <>
              <p className="hint">These practitioners have no availability in the practice system. Their hours stand in (the email says so).</p>
              {withoutAvailability.map((p) => (
                <Field key={p.id} name={`hours:${p.id}`} label={p.name} errors={errors} hint='For example "Mon-Fri 09:00-17:00; Sat 09:00-12:00"'>
                  {(props) => <input {...props} type="text" defaultValue={text(`hours:${p.id}`, s.workingHours[p.id] ?? "")} />}
                </Field>
              ))}
            </>
          )}

          <Field name="currency" label="Currency" errors={errors} hint={`Empty: ${s.defaultCurrency}, from the clinic's country (${page.clinic.country}).`}>
            {(p) => (
              <input {...p} className="short" type="text" maxLength={3} size={5} placeholder={s.defaultCurrency} defaultValue={text("currency", s.currency)} />
            )}
          </Field>
          {canEdit ? (
            <button className="btn" type="submit">
              {busy ? "Saving…" : "Save briefing setup"}
            </button>
          ) : null}
        </fieldset>
      </Form>
    </section>
  );
}
