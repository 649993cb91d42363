import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { clinics, connections } from "../../db/schema/index.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleProbeBatch } from "../../workers/handlers/probe.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, type TestServices } from "../support/services.ts";
import { auditsOf, expectDocumented, expectProblem } from "./api-fixtures.ts";

/**
 * The clinics endpoints of the JSON API (issue 15) through the real router with real Requests,
 * against Postgres and the vendor simulator over HTTP: a happy path for each and every error status
 * it can answer; writes audited as the token.
 */

let t: TestDatabase;
let sim: SimulatorHandle;
let services: TestServices;
let control: ControlClient;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
let read: string;
let write: string;
const TOKEN_NAME = "onboarding bot";

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  control = controlClient(sim.url);
  who = await createRoleUsers(services);
  ({ token: read } = await createTestApiToken(services, { scope: "read", createdBy: who.admin.id, name: "dashboard" }));
  ({ token: write } = await createTestApiToken(services, { scope: "write", createdBy: who.admin.id, name: TOKEN_NAME }));
});
afterAll(async () => {
  await services?.stop();
  await Promise.all([t?.drop(), sim?.close()]);
});

let seq = 0;
async function account(businessName: string, patients = 12) {
  const a = await control.createClinikoAccount({ shard: "au1", businessName, patients, patientsOnly: true, label: `api-${++seq}-${randomUUID().slice(0, 6)}` });
  return { ...a, key: a.keys[0]!.key };
}
const agent = () => ({ userId: who.agent.id, label: who.agent.email });
function probe(ids: { clinicId: string; connectionId: string }) {
  return probeNow(
    { ...ids, actor: agent() },
    {
      db: services.db,
      keyring: services.keyring,
      vendors: services.vendors,
      vendorSettings: services.vendor,
      alerts: services.alerts,
      probes: services.queues.probe,
    },
  );
}
/** A clinic whose stored key is `key`, probed once so its account is recorded. */
async function clinicWithKey(name: string, key: string) {
  const ids = await insertClinic(services.db, { name, region: "au1", state: "healthy", everHadPatients: true, visiblePatientCount: 12 });
  await services.db
    .update(connections)
    .set(sealApiKey(services.keyring, ids.connectionId, { vendor: "cliniko", key, region: "au1" }))
    .where(eq(connections.id, ids.connectionId));
  await probe(ids);
  return ids;
}
async function conn(connectionId: string) {
  const [row] = await services.db.select().from(connections).where(eq(connections.id, connectionId));
  return row!;
}
const tokenLabel = `API token “${TOKEN_NAME}” (admin@tests.relink)`;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

describe("GET /clinics", () => {
  beforeAll(async () => {
    for (let i = 1; i <= 12; i++) await insertClinic(services.db, { name: `List Cliniko ${String(i).padStart(2, "0")}`, state: "healthy" });
    for (let i = 1; i <= 3; i++)
      await insertClinic(services.db, {
        name: `List Nookal ${i}`,
        vendor: "nookal",
        region: "au",
        apiVersion: "v3",
        state: "action_required",
        failureCode: "auth_rejected",
      });
    const archived = await insertClinic(services.db, { name: "List Archived", state: "healthy" });
    await services.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, archived.clinicId));
  });

  it("walks every page by name with a stable cursor, each page documented, archived clinics left out", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await callApi(services, "GET", `/clinics?q=List&limit=5${cursor ? `&cursor=${cursor}` : ""}`, { token: read });
      expect(r.status).toBe(200);
      expectDocumented("listClinics", r);
      const body = r.json as { data: { name: string }[]; next: string | null };
      seen.push(...body.data.map((c) => c.name));
      cursor = body.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
    expect(seen).toEqual([...seen].sort());
    expect(seen).not.toContain("List Archived");
  });

  it("filters as the console does: vendor, state, failure code, region and text", async () => {
    const names = async (qs: string) => {
      const r = await callApi(services, "GET", `/clinics?${qs}`, { token: read });
      expect(r.status).toBe(200);
      return (r.json as { data: { name: string }[] }).data.map((c) => c.name);
    };
    expect(await names("vendor=nookal&q=List")).toEqual(["List Nookal 1", "List Nookal 2", "List Nookal 3"]);
    expect(await names("state=action_required&q=list")).toHaveLength(3);
    expect(await names("failure=auth_rejected&region=au&q=List")).toHaveLength(3);
    expect(await names("q=Cliniko%2007")).toEqual(["List Cliniko 07"]);
    const r = await callApi(services, "GET", "/clinics?vendor=nookal&q=List%20Nookal%202", { token: read });
    expect((r.json as { data: object[] }).data[0]).toMatchObject({ vendor: "nookal", state: "action_required", failureCode: "auth_rejected", openAlerts: 0 });
  });

  it("answers 400 with the field for a bad filter, a limit out of range, an unknown parameter or a forged cursor", async () => {
    for (const [qs, field] of [
      ["state=broken", "query.state"],
      ["limit=201", "query.limit"],
      ["limit=0", "query.limit"],
      ["sort=name", "query.sort"],
      ["cursor=bm90LWEtY3Vyc29y", "query.cursor"],
      [`cursor=${Buffer.from(JSON.stringify(["a", "not-a-uuid"])).toString("base64url")}`, "query.cursor"],
    ] as const) {
      const r = await callApi(services, "GET", `/clinics?${qs}`, { token: read });
      expectProblem(r, 400, "invalid_query");
      expect((r.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(field);
    }
  });

  it("answers 401 without a token", async () => {
    expectProblem(await callApi(services, "GET", "/clinics"), 401);
  });
});

describe("POST /clinics", () => {
  const body = (over: Record<string, unknown> = {}, connection?: Record<string, unknown>) => ({
    name: "Api Created Physio",
    timeZone: "Australia/Sydney",
    country: "au",
    adminEmail: "Owner@ApiCreated.example",
    ...(connection ? { connection } : {}),
    ...over,
  });

  it("refuses a read-only token (403)", async () => {
    expectProblem(await callApi(services, "POST", "/clinics", { token: read, body: body() }), 403, "token_scope");
  });

  it("answers 422 with field errors for an unknown member, a Nookal key without region and a bad time zone", async () => {
    const unknown = await callApi(services, "POST", "/clinics", { token: write, body: body({ colour: "blue" }) });
    expectProblem(unknown, 422, "invalid_body");
    expect(unknown.json).toMatchObject({ errors: [{ field: "colour" }] });
    const nookal = await callApi(services, "POST", "/clinics", { token: write, body: body({}, { vendor: "nookal", apiKey: "x".repeat(40) }) });
    expectProblem(nookal, 422);
    expect((nookal.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain("connection.region");
    // the domain's own rule (the add form's), after the body's shape passed
    const email = await callApi(services, "POST", "/clinics", { token: write, body: body({ adminEmail: "not-an-email" }) });
    expectProblem(email, 422, "invalid_body");
    expect(email.json).toMatchObject({ errors: [{ field: "adminEmail", detail: "Not an email address" }] });
    const zone = await callApi(services, "POST", "/clinics", { token: write, body: body({ timeZone: "Mars/Olympus" }) });
    expectProblem(zone, 422);
    expect((zone.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain("timeZone");
  });

  let created: { clinicId: string; key: string };
  it("verifies the key live and answers 201 with the clinic and the verdict, audited as the token, never echoing the key", async () => {
    const acct = await account("Api Created Physio", 21);
    const r = await callApi(services, "POST", "/clinics", { token: write, body: body({}, { vendor: "cliniko", apiKey: acct.key }) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expectDocumented("createClinic", r);
    const out = r.json as {
      clinic: { id: string; adminEmail: string; country: string; connection: { state: string; keyHint: string; visiblePatients: number } };
      verdict: { ok: boolean; visiblePatients: number };
    };
    expect(out.verdict.ok).toBe(true);
    expect(out.verdict.visiblePatients).toBeGreaterThan(0);
    expect(out.clinic.connection.visiblePatients).toBe(out.verdict.visiblePatients);
    expect(out.clinic).toMatchObject({ country: "AU", adminEmail: "owner@apicreated.example", connection: { state: "healthy" } });
    expect(r.headers.get("Location")).toBe(`/api/v1/clinics/${out.clinic.id}`);
    expect(JSON.stringify(r.json)).not.toContain(acct.key);
    const [audit] = await auditsOf(services, "clinic.created", out.clinic.id);
    expect(audit).toMatchObject({ actorUserId: who.admin.id, actorLabel: tokenLabel });
    created = { clinicId: out.clinic.id, key: acct.key };
  });

  it("answers 409 for a name already taken and for a key another clinic uses", async () => {
    const again = await callApi(services, "POST", "/clinics", { token: write, body: body() });
    expectProblem(again, 409, "clinic_name_taken");
    expect(again.json).toMatchObject({ errors: [{ field: "name" }] });
    const shared = await callApi(services, "POST", "/clinics", {
      token: write,
      body: body({ name: "Api Shared Key" }, { vendor: "cliniko", apiKey: created.key }),
    });
    expectProblem(shared, 409, "key_in_use");
    expect(shared.json).toMatchObject({ errors: [{ field: "connection.apiKey" }] });
    expect(JSON.stringify(shared.json)).not.toContain(created.key);
    expect(await services.db.select().from(clinics).where(eq(clinics.name, "Api Shared Key"))).toHaveLength(0);
  });

  it("answers 422 with the verdict for a key the vendor refuses, and saves nothing", async () => {
    const acct = await account("Api Refused Physio");
    await control.archiveClinikoKey(acct.key);
    const r = await callApi(services, "POST", "/clinics", {
      token: write,
      body: body({ name: "Api Refused Physio" }, { vendor: "cliniko", apiKey: acct.key }),
    });
    expectProblem(r, 422, "key_refused");
    expect(r.json).toMatchObject({ verdict: { ok: false, failureCode: "auth_rejected" }, errors: [{ field: "connection.apiKey" }] });
    expect(JSON.stringify(r.json)).not.toContain(acct.key);
    expect(await services.db.select().from(clinics).where(eq(clinics.name, "Api Refused Physio"))).toHaveLength(0);
  });

  it("adds a clinic without a connection (201, connection null)", async () => {
    const r = await callApi(services, "POST", "/clinics", { token: write, body: body({ name: "Api No Connection" }) });
    expect(r.status).toBe(201);
    expectDocumented("createClinic", r);
    expect(r.json).toMatchObject({ clinic: { name: "Api No Connection", connection: null }, verdict: null });
  });
});

describe("GET /clinics/{clinicId}", () => {
  it("says what is wrong in the clinic's and support's words, with key hint, packet and open alerts, never the key", async () => {
    const acct = await account("Api Failing Physio");
    const ids = await clinicWithKey("Api Failing Physio", acct.key);
    await control.archiveClinikoKey(acct.key);
    // why two: a rejection after a healthy history is confirmed once before alarming
    await probe(ids);
    await probe(ids);
    const r = await callApi(services, "GET", `/clinics/${ids.clinicId}`, { token: read });
    expect(r.status).toBe(200);
    expectDocumented("getClinic", r);
    const c = r.json as {
      connection: {
        state: string;
        failure: { code: string; clinicMessage: string; supportMessage: string; suggestedAction: string };
        keyHint: string;
        escalationPacket: string;
        region: string;
      };
      openAlerts: { kind: string }[];
    };
    expect(c.connection).toMatchObject({
      state: "action_required",
      region: "au1",
      failure: {
        code: "auth_rejected",
        clinicMessage: TAXONOMY.auth_rejected.clinicMessage,
        suggestedAction: TAXONOMY.auth_rejected.suggestedAction,
        whoMustAct: "clinic",
      },
    });
    expect(c.connection.keyHint).toMatch(/\S/);
    expect(c.connection.escalationPacket).toContain("Api Failing Physio");
    expect(c.openAlerts.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.json)).not.toContain(acct.key);
  });

  it("answers 404 for an id no clinic has, and for one that cannot be an id", async () => {
    expectProblem(await callApi(services, "GET", `/clinics/${UNKNOWN}`, { token: read }), 404, "clinic_not_found");
    expectProblem(await callApi(services, "GET", "/clinics/not-a-uuid", { token: read }), 404, "not_found");
  });
});

describe("PUT /clinics/{clinicId}/key", () => {
  it("refuses a read-only token (403) and an unknown member (422)", async () => {
    const acct = await account("Api Key Scope");
    const ids = await clinicWithKey("Api Key Scope", acct.key);
    expectProblem(await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: read, body: { apiKey: acct.key } }), 403);
    expectProblem(await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: acct.key, key: "x" } }), 422, "invalid_body");
  });

  it("changes nothing for a refused key (422 with the verdict), then stores a working one (200), audited as the token", async () => {
    const acct = await account("Api Key Replace");
    const ids = await clinicWithKey("Api Key Replace", acct.key);
    const before = await conn(ids.connectionId);
    const dead = await control.addClinikoKey(acct.id, { status: "archived" });
    const refused = await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: dead.key } });
    expectProblem(refused, 422, "key_refused");
    expect(refused.json).toMatchObject({ verdict: { ok: false } });
    expect((await conn(ids.connectionId)).keyHint).toBe(before.keyHint);

    const fresh = await control.addClinikoKey(acct.id, {});
    const ok = await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: fresh.key } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expectDocumented("replaceClinicKey", ok);
    expect(ok.json).toMatchObject({ result: "connected", visiblePatients: expect.any(Number) });
    expect(JSON.stringify(ok.json)).not.toContain(fresh.key);
    const after = await conn(ids.connectionId);
    expect(after.keyHint).not.toBe(before.keyHint);
    const [audit] = await auditsOf(services, "connection.key_replaced", ids.clinicId);
    expect(audit).toMatchObject({ actorLabel: tokenLabel });
  });

  it("holds a key of a different account for confirmation in the console (202) and refuses another clinic's key (409)", async () => {
    const mine = await account("Api Key Mine");
    const other = await account("Api Key Other");
    const ids = await clinicWithKey("Api Key Mine", mine.key);
    const held = await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: other.key } });
    expect(held.status, JSON.stringify(held.json)).toBe(202);
    expectDocumented("replaceClinicKey", held);
    expect(held.json).toMatchObject({ result: "account_held", accountName: "Api Key Other" });

    const taken = await account("Api Key Taken");
    await clinicWithKey("Api Key Taken", taken.key);
    const shared = await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: taken.key } });
    expectProblem(shared, 409, "key_in_use");
    expect(shared.json).toMatchObject({ errors: [{ field: "apiKey" }] });
  });

  it("answers 404 for an unknown clinic and 409 for any write on an archived one", async () => {
    expectProblem(await callApi(services, "PUT", `/clinics/${UNKNOWN}/key`, { token: write, body: { apiKey: "k".repeat(30) } }), 404);
    const ids = await insertClinic(services.db, { name: "Api Key Archived" });
    await services.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, ids.clinicId));
    expectProblem(await callApi(services, "PUT", `/clinics/${ids.clinicId}/key`, { token: write, body: { apiKey: "k".repeat(30) } }), 409, "clinic_archived");
    // every write on an archived clinic, as the console's "restore it first"; reads still answer
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/probes`, { token: write }), 409, "clinic_archived");
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/syncs`, { token: write }), 409, "clinic_archived");
    expectProblem(
      await callApi(services, "POST", `/clinics/${ids.clinicId}/reconnect-links`, { token: write, body: { purpose: "x" } }),
      409,
      "clinic_archived",
    );
    const archived = await callApi(services, "GET", `/clinics/${ids.clinicId}`, { token: read });
    expect(archived.json).toMatchObject({ archived: true });
  });
});

describe("POST /clinics/{clinicId}/probes", () => {
  it("answers 202 with where to poll when the probe has not run within the wait, audited as the token", async () => {
    const acct = await account("Api Probe Queued");
    const ids = await clinicWithKey("Api Probe Queued", acct.key);
    const r = await callApi(services, "POST", `/clinics/${ids.clinicId}/probes`, { token: write, headers: { Prefer: "wait=0" } });
    expect(r.status).toBe(202);
    expectDocumented("probeClinic", r);
    expect(r.headers.get("Location")).toBe(`/api/v1/clinics/${ids.clinicId}`);
    const jobs = await t.sql`select 1 from pgboss.job where name = 'probe' and data->>'connectionId' = ${ids.connectionId} and data->>'reason' = 'manual'`;
    expect(jobs).toHaveLength(1);
    const [audit] = await auditsOf(services, "connection.probe_requested", ids.clinicId);
    expect(audit).toMatchObject({ actorLabel: tokenLabel });
  });

  it("answers 200 with the result when the worker runs the probe within the wait", async () => {
    const acct = await account("Api Probe Done");
    const ids = await clinicWithKey("Api Probe Done", acct.key);
    await control.archiveClinikoKey(acct.key);
    const call = callApi(services, "POST", `/clinics/${ids.clinicId}/probes`, { token: write });
    // the worker's part: take the queued probe and run it through the real handler
    let ran = false;
    for (let i = 0; i < 50 && !ran; i++) {
      const jobs = await services.boss.fetch<object>(QUEUES.probe.name, { batchSize: 10 });
      const mine = jobs.filter((j) => (j.data as { connectionId: string }).connectionId === ids.connectionId);
      if (jobs.length) {
        await handleProbeBatch(jobs, {
          db: services.db,
          logger: services.logger,
          vendors: services.vendors,
          keyring: services.keyring,
          alerts: services.alerts,
          probes: services.queues.probe,
        });
        await services.boss.complete(
          QUEUES.probe.name,
          jobs.map((j) => j.id),
        );
      }
      ran = mine.length > 0;
      if (!ran) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ran).toBe(true);
    const r = await call;
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expectDocumented("probeClinic", r);
    // why degraded: a first rejection after a healthy history waits for its confirmation probe
    expect(r.json).toMatchObject({ status: "done", failureCode: "auth_rejected" });
  });

  it("refuses a read-only token (403) and answers 404 for an unknown clinic", async () => {
    const ids = await insertClinic(services.db, { name: "Api Probe Scope" });
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/probes`, { token: read }), 403);
    expectProblem(await callApi(services, "POST", `/clinics/${UNKNOWN}/probes`, { token: write }), 404);
  });
});

describe("POST /clinics/{clinicId}/reconnect-links", () => {
  it("creates a link (201) whose URL is only in the response, audited as the token", async () => {
    const ids = await insertClinic(services.db, { name: "Api Link Physio", state: "action_required", failureCode: "auth_rejected" });
    const r = await callApi(services, "POST", `/clinics/${ids.clinicId}/reconnect-links`, { token: write, body: { purpose: "Your key stopped working" } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expectDocumented("createReconnectLink", r);
    const { url } = r.json as { url: string };
    expect(url).toMatch(/\/reconnect\/[\w-]+$/);
    const [audit] = await auditsOf(services, "reconnect_link.created", ids.clinicId);
    expect(audit).toMatchObject({ actorLabel: tokenLabel });
    const token = url.split("/").at(-1)!;
    const everywhere = await t.sql`select count(*)::int as n from audit_log where details::text like ${`%${token}%`} or actor_label like ${`%${token}%`}`;
    expect(everywhere[0]!.n).toBe(0);
    expect((await conn(ids.connectionId)).state).toBe("reconnect_pending");
  });

  it("answers 422 for an empty purpose and for email without an admin address; 403 for a read token", async () => {
    const ids = await insertClinic(services.db, { name: "Api Link Refused", state: "action_required", failureCode: "auth_rejected" });
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/reconnect-links`, { token: write, body: { purpose: " " } }), 422, "invalid_body");
    await services.db.update(clinics).set({ adminEmail: null }).where(eq(clinics.id, ids.clinicId));
    const noEmail = await callApi(services, "POST", `/clinics/${ids.clinicId}/reconnect-links`, {
      token: write,
      body: { purpose: "New key please", email: true },
    });
    expectProblem(noEmail, 422, "no_admin_email");
    expect(noEmail.json).toMatchObject({ errors: [{ field: "purpose" }] });
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/reconnect-links`, { token: read, body: { purpose: "x" } }), 403);
    expectProblem(await callApi(services, "POST", `/clinics/${UNKNOWN}/reconnect-links`, { token: write, body: { purpose: "x" } }), 404);
  });
});

describe("POST /clinics/{clinicId}/syncs", () => {
  it("queues a sync (202), audited as the token; 403 for a read token, 404 for an unknown clinic", async () => {
    const ids = await insertClinic(services.db, { name: "Api Sync Physio", state: "healthy" });
    const r = await callApi(services, "POST", `/clinics/${ids.clinicId}/syncs`, { token: write });
    expect(r.status).toBe(202);
    expectDocumented("syncClinic", r);
    const jobs = await t.sql`select data from pgboss.job where name = 'sync' and data->>'connectionId' = ${ids.connectionId}`;
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data).toMatchObject({ trigger: "manual", requestedBy: `user:${who.admin.id}` });
    const [audit] = await auditsOf(services, "connection.sync_requested", ids.clinicId);
    expect(audit).toMatchObject({ actorLabel: tokenLabel });
    expectProblem(await callApi(services, "POST", `/clinics/${ids.clinicId}/syncs`, { token: read }), 403);
    expectProblem(await callApi(services, "POST", `/clinics/${UNKNOWN}/syncs`, { token: write }), 404);
  });
});

describe("GET /clinics/{clinicId}/timeline", () => {
  it("pages the timeline newest first with a cursor, losing no event of the same instant", async () => {
    const ids = await insertClinic(services.db, { name: "Api Timeline Physio" });
    // why one timestamp with microseconds: events written in one statement share it
    await t.sql`insert into connection_events (connection_id, clinic_id, at, kind, actor, message)
      select ${ids.connectionId}, ${ids.clinicId}, '2026-01-01T00:00:00.123456Z', 'note', 'system', 'note ' || g from generate_series(1, 4) g`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await callApi(services, "GET", `/clinics/${ids.clinicId}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: read });
      expect(r.status).toBe(200);
      expectDocumented("listClinicTimeline", r);
      const body = r.json as { data: { message: string }[]; next: string | null };
      seen.push(...body.data.map((e) => e.message));
      cursor = body.next;
    } while (cursor);
    expect(seen).toEqual(["Created by a test", "note 4", "note 3", "note 2", "note 1"]);
  });

  it("answers 400 for a forged cursor and 404 for an unknown clinic", async () => {
    const ids = await insertClinic(services.db, { name: "Api Timeline Errors" });
    expectProblem(await callApi(services, "GET", `/clinics/${ids.clinicId}/timeline?cursor=abc`, { token: read }), 400, "invalid_query");
    expectProblem(await callApi(services, "GET", `/clinics/${UNKNOWN}/timeline`, { token: read }), 404);
  });
});
