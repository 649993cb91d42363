import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { freePort } from "../../db/embedded.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { buildIsStale, ROOT } from "../../scripts/build.ts";

/** The environment a child process of the product gets: the runner's, without vitest's markers. */
function productEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // why: VITEST switches the Remix plugin off in vite.config.ts, and the product is not under test
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k === "TEST") delete env[k];
  return env;
}

/** Builds the console when a source is newer than the build (same rule as `npm start`). */
function buildConsoleIfStale(): void {
  if (!buildIsStale()) return;
  const cli = path.resolve(ROOT, "node_modules/@remix-run/dev/dist/cli.js");
  const result = spawnSync(process.execPath, [cli, "vite:build"], { cwd: ROOT, env: productEnv({}), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stderr}`);
}

export interface WebProcess {
  baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** `scripts/web.ts` as its own process on a free port against `databaseUrl`, its output captured. */
export async function startWebProcess(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<WebProcess> {
  buildConsoleIfStale();
  const port = await freePort();
  const env = productEnv({
    NODE_ENV: "development",
    LOG_LEVEL: "info",
    LOG_PRETTY: "false",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    MASTER_KEY: generateMasterKey(),
    SESSION_SECRET: randomBytes(32).toString("hex"),
    ...extraEnv,
  });
  const child: ChildProcess = spawn(process.execPath, ["scripts/web.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web did not start within 30 s:\n${output}`)), 30_000);
    const check = () => {
      if (output.includes("web console listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`web exited with ${code} during start:\n${output}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
