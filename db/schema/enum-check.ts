import { sql, type SQL, type AnyColumn } from "drizzle-orm";

/** `column in ('a','b',…)` for a check constraint built from a domain constant list. */
export function inList(column: AnyColumn, values: readonly string[]): SQL {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ");
  return sql`${column} in (${sql.raw(list)})`;
}
