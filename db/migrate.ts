import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { openDb } from "./client.ts";

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../drizzle");

/** Applies every committed migration; safe to run on every start (already-applied ones are skipped). */
export async function migrateDatabase(url: string): Promise<void> {
  const handle = openDb(url, { max: 1, applicationName: "relink-migrate" });
  try {
    await migrate(handle.db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await handle.close();
  }
}
