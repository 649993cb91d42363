import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["app", "domain", "db", "config", "public"];

/** True when the console has never been built or a source file is newer than the build. */
export function buildIsStale(): boolean {
  const built = path.resolve(ROOT, "build/server/index.js");
  if (!fs.existsSync(built)) return true;
  const builtAt = fs.statSync(built).mtimeMs;
  const newer = (dir: string): boolean =>
    fs.existsSync(dir) &&
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? newer(p) : fs.statSync(p).mtimeMs > builtAt;
    });
  return SOURCES.some((d) => newer(path.resolve(ROOT, d)));
}

/** Builds the console when it is stale; returns false when the build failed (its errors went to stderr). */
export function ensureBuilt(): boolean {
  if (!buildIsStale()) return true;
  // why: run the CLI under this Node 24, not whatever `node` the PATH's shebang would find
  const cli = path.resolve(ROOT, "node_modules/@remix-run/dev/dist/cli.js");
  const result = spawnSync(process.execPath, [cli, "vite:build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return result.status === 0;
}
