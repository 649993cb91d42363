import { Form } from "@remix-run/react";
import { KNOWN_CLINIKO_SHARDS } from "../../../domain/vendors/cliniko-key.ts";
import { ProblemSelect, StateSelect } from "../../components/filter-selects.tsx";
import { LineErrors } from "../../components/line-errors.tsx";
import type { CampaignActionData, CampaignPageData } from "./route.tsx";
import { NOOKAL_REGION_LABELS, NOOKAL_REGIONS, VENDOR_LABELS } from "../../../domain/vocabulary.ts";

/** Adding clinics by the clinics table's filters, or from a list of ids or names (fixed in place when a line is wrong). */
export function AddClinicsCard({
  campaign,
  total,
  result,
  errors,
}: {
  campaign: CampaignPageData["campaign"];
  total: number;
  result: CampaignActionData | undefined;
  errors: Record<string, string[] | undefined> | undefined;
}) {
  const vendorLabel = VENDOR_LABELS[campaign.vendor];
  return (
    <section className="card" aria-labelledby="add-h">
      <h2 id="add-h">Add clinics</h2>
      <details open={total === 0 || undefined}>
        <summary>By filter (as on the clinics table; {vendorLabel} only)</summary>
        <Form method="post" className="filters" noValidate>
          <input type="hidden" name="intent" value="add-filter" />
          <StateSelect id="add-state" narrow />
          <ProblemSelect id="add-failure" narrow />
          <div className="field narrow">
            <label htmlFor="add-region">{campaign.vendor === "cliniko" ? "Shard" : "Region"}</label>
            <select id="add-region" name="region" defaultValue="">
              <option value="">Any</option>
              {campaign.vendor === "cliniko"
                ? KNOWN_CLINIKO_SHARDS.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))
                : NOOKAL_REGIONS.map((r) => (
                    <option key={r} value={r}>
                      {NOOKAL_REGION_LABELS[r]}
                    </option>
                  ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="add-q">Name or admin email</label>
            <input id="add-q" name="q" type="search" />
          </div>
          <button className="btn secondary" type="submit">
            Add matching clinics
          </button>
        </Form>
      </details>
      <details open={Boolean(result && !result.ok && (result.csvErrors || result.fieldErrors.csv)) || total === 0 || undefined}>
        <summary>From a list of clinic ids or names</summary>
        <Form method="post" encType="multipart/form-data" noValidate>
          <input type="hidden" name="intent" value="add-csv" />
          <p className="hint">
            One clinic per line, by id or exact name; a header line with an “id” or “name” column is optional. If any line is wrong, nothing is added.
          </p>
          <div className="field">
            <label htmlFor="csv">CSV file</label>
            {/* why: after a bad list the file is emptied and its text is put below to fix in place; otherwise the old file would win again */}
            <input
              id="csv"
              name="csv"
              type="file"
              accept=".csv,.txt,text/csv,text/plain"
              key={result && !result.ok ? `after-${result.csvText?.length ?? 0}` : "csv"}
            />
          </div>
          <div className="field">
            <label htmlFor="csvText">…or paste the list</label>
            <textarea
              id="csvText"
              name="csvText"
              rows={5}
              key={result && !result.ok ? (result.csvText ?? "") : "blank"}
              defaultValue={result && !result.ok ? (result.csvText ?? "") : ""}
              className="mono"
              aria-invalid={result && !result.ok && result.csvErrors ? true : undefined}
              aria-describedby={result && !result.ok && result.csvErrors ? "csv-errors" : undefined}
            />
            {errors?.csv?.[0] ? <div className="field-error">{errors.csv[0]}</div> : null}
          </div>
          {result && !result.ok && result.csvErrors ? (
            <div id="csv-errors">
              <LineErrors
                errors={result.csvErrors}
                title={`Nothing was added: ${result.csvErrors.length} line${result.csvErrors.length === 1 ? "" : "s"} to fix`}
              />
            </div>
          ) : null}
          <button className="btn secondary" type="submit">
            Check and add
          </button>
        </Form>
      </details>
    </section>
  );
}
