import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../../db/embedded.ts";

export interface WebChild {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts the real web console (`scripts/web.ts`, the same entry as `npm run start:web`) as a child
 * process on a free port, against the e2e product's database and built console.
 */
export async function startWebChild(env: Record<string, string>): Promise<WebChild> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "info", LOG_PRETTY: "false", HOST: "127.0.0.1", PORT: String(port), ...env };
  for (const k of Object.keys(childEnv)) if (k.startsWith("VITEST") || k === "TEST") delete childEnv[k];
  const child = spawn(process.execPath, ["scripts/web.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web did not start within 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes("web console listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`web exited with ${code} during start:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}
