import { execFileSync } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgBoss } from "pg-boss";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleProbeSweep, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { createQueues, type Queues } from "../../workers/queues.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let boss: PgBoss;
let queues: Queues;
beforeAll(async () => {
  t = await createTestDatabase();
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  queues = createQueues(boss);
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await t?.drop();
});

// why: getQueue's counts come from a stats cache refreshed every minute; read the job table itself
const queued = async (name: string = QUEUES.probe.name) =>
  Number((await t.sql<{ n: string }[]>`select count(*)::text as n from pgboss.job where name = ${name} and state = 'created'`)[0]!.n);

describe("the probe queue", () => {
  it("never holds two waiting probes of one connection: the door sets the singleton key itself", async () => {
    const { connectionId } = await insertClinic(t.db, { name: "Single Probe Physio" });
    await queues.probe.enqueue([{ data: { connectionId, reason: "manual" } }]);
    await queues.probe.enqueue([{ data: { connectionId, reason: "manual" } }]);
    const rows = await t.sql<
      { singleton_key: string }[]
    >`select singleton_key from pgboss.job where name = 'probe' and data->>'connectionId' = ${connectionId}`;
    expect(rows.map((r) => r.singleton_key)).toEqual([connectionId]);
  });

  it("a sweep enqueues each probeable connection once, even when run twice; paused ones are skipped", async () => {
    await insertClinic(t.db, { name: "Sweep A" });
    await insertClinic(t.db, { name: "Sweep B" });
    await insertClinic(t.db, { name: "Sweep Paused", state: "paused" });
    const deps = {
      db: t.db,
      probes: queues.probe,
      logger: silentLogger,
      alerts: { queue: queues.deliver, recipients: { emailClinicAdmin: false, supportEmail: null, consoleUrl: null } },
    } as unknown as ProbeDeps;
    await handleProbeSweep(deps);
    await handleProbeSweep(deps);
    // Single Probe Physio (already queued) + Sweep A + Sweep B
    expect(await queued()).toBe(3);
  });

  it("refuses a payload the catalog does not accept, before it reaches the queue", async () => {
    await expect(queues.probe.enqueue([{ data: { connectionId: "not-a-uuid", reason: "manual" } }])).rejects.toThrow();
  });

  it("enqueues on the caller's transaction: a rolled-back write leaves no job behind", async () => {
    const { connectionId } = await insertClinic(t.db, { name: "Rolled Back Physio" });
    await expect(
      t.db.transaction(async (tx) => {
        await queues.probe.enqueue([{ data: { connectionId, reason: "setup" } }], tx);
        await tx.execute(sql`select 1`);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const rows = await t.sql`select 1 from pgboss.job where data->>'connectionId' = ${connectionId}`;
    expect(rows).toHaveLength(0);
  });
});

describe("one door per queue", () => {
  it("only workers/queues.ts calls boss.send or boss.insert", () => {
    // why: a second way to enqueue skips the catalog's payload check or the singleton key (issue 9)
    let out = "";
    try {
      out = execFileSync("grep", ["-rnE", "boss\\??\\.(send|insert)\\(", "app", "domain", "workers", "scripts", "db", "lib", "composition"], {
        encoding: "utf8",
      });
    } catch (err) {
      out = (err as { stdout?: string }).stdout ?? "";
    }
    const sites = out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(":")[0]);
    expect([...new Set(sites)]).toEqual(["workers/queues.ts"]);
  });
});
