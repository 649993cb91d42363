/**
 * How a visible-patient count reads to people, wherever it is shown (console, reconnect pages,
 * timeline, escalation packets). A count can be a lower bound: Nookal lists carry no totals, so
 * the client pages only up to a cap and says so (`visiblePatientsAtLeast`); printing the bare
 * number would state "2,000" where the truth is "2,000 or more" (docs/decisions/0020).
 * Pure and import-free, so both the browser bundle and domain code can use it.
 */

// why: Number#toLocaleString builds a formatter per call (~20x slower); a table row formats several counts
const COUNT = new Intl.NumberFormat("en-AU");

/** "2,000", "at least 2,000", or "—" when no count is known. */
export function formatPatientCount(n: number | null | undefined, atLeast?: boolean | null): string {
  if (n === null || n === undefined) return "—";
  const number = COUNT.format(n);
  return atLeast ? `at least ${number}` : number;
}

/** "1 patient visible", "120 patients visible", "at least 2,000 patients visible". */
export function formatPatientsVisible(n: number, atLeast?: boolean | null): string {
  return `${formatPatientCount(n, atLeast)} ${n === 1 && !atLeast ? "patient" : "patients"} visible`;
}
