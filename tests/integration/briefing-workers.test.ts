import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertNotifications, briefings, emailOutbox } from "../../db/schema/index.ts";
import { briefingDueAt } from "../../domain/briefings/schedule.ts";
import { sweepBriefings } from "../../domain/briefings/sweep.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createTestServices, type TestServices } from "../support/services.ts";
import { briefingClinic } from "../support/briefing-world.ts";
import { seedBriefingWeek } from "../support/briefing-seams.ts";
import { waitFor } from "./alerts-fixtures.ts";

/**
 * Exactly once per clinic and week with several worker PROCESSES and one killed mid-send
 * (docs/decisions/0040-briefing-delivery.md). The workers' clocks are shifted to Monday 07:05 in Sydney.
 */

const WORKER = fileURLToPath(new URL("../support/briefing-worker.ts", import.meta.url));
const ZONE = "Australia/Sydney";
const WEEK = "2026-11-23";
const OFFSET = briefingDueAt(ZONE, WEEK).getTime() + 5 * 60_000 - Date.now();
const clock = () => new Date(Date.now() + OFFSET);

let t: TestDatabase;
let services: TestServices;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await services?.stop();
  await t?.drop();
});

interface Worker {
  child: ChildProcess;
  next(predicate: (msg: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<NodeJS.Signals | null>;
}

function startWorker(extra: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, DATABASE_URL: t.url, MASTER_KEY: services.env.MASTER_KEY, CLOCK_OFFSET_MS: String(OFFSET), SUPERVISE_SECONDS: "2", ...extra },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const seen: Record<string, unknown>[] = [];
  const waiters: { predicate: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    const msg = JSON.parse(line) as Record<string, unknown>;
    seen.push(msg);
    for (const w of [...waiters]) {
      if (!w.predicate(msg)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(msg);
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => {
      children.delete(child);
      resolve(signal);
    }),
  );
  return {
    child,
    exited,
    next: (predicate) => {
      const hit = seen.find(predicate);
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

async function makeClinics(prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await briefingClinic(t, {
      name: `${prefix} ${i + 1}`,
      timeZone: ZONE,
      syncedAt: new Date(clock().getTime() - 3_600_000),
      createdAt: new Date("2026-10-01T00:00:00Z"),
    });
    await seedBriefingWeek(t, c, WEEK);
    ids.push(c.clinic.id);
  }
  return ids;
}

/** Per clinic: its briefing emails (notifications) and the outbox rows the deliver queue wrote for them. */
async function emailsPerClinic(clinicIds: string[]) {
  const rows = await t.db
    .select({ clinicId: alertNotifications.clinicId, status: alertNotifications.status, outbox: emailOutbox.id })
    .from(alertNotifications)
    .leftJoin(emailOutbox, eq(emailOutbox.notificationId, alertNotifications.id))
    .where(and(inArray(alertNotifications.clinicId, clinicIds), eq(alertNotifications.event, "briefing")));
  return clinicIds.map((id) => rows.filter((r) => r.clinicId === id));
}

const allDelivered = (clinicIds: string[]) => async () => {
  const per = await emailsPerClinic(clinicIds);
  return per.every((r) => r.length >= 1 && r.every((e) => e.status === "outboxed" && e.outbox)) ? per : null;
};

async function openBriefingJobs(): Promise<number> {
  const rows = await t.db.execute<{ n: number }>(
    sql`select count(*)::int as n from pgboss.job where name = 'briefing' and state in ('created', 'retry', 'active')`,
  );
  return rows[0]!.n;
}

async function stop(w: Worker): Promise<Record<string, unknown>> {
  const report = w.next((m) => "cpuMs" in m);
  w.child.kill("SIGTERM");
  return report;
}

describe("the Monday briefing in two worker processes", () => {
  it("two workers, a sweep and then duplicate jobs: exactly one email per clinic-week, each composed once", async () => {
    const clinicIds = await makeClinics("Two Workers Physio", 16);
    const a = startWorker();
    const b = startWorker();
    await Promise.all([a.next((m) => m.ready === true), b.next((m) => m.ready === true)]);
    const { enqueued } = await sweepBriefings({ db: t.db, queue: services.queues.briefing, now: clock() });
    expect(enqueued).toBe(16);
    const per = await waitFor("every briefing in the outbox", allDelivered(clinicIds), 60_000);
    expect(per.map((r) => r.length)).toEqual(clinicIds.map(() => 1));
    // the sweep again and a job for every clinic-week, straight through the door: nothing more is sent
    expect((await sweepBriefings({ db: t.db, queue: services.queues.briefing, now: clock() })).enqueued).toBe(0);
    await services.queues.briefing.enqueue(clinicIds.map((clinicId) => ({ data: { clinicId, weekStart: WEEK } })));
    await waitFor("the duplicate jobs done", async () => (await openBriefingJobs()) === 0, 30_000);
    expect((await emailsPerClinic(clinicIds)).map((r) => r.length)).toEqual(clinicIds.map(() => 1));
    const [ra, rb] = await Promise.all([stop(a), stop(b)]);
    // why: each briefing was rendered exactly once across both processes (a duplicate job found its row sent)
    expect((ra.briefings as number) + (rb.briefings as number)).toBe(16);
    const rows = await t.db.select({ state: briefings.state }).from(briefings).where(inArray(briefings.clinicId, clinicIds));
    expect(rows.map((r) => r.state)).toEqual(clinicIds.map(() => "sent"));
  }, 120_000);

  it("a worker killed mid-send (row claimed, transaction open): the other worker's retry sends it once", async () => {
    const [stalled, ...others] = await makeClinics("Killed Worker Physio", 4);
    const survivor = startWorker();
    const victim = startWorker({ STALL_CLINIC: stalled! });
    await Promise.all([survivor.next((m) => m.ready === true), victim.next((m) => m.ready === true)]);
    // why: only the victim is told first, so it is the one holding the stalled clinic's job
    await survivor.child.kill("SIGSTOP");
    await services.queues.briefing.enqueue([{ data: { clinicId: stalled!, weekStart: WEEK } }]);
    await victim.next((m) => m.stalled === stalled);
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBe("SIGKILL");
    survivor.child.kill("SIGCONT");
    // nothing of the killed transaction survived
    expect(await t.db.select().from(briefings).where(eq(briefings.clinicId, stalled!))).toEqual([]);
    await sweepBriefings({ db: t.db, queue: services.queues.briefing, now: clock() });
    const all = [stalled!, ...others];
    const per = await waitFor("the stalled clinic's briefing retried and delivered", allDelivered(all), 90_000);
    expect(per.map((r) => r.length)).toEqual(all.map(() => 1));
    await waitFor("no briefing job left", async () => (await openBriefingJobs()) === 0, 30_000);
    expect((await emailsPerClinic(all)).map((r) => r.length)).toEqual(all.map(() => 1));
    await stop(survivor);
  }, 150_000);
});
