import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { addClinicByHand, AddClinicSchema, type VerdictView } from "../../domain/clinics/add-clinic.ts";
import { COMMON_TIME_ZONES } from "../../domain/clinics/clinic-fields.ts";
import { ClinicDetailsFields, timeZoneOf, type ClinicFormValues } from "../components/clinic-fields.tsx";
import { Field, FormError } from "../components/forms.tsx";
import { KeyVerdict } from "../components/key-verdict.tsx";
import { formatPatientsVisible } from "../components/format.ts";
import { runAction } from "../actions.server.ts";
import type { FormFields } from "../forms.server.ts";
import { redirectWithFlash, requireRole } from "../session.server.ts";
import { NOOKAL_REGION_LABELS, NOOKAL_REGIONS, type NookalRegion, VENDOR_LABELS } from "../../domain/vocabulary.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Add a clinic · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context.services, "agent");
  return { timeZones: COMMON_TIME_ZONES };
}

/** Everything the person typed except the key, so a failed check can refill the form without ever echoing the key. */
function safeValues(form: FormFields): ClinicFormValues & { vendor?: string; region?: string; apiVersion?: string } {
  const s = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : undefined);
  return {
    name: s("name"),
    timeZone: s("timeZone"),
    timeZoneOther: s("timeZoneOther"),
    country: s("country"),
    adminName: s("adminName"),
    adminEmail: s("adminEmail"),
    vendor: s("vendor"),
    region: s("region"),
    apiVersion: s("apiVersion"),
  };
}

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    {
      role: "agent",
      schema: AddClinicSchema,
      prepare: (form) => ({ ...form, timeZone: timeZoneOf(safeValues(form)) }),
      echo: (form) => ({ values: safeValues(form), verdict: null as VerdictView | null }),
    },
    async ({ input, form, actor, services, request }) => {
      const result = await addClinicByHand({ input, actor }, { db: services.db, keyring: services.keyring, vendors: services.vendors });
      if (!result.ok)
        return data(
          { ok: false as const, fieldErrors: {} as Record<string, string[] | undefined>, values: safeValues(form), verdict: result.verdict },
          { status: 422 },
        );
      const v = result.verdict;
      return redirectWithFlash(
        request,
        services,
        `/clinics/${result.clinicId}`,
        `${input.name} added. The key ${result.keyHint} works: connected as ${v.connectedAs}, ${formatPatientsVisible(v.visiblePatients ?? 0, v.visiblePatientsAtLeast)}.${v.notes.length ? ` ${v.notes.join(" ")}` : ""} The first weekly briefing arrives ${result.firstBriefing}, once the first sync is done.`,
      );
    },
  );
}

export default function AddClinic() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const values = result?.values ?? {};
  const errors = result?.fieldErrors;
  const [vendor, setVendor] = useState(values.vendor === "nookal" ? "nookal" : "cliniko");
  const checking = navigation.state === "submitting" && navigation.formAction?.startsWith("/clinics/new");
  const checkingWith = VENDOR_LABELS[(navigation.formData?.get("vendor") === "nookal" ? "nookal" : "cliniko") as "cliniko" | "nookal"];
  return (
    <main id="main">
      <p>
        <Link to="/clinics">← All clinics</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Add a clinic</h1>
          <p className="sub">
            The key is checked live with the vendor before anything is saved. Many clinics at once? An admin can <Link to="/clinics/import">import a CSV</Link>.
          </p>
        </div>
      </div>
      <FormError errors={errors} />
      <Form method="post" noValidate className="grid halves" aria-busy={checking || undefined}>
        <section className="card" aria-labelledby="clinic-h">
          <h2 id="clinic-h">The clinic</h2>
          <ClinicDetailsFields values={values} errors={errors} />
        </section>
        <section className="card" aria-labelledby="conn-h">
          <h2 id="conn-h">Its connection</h2>
          <fieldset className="field choice">
            <legend>Practice-management system</legend>
            {(["cliniko", "nookal"] as const).map((v) => (
              <label key={v} className="radio">
                <input type="radio" name="vendor" value={v} checked={vendor === v} onChange={() => setVendor(v)} /> {VENDOR_LABELS[v]}
              </label>
            ))}
            {errors?.vendor?.[0] ? <div className="field-error">{errors.vendor[0]}</div> : null}
          </fieldset>
          <Field
            name="key"
            label="API key"
            errors={errors}
            hint={
              vendor === "cliniko"
                ? "In Cliniko: My Info → Manage API keys. The end of the key names its shard (…-au2)."
                : "In Nookal: Setup → Integrations → API v3 Basic Key (or the older v2 api_key)."
            }
          >
            {(p) => <input {...p} type="password" autoComplete="off" spellCheck={false} />}
          </Field>
          <Field name="region" label="Nookal region" errors={errors} hint="Nookal only: where the clinic signs in. Cliniko keys carry their shard.">
            {(p) => (
              <select {...p} defaultValue={values.region ?? ""}>
                <option value="">Pick a region</option>
                {NOOKAL_REGIONS.map((r) => (
                  <option key={r} value={r}>
                    {NOOKAL_REGION_LABELS[r]} ({r})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="apiVersion" label="Nookal API version" errors={errors} hint="Optional: told from the key's shape when left alone.">
            {(p) => (
              <select {...p} defaultValue={values.apiVersion ?? ""}>
                <option value="">Tell from the key</option>
                <option value="v3">v3 (Basic Key)</option>
                <option value="v2">v2 (api_key)</option>
              </select>
            )}
          </Field>
          {result?.verdict ? (
            <KeyVerdict verdict={result.verdict} regionLabel={(r) => (r in NOOKAL_REGION_LABELS ? `${NOOKAL_REGION_LABELS[r as NookalRegion]} (${r})` : r)} />
          ) : null}
          <div className="actions">
            <button className="btn" type="submit" disabled={checking}>
              {checking ? `Checking the key with ${checkingWith}…` : "Check the key and add the clinic"}
            </button>
            {checking ? (
              <span className="hint" role="status">
                Asking {checkingWith} who the key belongs to and how many patients it sees…
              </span>
            ) : null}
          </div>
        </section>
      </Form>
    </main>
  );
}
