import { Form, Link } from "@remix-run/react";
import { useState } from "react";
import { KNOWN_CLINIKO_SHARDS } from "../../../domain/vendors/cliniko-key.ts";
import { ProblemSelect, StateSelect, VendorSelect } from "../../components/filter-selects.tsx";
import { NOOKAL_REGION_LABELS, NOOKAL_REGIONS } from "../../../domain/vocabulary.ts";

/** The filters this form sets (the broken-now chips are outside it). */
const FILTER_KEYS = ["q", "state", "failure", "vendor", "region"] as const;

/**
 * The filter bar: a GET form, so a filtered view is a URL that can be shared and works without JavaScript.
 * On a phone (with JavaScript) it folds behind a "Filters" button that says how many are active, so
 * the table is not a screen away; without JavaScript, and on wider screens, the fields always show.
 */
export function ClinicFilters({ sort, dir, params }: { sort: string; dir: string; params: URLSearchParams }) {
  const [open, setOpen] = useState(false);
  const active = FILTER_KEYS.filter((k) => params.get(k)).length;
  return (
    <div className={open ? "filters-fold open" : "filters-fold"}>
      <button type="button" className="btn secondary filters-toggle" aria-expanded={open} aria-controls="clinic-filters" onClick={() => setOpen((o) => !o)}>
        Filters{active ? ` (${active} active)` : ""}
        <span aria-hidden="true">{open ? " ▴" : " ▾"}</span>
      </button>
      <ClinicFilterForm sort={sort} dir={dir} params={params} />
    </div>
  );
}

function ClinicFilterForm({ sort, dir, params }: { sort: string; dir: string; params: URLSearchParams }) {
  return (
    <Form method="get" className="filters" role="search" id="clinic-filters">
      <input type="hidden" name="sort" value={sort} />
      <input type="hidden" name="dir" value={dir} />
      {/* why: the broken-now chips sit outside this form; applying other filters keeps the chip */}
      {params.get("broken") ? <input type="hidden" name="broken" value={params.get("broken")!} /> : null}
      {params.get("since") ? <input type="hidden" name="since" value={params.get("since")!} /> : null}
      <div className="field">
        <label htmlFor="q">Search</label>
        <input id="q" name="q" type="search" placeholder="Clinic name or admin email" defaultValue={params.get("q") ?? ""} />
      </div>
      <StateSelect id="state" defaultValue={params.get("state")} />
      <ProblemSelect id="failure" defaultValue={params.get("failure")} />
      <VendorSelect id="vendor" defaultValue={params.get("vendor")} narrow />
      <div className="field narrow">
        <label htmlFor="region">Region</label>
        <select id="region" name="region" defaultValue={params.get("region") ?? ""}>
          <option value="">Any region</option>
          <optgroup label="Cliniko shards">
            {KNOWN_CLINIKO_SHARDS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </optgroup>
          <optgroup label="Nookal regions">
            {NOOKAL_REGIONS.map((r) => (
              <option key={r} value={r}>
                {NOOKAL_REGION_LABELS[r]}
              </option>
            ))}
          </optgroup>
        </select>
      </div>
      <div className="field narrow check">
        <label className="checkbox">
          <input type="checkbox" name="sync" value="failing" defaultChecked={params.get("sync") === "failing"} /> Sync failing
        </label>
      </div>
      <button className="btn" type="submit">
        Apply
      </button>
      <Link className="btn secondary" to="/clinics">
        Clear
      </Link>
    </Form>
  );
}
