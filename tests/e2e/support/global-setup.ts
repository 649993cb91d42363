import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "../../../db/embedded.ts";
import { startMailbox } from "./mailbox.ts";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    simulatorUrl: string;
    databaseUrl: string;
    /** Where the e2e SMTP sink writes the emails the product sent (tests/e2e/support/mailbox.ts). */
    mailDir: string;
    /** The product's data folder (its development master key and session secret live there). */
    dataDir: string;
  }
}

/**
 * Waits until the worker's first sweep has probed every seeded connection. Why (issue 10,
 * reliability 7): the demo fleet is seeded `setup_pending`; a journey that creates a reconnect
 * link before the first probe of its clinic landed moved a healthy clinic to reconnect_pending
 * (the probe that read setup_pending then lost its conditional write), so the journey's
 * "still healthy" read raced the worker. Journeys start from the fleet as the worker sees it.
 */
async function firstSweepSettled(databaseUrl: string, output: () => string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const [row] = await sql<{ waiting: number }[]>`select count(*)::int as waiting from connections where last_probe_at is null and state <> 'paused'`;
      if (row!.waiting === 0) return;
      if (Date.now() > deadline)
        throw new Error(`the worker's first sweep did not probe ${row!.waiting} demo connections within 90 s:\n${output().slice(-2000)}`);
      // why: polling the stored state the journeys depend on (not a fixed sleep standing in for the work)
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await sql.end();
  }
}

/**
 * Starts the whole product through `scripts/start.ts` — the same launcher as `npm start` — on free
 * ports, in a scratch data folder, against a fresh database when DATABASE_URL is set (else embedded).
 */
export default async function setup(project: TestProject) {
  const dataDir = path.resolve(".tmp", `e2e-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const [port, simulatorPort, pgPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const mailDir = path.join(dataDir, "mail");
  const mailbox = await startMailbox(mailDir, smtpPort);
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (process.env.DATABASE_URL) {
    const name = `relink_e2e_${process.pid}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDatabase = async () => {
      const a = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    };
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    LOG_PRETTY: "false",
    DATA_DIR: dataDir,
    PORT: String(port),
    SIMULATOR_PORT: String(simulatorPort),
    EMBEDDED_PG_PORT: String(pgPort),
    PROBE_INTERVAL_MINUTES: "5",
    // why: the journeys start every sync they watch; a scheduled sync of a large demo clinic (a minute or
    // more at the budget's sync share) could hold both of the worker's sync slots while a journey waits
    SYNC_INTERVAL_MINUTES: "0",
    // why: journeys name their client address in X-Forwarded-For, as a load balancer would
    TRUST_PROXY_HOPS: "1",
    // why: the delivery worker really sends; journeys read what it sent from the sink
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  };
  // why: the product is not under test-runner control; VITEST would switch the Remix build plugin off
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k === "TEST") delete env[k];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;

  const child: ChildProcess = spawn(process.execPath, ["scripts/start.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`product did not start within 120 s:\n${output}`)), 120_000);
    const check = () => {
      if (output.includes("Relink is running at")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`product exited with ${code} during start:\n${output}`));
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const productDatabaseUrl = databaseUrl ?? `postgres://relink:relink-local@127.0.0.1:${pgPort}/relink`;
  await firstSweepSettled(productDatabaseUrl, () => output);
  project.provide("baseUrl", baseUrl);
  project.provide("simulatorUrl", `http://127.0.0.1:${simulatorPort}`);
  project.provide("databaseUrl", productDatabaseUrl);
  project.provide("mailDir", mailDir);
  project.provide("dataDir", dataDir);

  return async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const code = await exited;
    await mailbox.close();
    await dropDatabase();
    await fs.rm(dataDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`npm start's launcher exited with ${code} on SIGTERM (expected 0):\n${output.slice(-2000)}`);
  };
}
