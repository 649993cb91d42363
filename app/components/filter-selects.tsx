import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { CONNECTION_STATES, FAILURE_CODES, STATE_LABELS, VENDOR_LABELS, VENDORS } from "../../domain/vocabulary.ts";

interface SelectProps {
  /** The control's id (its label points at it); the form field name is fixed per filter. */
  id: string;
  defaultValue?: string | null;
  narrow?: boolean;
}

/** One labelled <select> of a filter form: "any" first, then every value with its words. */
function FilterSelect({
  id,
  name,
  label,
  any,
  options,
  defaultValue,
  narrow,
}: SelectProps & { name: string; label: string; any: string; options: readonly (readonly [string, string])[] }) {
  return (
    <div className={narrow ? "field narrow" : "field"}>
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={defaultValue ?? ""}>
        <option value="">{any}</option>
        {options.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
    </div>
  );
}

const STATE_OPTIONS = CONNECTION_STATES.map((s) => [s, STATE_LABELS[s]] as const);
const PROBLEM_OPTIONS = FAILURE_CODES.map((f) => [f, TAXONOMY[f].title] as const);
const VENDOR_OPTIONS = VENDORS.map((v) => [v, VENDOR_LABELS[v]] as const);

export function StateSelect(props: SelectProps) {
  return <FilterSelect {...props} name="state" label="State" any="Any state" options={STATE_OPTIONS} />;
}

export function ProblemSelect(props: SelectProps) {
  return <FilterSelect {...props} name="failure" label="Problem" any="Any problem" options={PROBLEM_OPTIONS} />;
}

export function VendorSelect(props: SelectProps) {
  return <FilterSelect {...props} name="vendor" label="Vendor" any="Any vendor" options={VENDOR_OPTIONS} />;
}
