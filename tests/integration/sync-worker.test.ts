import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRuns } from "../../db/queries/sync.ts";
import { syncResources } from "../../db/schema/index.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleSyncJobs } from "../../workers/handlers/sync.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { clinikoClinic, startSyncWorld, storedIds, vendorIds, type SyncWorld } from "./sync-fixtures.ts";

let w: SyncWorld;
beforeAll(async () => {
  w = await startSyncWorld();
});
afterAll(async () => {
  await w?.close();
});

const WORKER = fileURLToPath(new URL("../bench/sync-worker.ts", import.meta.url));

/** Waits until `predicate` holds, polling the database (never a fixed sleep). */
async function until<T>(read: () => Promise<T>, predicate: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await read();
    if (predicate(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for state");
    await new Promise((r) => setImmediate(r));
  }
}

describe("sync in worker processes", () => {
  it("kill -9 of the worker mid-run: the retried job resumes from the last committed page, no duplicate, no gap", async () => {
    const { view, key, connectionId } = await clinikoClinic(w, "Killed Worker Physio", { patients: 600, practitioners: 3 });
    // why: slow answers give the kill a moment in the middle of a resource, between commits
    await w.control.setAccountFaults(view.id, { latencyMs: 15 });
    const jobId = randomUUID();
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, DATABASE_URL: w.t.url, SIM_URL: w.sim.url, MASTER_KEY: w.services.env.MASTER_KEY, CONNECTION_ID: connectionId, JOB_ID: jobId },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    let pages = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const msg = JSON.parse(line) as { page?: number; resource?: string };
      if (msg.page !== undefined) pages++;
      // why: in the middle of appointments, the longest resource
      if (msg.resource === "appointments" && msg.page === 12) break;
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const [run] = await listRuns({ connectionId }, w.t.db);
    expect(run!.state).toBe("running");
    const committed = await w.t.db.select().from(syncResources).where(eq(syncResources.connectionId, connectionId));
    const appointments = committed.find((r) => r.resource === "appointments")!;
    expect(appointments.pagesDone).toBeGreaterThanOrEqual(12);
    expect(appointments.state).toBe("running");
    await w.control.clearAccountFaults(view.id);

    // the job's retry (same job id) continues the same run from the committed positions
    const before = (await w.control.stats()).requests;
    const resumed = await syncConnection(w.ctx, { connectionId, jobId, trigger: "schedule" });
    const resumeRequests = (await w.control.stats()).requests - before;
    expect(resumed.outcome).toBe("succeeded");
    expect(resumed.runId).toBe(run!.id);
    const setId = resumed.recordSetId!;
    for (const r of ["patients", "appointments", "invoices"] as const) expect(await storedIds(w, setId, r)).toEqual(await vendorIds(w, key, r));
    // nothing re-read from the start: the resumed run asked only for what was not committed (+ one boundary page per resource)
    const [finished] = await listRuns({ connectionId }, w.t.db);
    expect(finished!.state).toBe("succeeded");
    expect(resumeRequests).toBeLessThan(finished!.pagesDone - pages + 12);
    expect(finished!.pagesDone).toBeGreaterThan(pages);
  }, 60_000);

  it("two sync requests for one connection run one at a time", async () => {
    const { view, connectionId } = await clinikoClinic(w, "Two Requests Physio", { patients: 200, practitioners: 2 });
    await w.control.setAccountFaults(view.id, { latencyMs: 5 });
    const boss: PgBoss = await startBoss({ databaseUrl: w.t.url, logger: silentLogger, role: "worker" });
    try {
      const deps = { ctx: w.ctx, logger: silentLogger, queue: w.services.queues.sync, intervalSeconds: 3600 };
      // why: two slots, so a second job of the same connection would run beside the first if the queue let it
      await boss.work(QUEUES.sync.name, { ...QUEUES.sync.work, pollingIntervalSeconds: 0.5 }, (jobs: Job<object>[]) => handleSyncJobs(jobs, deps));
      await w.services.queues.sync.enqueue([{ data: { connectionId, trigger: "manual" } }]);
      await until(
        () => listRuns({ connectionId }, w.t.db),
        (runs) => runs.some((r) => r.state === "running"),
      );
      await w.services.queues.sync.enqueue([{ data: { connectionId, trigger: "manual" } }]);
      const runs = await until(
        () => listRuns({ connectionId }, w.t.db),
        (rs) => rs.length === 2 && rs.every((r) => r.state === "succeeded"),
        60_000,
      );
      const [second, first] = runs;
      expect(second!.startedAt.getTime()).toBeGreaterThanOrEqual(first!.finishedAt!.getTime());
    } finally {
      await boss.stop({ graceful: false, timeout: 2000 });
      await w.control.clearAccountFaults(view.id);
    }
  }, 90_000);
});
