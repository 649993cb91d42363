/** What every bench script needs: a simulator in its own process, a scratch database, percentiles. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { freePort, startEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded.ts";
import { ROOT } from "../../scripts/build.ts";

export { ROOT };

/** The default-world simulator (no demo fleet) in a child process, so its CPU is not the bench's. */
export async function startChildSimulator(): Promise<{ url: string; child: ChildProcess }> {
  const code = `const { startSimulator } = await import(${JSON.stringify(path.join(ROOT, "simulator/server.ts"))});
const sim = await startSimulator({ port: 0, demo: false });
console.log(sim.url);
process.on("SIGTERM", () => sim.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  return { url: url.trim(), child };
}

/** A fresh database named `name` on DATABASE_URL's server, or on an embedded PostgreSQL started for it. */
export async function scratchDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedHandle | undefined;
  const dir = path.resolve(ROOT, ".tmp", `${name}-pg`);
  if (!adminUrl) {
    fs.rmSync(dir, { recursive: true, force: true });
    embedded = await startEmbeddedPostgres({ dataDir: dir, port: await freePort() });
    adminUrl = embedded.url("postgres");
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
      if (embedded) {
        await embedded.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? NaN };
}
