import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { PagerReport, PagerSpec } from "./budget-pager.ts";

export type { PagerReport, PagerSpec };

const SCRIPT = path.join(import.meta.dirname, "budget-pager.ts");

/** A budget pager in its own process (tests/support/budget-pager.ts): ready once set up, then its report. */
export function startPager(spec: PagerSpec): { ready: Promise<void>; report: Promise<PagerReport>; kill(): void } {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const report = new Promise<PagerReport>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") resolveReady();
      else if (line.startsWith("{")) resolve(JSON.parse(line) as PagerReport);
    });
    child.once("exit", (code) => reject(new Error(`budget pager exited with ${code}`)));
  });
  return { ready, report, kill: () => child.kill("SIGTERM") };
}

/** Most timestamps in any window of `windowMs` (sliding: every phase, not only the vendor's). */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}
