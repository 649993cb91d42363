import { and, eq, inArray, sql } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as bulkAction, loader as bulkListLoader } from "../../app/routes/bulk._index.tsx";
import { loader as progressLoader } from "../../app/routes/bulk.$operationId.tsx";
import { getBulkProgress } from "../../db/queries/bulk-operations.ts";
import { MAX_BULK_SELECTION } from "../../domain/bulk/kinds.ts";
import { alertNotifications, auditLog, clinics, connections } from "../../db/schema/index.ts";
import { createCampaign } from "../../domain/campaigns/campaigns.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { createQueues } from "../../workers/queues.ts";
import { handleBulkRun } from "../../workers/handlers/bulk.ts";
import { handleProbeBatch, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { silentLogger } from "./alerts-fixtures.ts";
import { insertClinic } from "../support/fleet.ts";
import { type TestDatabase } from "../support/db.ts";
import { requestAs, settle, startDemoConsole, type createRoleUsers, type TestServices } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;

let fixture: Awaited<ReturnType<typeof startDemoConsole>>;
beforeAll(async () => {
  fixture = await startDemoConsole();
  ({ t, services, who } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

async function idsOf(...names: string[]) {
  const rows = await t.db.select({ id: clinics.id, name: clinics.name }).from(clinics).where(inArray(clinics.name, names));
  return names.map((n) => rows.find((r) => r.name === n)!.id);
}
/** What the worker does with queued `bulk-run` jobs (workers/main.ts), run here until none is left. */
async function workBulkRuns(): Promise<number> {
  let worked = 0;
  for (;;) {
    const jobs = await services.boss.fetch(QUEUES["bulk-run"].name, { batchSize: 10 });
    if (!jobs?.length) return worked;
    await handleBulkRun(jobs as Job<object>[], services);
    await services.boss.complete(
      QUEUES["bulk-run"].name,
      jobs.map((j) => j.id),
    );
    worked += jobs.length;
  }
}
/**
 * Starts a bulk action as the route does; `work: false` stops before the worker runs it. why
 * `confirmed`: these tests are about the work, so they answer the confirm step up front with the
 * most a selection holds (console-polish.test.ts tests the step itself); a test can override it.
 */
async function start(role: "viewer" | "agent" | "admin", form: Record<string, string | string[]>, { work = true } = {}) {
  const request = await requestAs(services, who[role].id, "/bulk?index", { form: { confirmed: String(MAX_BULK_SELECTION), ...form } });
  const r = await settle(() => bulkAction({ request, params: {}, context: { services } }));
  if (work) await workBulkRuns();
  return r;
}
function operationIdOf(r: Awaited<ReturnType<typeof start>>): string {
  expect(r.status).toBe(302);
  const m = /^\/bulk\/([0-9a-f-]{36})$/.exec(r.response!.headers.get("Location") ?? "");
  expect(m).not.toBeNull();
  return m![1]!;
}
const progress = async (operationId: string) => (await getBulkProgress({ operationId }, t.db))!;
const auditRows = (action: string, clinicIds: string[]) =>
  t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), inArray(auditLog.clinicId, clinicIds)));

describe("bulk actions: who may start them", () => {
  it.each(["probe", "reconnect_link", "pause", "resume", "campaign"])("a viewer cannot start %s (403)", async (intent) => {
    const ids = await idsOf("Harbourside Physiotherapy");
    expect((await start("viewer", { intent, clinicId: ids })).status).toBe(403);
  });

  it("a signed-out request is sent to sign in", async () => {
    const request = await requestAs(services, null, "/bulk?index", { form: { intent: "probe" } });
    const r = await settle(() => bulkAction({ request, params: {}, context: { services } }));
    expect(r.status).toBe(302);
    expect(r.response!.headers.get("Location")).toMatch(/^\/login/);
  });

  it("a viewer can watch progress and the list of operations", async () => {
    const ids = await idsOf("Camden Sports Clinic");
    const opId = operationIdOf(await start("agent", { intent: "pause", clinicId: ids, reason: "viewer check" }));
    const request = await requestAs(services, who.viewer.id, `/bulk/${opId}`);
    const r = await settle(() => progressLoader({ request, params: { operationId: opId }, context: { services } }));
    expect(r.status).toBe(200);
    expect((r.data as { operation: { total: number } }).operation.total).toBe(1);
    const list = await settle(async () => bulkListLoader({ request: await requestAs(services, who.viewer.id, "/bulk"), params: {}, context: { services } }));
    expect((list.data as { operations: { id: string }[] }).operations.map((o) => o.id)).toContain(opId);
    await start("agent", { intent: "resume", clinicId: ids });
  });
});

describe("bulk actions: validation", () => {
  it("no selection is a field error next to the selection", async () => {
    const r = await start("agent", { intent: "probe", returnTo: "/clinics?state=healthy" });
    expect(r.status).toBe(400);
    const d = r.data as { fieldErrors: Record<string, string[]>; returnTo: string };
    expect(d.fieldErrors.clinicId?.[0]).toBe("Select at least one clinic first");
    expect(d.returnTo).toBe("/clinics?state=healthy");
  });

  it("an unknown action, a bad id and an empty link message are field errors", async () => {
    const ids = await idsOf("Harbourside Physiotherapy");
    expect(((await start("agent", { intent: "explode", clinicId: ids })).data as { fieldErrors: Record<string, unknown> }).fieldErrors.intent).toBeDefined();
    expect(
      ((await start("agent", { intent: "probe", clinicId: "not-a-uuid" })).data as { fieldErrors: Record<string, unknown> }).fieldErrors.clinicId,
    ).toBeDefined();
    const r = await start("agent", { intent: "reconnect_link", clinicId: ids, purpose: "   " });
    expect(r.status).toBe(400);
    expect((r.data as { fieldErrors: Record<string, unknown> }).fieldErrors.purpose).toBeDefined();
  });

  it("an unknown clinic id answers 400 and records nothing", async () => {
    const r = await start("agent", { intent: "probe", clinicId: "00000000-0000-4000-8000-000000000000" });
    expect(r.status).toBe(400);
  });

  it("a return address outside the clinics table falls back to it", async () => {
    const ids = await idsOf("Maple Leaf Chiropractic");
    const opId = operationIdOf(await start("agent", { intent: "pause", clinicId: ids, returnTo: "https://evil.example/clinics" }));
    expect((await progress(opId)).returnTo).toBe("/clinics");
    await start("agent", { intent: "resume", clinicId: ids });
  });
});

describe("bulk pause, resume and reconnect links", () => {
  it("pauses and resumes each clinic through the clinic page's functions, one audit row per clinic", async () => {
    const ids = await idsOf("Yarra Valley Osteopathy", "Leeds Movement Studio");
    const paused = operationIdOf(await start("agent", { intent: "pause", clinicId: ids, reason: "vendor maintenance" }));
    const p = await progress(paused);
    expect(p.counts).toEqual({ done: 2, failed: 0, skipped: 0, waiting: 0 });
    const states = await t.db.select({ state: connections.state }).from(connections).where(inArray(connections.clinicId, ids));
    expect(states.map((s) => s.state)).toEqual(["paused", "paused"]);
    expect(await auditRows("connection.pause", ids)).toHaveLength(2);
    const opAudit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "bulk.pause"), sql`${auditLog.details}->>'operationId' = ${paused}`));
    expect(opAudit).toHaveLength(1);
    expect(opAudit[0]!.details).toMatchObject({ total: 2, started: 2, skipped: 0 });

    // pausing again: each clinic is skipped with its reason, nothing is written twice
    const again = await progress(operationIdOf(await start("agent", { intent: "pause", clinicId: ids })));
    expect(again.counts.skipped).toBe(2);
    expect(again.items[0]!.message).toBe("Already paused.");
    expect(await auditRows("connection.pause", ids)).toHaveLength(2);

    const resumed = await progress(operationIdOf(await start("agent", { intent: "resume", clinicId: ids })));
    expect(resumed.counts.done).toBe(2);
    expect(await auditRows("connection.resume", ids)).toHaveLength(2);
  });

  it("emails reconnect links to clinics with an admin email and skips the rest with the reason", async () => {
    const [withEmail] = await idsOf("Bondi Beach Podiatry");
    const noEmail = await insertClinic(t.db, { name: "No Email Clinic", state: "action_required", failureCode: "auth_rejected" });
    await t.db.update(clinics).set({ adminEmail: null }).where(eq(clinics.id, noEmail.clinicId));
    const opId = operationIdOf(
      await start("agent", {
        intent: "reconnect_link",
        clinicId: [withEmail!, noEmail.clinicId],
        purpose: "Cliniko archived your key",
        returnTo: "/clinics?failure=auth_rejected",
      }),
    );
    const p = await progress(opId);
    expect(p.counts).toEqual({ done: 1, failed: 0, skipped: 1, waiting: 0 });
    expect(p.returnTo).toBe("/clinics?failure=auth_rejected");
    expect(p.items.find((i) => i.clinicId === noEmail.clinicId)!.message).toMatch(/No admin email/);
    const mail = await t.db
      .select()
      .from(alertNotifications)
      .where(and(eq(alertNotifications.target, "jess@bondipodiatry.example"), eq(alertNotifications.event, "reconnect_link")));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.status).toBe("queued");
    expect((mail[0]!.content as { text: string }).text).toContain("Cliniko archived your key");
    expect(p.items.find((i) => i.clinicId === withEmail)!.message).toMatch(/^Email queued to jess@bondipodiatry.example/);
    expect(await auditRows("reconnect_link.created", [withEmail!])).toHaveLength(1);
    expect(await auditRows("reconnect_link.emailed", [withEmail!])).toHaveLength(1);
    expect(await auditRows("reconnect_link.created", [noEmail.clinicId])).toHaveLength(0);
  });
});

describe("bulk actions run in the worker (issue 10, reliability 5)", () => {
  it("the request only records the operation and its job: a request that dies leaves nothing waiting forever", async () => {
    const ids = await idsOf("Maple Leaf Chiropractic", "Camden Sports Clinic");
    const pausesBefore = (await auditRows("connection.pause", ids)).length;
    const opId = operationIdOf(await start("agent", { intent: "pause", clinicId: ids, reason: "killed request" }, { work: false }));
    // as if the web process died right after answering: nothing ran in it
    expect((await progress(opId)).counts).toEqual({ done: 0, failed: 0, skipped: 0, waiting: 2 });
    const jobs = await t.sql<{ id: string }[]>`select id from pgboss.job where name = 'bulk-run' and data->>'operationId' = ${opId}`;
    expect(jobs).toHaveLength(1);
    expect(await workBulkRuns()).toBe(1);
    expect((await progress(opId)).counts).toEqual({ done: 2, failed: 0, skipped: 0, waiting: 0 });
    // a retried job (the worker died after the first clinic) settles nothing twice
    const { runBulkOperation } = await import("../../domain/bulk/operations.ts");
    const { bulkDeps } = await import("../../composition/services.ts");
    await runBulkOperation({ operationId: opId }, bulkDeps(services));
    expect(await auditRows("connection.pause", ids)).toHaveLength(pausesBefore + 2);
    await start("agent", { intent: "resume", clinicId: ids });
  });
});

describe("bulk add to a campaign", () => {
  it("adds the selection through addClinicsToCampaign, skipping other vendors and members with the reason", async () => {
    const { campaignId } = await createCampaign(
      {
        input: { name: "Cliniko platform move", vendor: "cliniko", reason: "Cliniko is moving your account", deadline: "2099-01-31" },
        actor: { userId: who.agent.id, label: who.agent.email },
      },
      t.db,
    );
    const ids = await idsOf("Vancouver Wellness Collective", "Fremantle Allied Health", "Dublin Pelvic Health");
    const p = await progress(operationIdOf(await start("agent", { intent: "campaign", campaignId, clinicId: ids })));
    expect(p.counts).toEqual({ done: 2, failed: 0, skipped: 1, waiting: 0 });
    expect(p.params).toMatchObject({ campaignId, campaignName: "Cliniko platform move" });
    expect(p.items.find((i) => i.clinicId === ids[2])!.message).toMatch(/Nookal/);
    expect(await auditRows("campaign.clinic_added", ids)).toHaveLength(2);

    const again = await progress(operationIdOf(await start("agent", { intent: "campaign", campaignId, clinicId: ids.slice(0, 1) })));
    expect(again.counts.skipped).toBe(1);
    expect(again.items[0]!.message).toBe("Already in this campaign.");
  });

  it("asks for a campaign when none is picked", async () => {
    const ids = await idsOf("Harbourside Physiotherapy");
    const r = await start("agent", { intent: "campaign", clinicId: ids, campaignId: "" });
    expect(r.status).toBe(400);
    expect((r.data as { fieldErrors: Record<string, string[]> }).fieldErrors.campaignId?.[0]).toBe("Pick the campaign to add the clinics to");
    const gone = await start("agent", { intent: "campaign", clinicId: ids, campaignId: "00000000-0000-4000-8000-000000000000" });
    expect((gone.data as { fieldErrors: Record<string, string[]> }).fieldErrors.campaignId).toBeDefined();
  });
});

describe("bulk probe through the worker", () => {
  let worker: PgBoss;
  beforeAll(async () => {
    worker = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "worker" });
    const deps: ProbeDeps = {
      db: t.db,
      logger: silentLogger,
      vendors: services.vendors,
      keyring: services.keyring,
      alerts: { queue: createQueues(worker).deliver, recipients: { emailClinicAdmin: false, supportEmail: null, consoleUrl: null } },
      probes: createQueues(worker).probe,
    };
    await worker.work(QUEUES.probe.name, QUEUES.probe.work, async (jobs: Job<object>[]) => {
      await handleProbeBatch(jobs, deps);
    });
  });
  afterAll(async () => {
    await worker?.stop({ graceful: false, timeout: 2000 });
  });

  it("queues one probe per clinic, skips paused ones, and completes as the worker probes each", async () => {
    const ids = await idsOf("Harbourside Physiotherapy", "Brisbane Northside Physio", "Glasgow Foot Clinic", "Hobart Hand Therapy");
    const pausedOne = (await idsOf("Ottawa Rehab Centre"))[0]!;
    await start("agent", { intent: "pause", clinicId: pausedOne });
    // "all on this page": the page's ids arrive as pageClinicId, the checkbox as scope=page
    const opId = operationIdOf(await start("agent", { intent: "probe", scope: "page", pageClinicId: [...ids, pausedOne], clinicId: ids[0]! }));

    const first = await progress(opId);
    expect(first.total).toBe(5);
    expect(first.counts.skipped).toBe(1);
    expect(first.items.find((i) => i.clinicId === pausedOne)!.message).toMatch(/Paused/);
    expect(await auditRows("connection.probe_requested", ids)).toHaveLength(4);

    await expect.poll(async () => (await progress(opId)).counts.waiting, { timeout: 20_000, interval: 200 }).toBe(0);
    const done = await progress(opId);
    expect(done.counts).toEqual({ done: 4, failed: 0, skipped: 1, waiting: 0 });
    const byId = new Map(done.items.map((i) => [i.clinicId, i]));
    expect(byId.get(ids[0]!)!.state).toBe("healthy");
    expect(byId.get(ids[2]!)!.failureCode).toBe("key_malformed");
    for (const id of ids) expect(byId.get(id)!.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());

    // the progress page reads the same, for anyone
    const request = await requestAs(services, who.viewer.id, `/bulk/${opId}`);
    const r = await settle(() => progressLoader({ request, params: { operationId: opId }, context: { services } }));
    expect((r.data as { operation: { counts: { done: number } } }).operation.counts.done).toBe(4);
  });
});
