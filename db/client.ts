import { is } from "drizzle-orm";
import { type PgDatabase, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase, type PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

type Sql = postgres.Sql;
/** The pooled database; `$client` is the postgres.js pool, for the few constant-text statements prepared once (db/queries/connections.ts). */
export type Db = PostgresJsDatabase<typeof schema> & { $client: Sql };
/** The pooled database or a transaction on it, so a query can join the caller's transaction. */
export type DbOrTx = PgDatabase<PostgresJsQueryResultHKT, typeof schema>;

export interface DbHandle {
  db: Db;
  sql: Sql;
  close(): Promise<void>;
}

/** Opens a pooled connection. Pass the handle's `db` to query functions; close it on shutdown. */
export function openDb(url: string, options: { max?: number; applicationName?: string } = {}): DbHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "relink" },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Runs `fn` in a transaction: the caller's when it passed one (a savepoint would only add round trips). */
export function inTransaction<T>(db: DbOrTx, fn: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return is(db, PgTransaction) ? fn(db) : db.transaction((tx) => fn(tx));
}
