import { sql, type SQL, type AnyColumn } from "drizzle-orm";
import { customType } from "drizzle-orm/pg-core";
import { STATE_SEVERITY_ORDER } from "../../domain/vocabulary.ts";

/** `column in ('a','b',…)` for a check constraint built from a domain constant list. */
export function inList(column: AnyColumn, values: readonly string[]): SQL {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ");
  return sql`${column} in (${sql.raw(list)})`;
}

/** Raw bytes (ciphertexts, IVs, auth tags, token hashes). */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});

/**
 * A connection state's rank, worst first (STATE_SEVERITY_ORDER), as SQL. The one expression behind
 * the connections_state_severity_idx index and every query that sorts by state: the planner uses
 * the index only when a query's expression matches it exactly, so both come from here.
 */
export function stateSeverity(stateColumn: AnyColumn | SQL): SQL {
  const list = STATE_SEVERITY_ORDER.map((s) => `'${s}'`).join(",");
  return sql`array_position(array[${sql.raw(list)}]::text[], ${stateColumn})`;
}
