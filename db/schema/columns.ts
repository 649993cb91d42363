import { sql, type SQL, type AnyColumn } from "drizzle-orm";
import { customType } from "drizzle-orm/pg-core";

/** `column in ('a','b',…)` for a check constraint built from a domain constant list. */
export function inList(column: AnyColumn, values: readonly string[]): SQL {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ");
  return sql`${column} in (${sql.raw(list)})`;
}

/** Raw bytes (ciphertexts, IVs, auth tags, token hashes). */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
});
