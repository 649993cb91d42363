import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";

export interface TestDatabase extends DbHandle {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file, cloned from the suite's template in milliseconds. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const template = inject("pgTemplate");
  const ownerPid = template.split("_")[2];
  const name = `relink_t_${ownerPid}_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${template}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const handle = openDb(url, { max: 5, applicationName: "relink-test" });
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** The PostgreSQL message behind a drizzle "Failed query" error (constraint names, RAISE text). */
export async function pgErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const cause = (err as { cause?: { message?: string; constraint_name?: string } }).cause;
    return [cause?.message, cause?.constraint_name, (err as Error).message].filter(Boolean).join(" | ");
  }
  throw new Error("expected the query to fail, but it succeeded");
}
