import { COMMON_TIME_ZONES } from "../../domain/clinics/clinic-fields.ts";
import { Field, type FieldErrors } from "./forms.tsx";

export interface ClinicFormValues {
  name?: string | null;
  timeZone?: string | null;
  timeZoneOther?: string | null;
  country?: string | null;
  adminName?: string | null;
  adminEmail?: string | null;
}

const COUNTRIES: [string, string][] = [
  ["AU", "Australia"],
  ["NZ", "New Zealand"],
  ["GB", "United Kingdom"],
  ["IE", "Ireland"],
  ["CA", "Canada"],
  ["US", "United States"],
];

/**
 * The typed zone wins over the list. why: a select of common zones plus a free text box works
 * without JavaScript, where a select that reveals a box on "Other…" would not.
 */
export function timeZoneOf(values: ClinicFormValues): string {
  return (values.timeZoneOther ?? "").trim() || (values.timeZone ?? "");
}

/** Name, time zone, country and admin contact: the same controls on the add and edit pages. */
export function ClinicDetailsFields({ values, errors }: { values: ClinicFormValues; errors?: FieldErrors }) {
  const listed = (COMMON_TIME_ZONES as readonly string[]).includes(values.timeZone ?? "");
  return (
    <>
      <Field name="name" label="Clinic name" errors={errors}>
        {(p) => <input {...p} defaultValue={values.name ?? ""} autoComplete="off" />}
      </Field>
      <div className="field-pair">
        <Field name="timeZone" label="Time zone" errors={errors}>
          {(p) => (
            <select {...p} defaultValue={listed ? (values.timeZone ?? "") : ""}>
              <option value="">Pick a time zone</option>
              {COMMON_TIME_ZONES.map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, " ")}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="timeZoneOther" label="…or another zone" errors={errors} hint="Any IANA name, e.g. Asia/Singapore">
          {(p) => <input {...p} defaultValue={values.timeZoneOther ?? (listed ? "" : (values.timeZone ?? ""))} autoComplete="off" spellCheck={false} />}
        </Field>
      </div>
      <Field name="country" label="Country" errors={errors} hint="Two-letter code (GB for the United Kingdom)">
        {(p) => (
          <>
            <input {...p} defaultValue={values.country ?? ""} list="country-codes" maxLength={2} autoComplete="off" className="short" />
            <datalist id="country-codes">
              {COUNTRIES.map(([code, name]) => (
                <option key={code} value={code}>
                  {name}
                </option>
              ))}
            </datalist>
          </>
        )}
      </Field>
      <div className="field-pair">
        <Field name="adminName" label="Clinic admin's name" errors={errors}>
          {(p) => <input {...p} defaultValue={values.adminName ?? ""} autoComplete="off" />}
        </Field>
        <Field name="adminEmail" label="Clinic admin's email" errors={errors} hint="Reconnect links and alerts go here">
          {(p) => <input {...p} type="email" defaultValue={values.adminEmail ?? ""} autoComplete="off" />}
        </Field>
      </div>
    </>
  );
}
