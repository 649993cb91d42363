import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgBoss } from "pg-boss";
import { startBoss, sendJob } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleProbeSweep, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let boss: PgBoss;
beforeAll(async () => {
  t = await createTestDatabase();
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await t?.drop();
});

// why: getQueue's counts come from a stats cache refreshed every minute; read the job table itself
const queued = async () =>
  Number((await t.sql<{ n: string }[]>`select count(*)::text as n from pgboss.job where name = ${QUEUES.probe.name} and state = 'created'`)[0]!.n);

describe("the probe queue", () => {
  it("never holds two waiting probes of one connection", async () => {
    const { connectionId } = await insertClinic(t.db, { name: "Single Probe Physio" });
    const first = await sendJob(boss, "probe", { connectionId, reason: "manual" }, { singletonKey: connectionId });
    const second = await sendJob(boss, "probe", { connectionId, reason: "manual" }, { singletonKey: connectionId });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
  });

  it("a sweep enqueues each probeable connection once, even when run twice; paused ones are skipped", async () => {
    await insertClinic(t.db, { name: "Sweep A" });
    await insertClinic(t.db, { name: "Sweep B" });
    await insertClinic(t.db, { name: "Sweep Paused", state: "paused" });
    const deps = { db: t.db, boss, logger: silentLogger } as unknown as ProbeDeps;
    await handleProbeSweep(deps);
    await handleProbeSweep(deps);
    // Single Probe Physio (already queued) + Sweep A + Sweep B
    expect(await queued()).toBe(3);
  });

  it("refuses a payload the catalog does not accept, before it reaches the queue", async () => {
    await expect(sendJob(boss, "probe", { connectionId: "not-a-uuid", reason: "manual" })).rejects.toThrow();
  });
});
