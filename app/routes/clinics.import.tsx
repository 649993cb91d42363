import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { importClinicsCsv } from "../../domain/clinics/csv-import.ts";
import { CLINIC_CSV_COLUMNS, MAX_IMPORT_ROWS } from "../../domain/clinics/csv-format.ts";
import type { LineError } from "../../domain/clinics/csv.ts";
import { runAction } from "../actions.server.ts";
import { LineErrors } from "../components/line-errors.tsx";
import { readUploadedText } from "../upload.server.ts";
import { redirectWithFlash, requireRole } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "Import clinics · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context.services, "admin");
  return { columns: CLINIC_CSV_COLUMNS, maxRows: MAX_IMPORT_ROWS };
}

const notImported = (fileName: string | null) => ({ fileName, errors: [] as LineError[] });

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "admin", schema: z.object({}), upload: "csv", echo: () => notImported(null) },
    async ({ actor, services, request, formData }) => {
      const upload = await readUploadedText(request, "csv", formData);
      if (!upload.ok) return data({ ok: false as const, ...notImported(null), fieldErrors: { csv: [upload.message] } }, { status: 400 });
      const result = await importClinicsCsv(
        { text: upload.text, fileName: upload.fileName ?? undefined, actor },
        { db: services.db, keyring: services.keyring, probes: services.queues.probe },
      );
      // why: errors name the line and column only; a key from the file is never put into the page
      if (!result.ok)
        return data(
          { ok: false as const, fileName: upload.fileName, errors: result.errors, fieldErrors: {} as Record<string, string[] | undefined> },
          { status: 400 },
        );
      const parts = [`Imported ${result.created} clinic${result.created === 1 ? "" : "s"}.`];
      if (result.withKey) parts.push(`${result.withKey} with a key: their first probe is queued.`);
      if (result.withoutKey) parts.push(`${result.withoutKey} without a key: send them a reconnect link.`);
      return redirectWithFlash(request, services, "/clinics?state=setup_pending", parts.join(" "));
    },
  );
}

const EXAMPLE = `name,time_zone,country,admin_name,admin_email,vendor,region,api_version,key
Coastal Physio,Australia/Sydney,AU,Jo Lee,jo@coastal.example,cliniko,,,MS0xMjM0NTY3ODkwYWJjZGVm-au2
"Kiwi Hands, Ltd",Pacific/Auckland,NZ,Ana Roa,ana@kiwihands.example,nookal,au,v3,
`;

export default function ImportClinics() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const fieldError = result?.fieldErrors?.csv?.[0];
  return (
    <main id="main">
      <p>
        <Link to="/clinics">← All clinics</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Import clinics from a CSV</h1>
          <p className="sub">Every row is checked first. If any row is wrong, nothing is imported and every problem is listed with its line.</p>
        </div>
      </div>
      <div className="grid halves">
        <section className="card" aria-labelledby="upload-h">
          <h2 id="upload-h">Upload</h2>
          <Form method="post" encType="multipart/form-data" noValidate>
            <div className="field">
              <label htmlFor="csv">CSV file</label>
              <input
                id="csv"
                name="csv"
                type="file"
                accept=".csv,text/csv"
                aria-invalid={fieldError ? true : undefined}
                aria-describedby={fieldError ? "csv-error" : undefined}
              />
              {fieldError ? (
                <div className="field-error" id="csv-error">
                  {fieldError}
                </div>
              ) : null}
            </div>
            <button className="btn" type="submit" disabled={busy}>
              {busy ? "Checking every row…" : "Check and import"}
            </button>
          </Form>
          {result && result.errors.length ? (
            <LineErrors
              errors={result.errors}
              title={`Nothing was imported from ${result.fileName ?? "the file"}: ${result.errors.length} problem${result.errors.length === 1 ? "" : "s"} to fix`}
            />
          ) : null}
        </section>
        <section className="card" aria-labelledby="format-h">
          <h2 id="format-h">The format</h2>
          <p>
            One clinic per line, after a header line naming the columns (any order): <code>{CLINIC_CSV_COLUMNS.join(", ")}</code>. Up to{" "}
            {MAX_IMPORT_ROWS.toLocaleString("en-AU")} clinics per file.
          </p>
          <ul className="steps">
            <li>
              <strong>Required:</strong> name, time_zone (e.g. Australia/Sydney), country (two letters: AU, NZ, GB, IE, CA, US), vendor (cliniko or nookal).
            </li>
            <li>
              <strong>Nookal</strong> needs region (au, eu or us); api_version is v2 or v3, or empty to tell from the key.
            </li>
            <li>
              <strong>Cliniko</strong> takes the shard from the end of the key; region is only needed for keys without one (default au1).
            </li>
            <li>
              <strong>key</strong> is optional. Keys are encrypted on arrival and checked by the worker within a minute; clinics without one wait for a
              reconnect link.
            </li>
            <li>Names must be new: the same name twice in the file, or one that already exists, is an error.</li>
          </ul>
          <h3>Example</h3>
          <pre className="packet">{EXAMPLE}</pre>
        </section>
      </div>
    </main>
  );
}
