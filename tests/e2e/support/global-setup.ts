import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { freePort } from "../../../db/embedded.ts";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    simulatorUrl: string;
    databaseUrl: string;
    /** The product's data folder (its development master key and session secret live there). */
    dataDir: string;
  }
}

/**
 * Starts the whole product through `scripts/start.ts` — the same launcher as `npm start` — on free
 * ports, in a scratch data folder, against a fresh database when DATABASE_URL is set (else embedded).
 */
export default async function setup(project: TestProject) {
  const dataDir = path.resolve(".tmp", `e2e-${process.pid}`);
  await fs.rm(dataDir, { recursive: true, force: true });
  const [port, simulatorPort, pgPort] = await Promise.all([freePort(), freePort(), freePort()]);
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
    // why: journeys name their client address in X-Forwarded-For, as a load balancer would
    TRUST_PROXY_HOPS: "1",
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
  project.provide("baseUrl", baseUrl);
  project.provide("simulatorUrl", `http://127.0.0.1:${simulatorPort}`);
  project.provide("dataDir", dataDir);
  project.provide("databaseUrl", databaseUrl ?? `postgres://relink:relink-local@127.0.0.1:${pgPort}/relink`);

  return async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const code = await exited;
    await dropDatabase();
    await fs.rm(dataDir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`npm start's launcher exited with ${code} on SIGTERM (expected 0):\n${output.slice(-2000)}`);
  };
}
