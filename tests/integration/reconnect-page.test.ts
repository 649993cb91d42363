import { Writable } from "node:stream";
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/reconnect.$token.tsx";
import { loader as doneLoader } from "../../app/routes/reconnect.done.tsx";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { alertNotifications, alerts, auditLog, connectionEvents, connections, rateLimitHits, reconnectLinks } from "../../db/schema/index.ts";
import { applyAlertWork } from "../../domain/alerts/apply.ts";
import { keyringFromConfig, openApiKey } from "../../domain/connections/key-storage.ts";
import { buildEscalationPacket } from "../../domain/health/escalation.ts";
import { createReconnectLink, describeLink } from "../../domain/reconnect/links.ts";
import { submitReconnectKey, type ReconnectOutcome } from "../../domain/reconnect/submit.ts";
import { createLogger } from "../../lib/logger.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { clinikoKey } from "../../simulator/keys.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { alertRecipients } from "../../composition/services.ts";
import { createQueues } from "../../workers/queues.ts";
import { reconnectDeps } from "../../app/components/reconnect-context.server.ts";
import type { Services } from "../../app/services.server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createTestServices, type TestServices } from "../support/services.ts";
import { connectionOf, makeBrokenClinic } from "./reconnect-fixtures.ts";

let t: TestDatabase;
let sim: SimulatorHandle;
let base: TestServices;
/** Services whose logger writes into `logLines`, so the tests can grep every log line for keys. */
let services: Services;
const logLines: string[] = [];
/** Every key any test submitted: none may appear in a body, a log line, an audit row or an event. */
const submittedKeys = new Set<string>();
/** Everything every response put on the wire (headers and body), for the final leak check. */
const wireLog: string[] = [];

const demo = (scenario: string) => DEMO_FLEET.find((d) => d.scenario === scenario)!;
const BONDI_CURRENT = clinikoKey("bondi-current", "au3");
const tokenOf = (path: string) => path.split("/").pop()!;

beforeAll(async () => {
  t = await createTestDatabase();
  sim = await startSimulator({ port: 0 });
  base = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  services = { ...base, logger: createLogger({ name: "test", level: "debug", pretty: false }, sink) };
});
afterAll(async () => {
  await base?.stop();
  await sim?.close();
  await t?.drop();
});
beforeEach(async () => {
  // why: every test posts from the same address; each starts with fresh attempt counters
  await t.db.delete(rateLimitHits);
});

interface Settled {
  status: number;
  headers: Headers;
  data: unknown;
  /** Everything that would go over the wire, for the leak checks. */
  wire: string;
}

async function run(fn: () => Promise<unknown>): Promise<Settled> {
  const r = await settleResult(fn);
  wireLog.push(r.wire);
  return r;
}

async function settleResult(fn: () => Promise<unknown>): Promise<Settled> {
  let value: unknown;
  try {
    value = await fn();
  } catch (thrown) {
    value = thrown;
  }
  if (value instanceof Response) {
    const body = await value.clone().text();
    return { status: value.status, headers: value.headers, data: null, wire: `${[...value.headers].join("\n")}\n${body}` };
  }
  const d = value as { type: string; data: unknown; init: ResponseInit | null };
  if (d?.type !== "DataWithResponseInit") throw new Error(`unexpected loader/action result: ${String(value)}`);
  const headers = new Headers(d.init?.headers);
  return { status: d.init?.status ?? 200, headers, data: d.data, wire: `${[...headers].join("\n")}\n${JSON.stringify(d.data)}` };
}

function get(token: string) {
  return run(() => loader({ request: new Request(`http://localhost/reconnect/${token}`), params: { token }, context: { services } }));
}

function post(token: string, form: Record<string, string>, clientAddress = "203.0.113.10") {
  if (form.key) submittedKeys.add(form.key.trim().replace(/^["']|["']$/g, ""));
  const request = new Request(`http://localhost/reconnect/${token}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return run(() => action({ request, params: { token }, context: { services, clientAddress } }));
}

type ActionData = { outcome: Exclude<ReconnectOutcome, { kind: "connected" }> | null; keyError: string | null };
const outcomeOf = (r: Settled) => (r.data as ActionData).outcome!;

function expectSecurityHeaders(headers: Headers) {
  expect(headers.get("Cache-Control")).toBe("no-store");
  expect(headers.get("Referrer-Policy")).toBe("no-referrer");
  expect(headers.get("X-Robots-Tag")).toBe("noindex");
}

async function linkFor(clinicId: string, purpose = "Reconnect after the platform migration") {
  const link = await createReconnectLink({ clinicId, purpose, createdBy: "system" }, t.db);
  return { ...link, token: tokenOf(link.path) };
}

describe("the reconnect page", () => {
  it("shows only the clinic, vendor and purpose, with no-store headers; unknown and used links look the same", async () => {
    const { clinic } = await makeBrokenClinic(t, demo("cliniko_key_archived"));
    const link = await linkFor(clinic.id);
    const page = await get(link.token);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers);
    expect(page.data).toEqual({
      view: { status: "active", clinicName: clinic.name, vendor: "cliniko", purpose: "Reconnect after the platform migration" },
      // the vendor's brand (never Relink), the exact expiry in the clinic's zone, the region on file
      brand: { productName: "Clinic Connect", logoUrl: null, supportEmail: null, supportUrl: null },
      expiresText: expect.stringMatching(/^\w+, \d+ \w+ \d{4}, \d\d:\d\d \(.+\)$/),
      knownRegion: expect.any(String),
    });
    expect(page.wire).not.toContain("OLD1"); // the stored key's hint

    const unknown = await get("A".repeat(43));
    const garbage = await get("..%2f..");
    for (const r of [unknown, garbage]) {
      expect(r.status).toBe(404);
      expectSecurityHeaders(r.headers);
      expect(r.data).toMatchObject({ view: { status: "unavailable" }, expiresText: null, knownRegion: null });
    }
  });

  it("archived Cliniko key refused with the exact fix, then the new key connects: one transaction, alerts resolved, single use", async () => {
    const { clinic, connection } = await makeBrokenClinic(t, demo("cliniko_key_archived"));
    // an alert is open for the broken key, as the probe would have left it
    const packet = buildEscalationPacket({
      organisationName: clinic.name,
      vendor: "cliniko",
      region: "au3",
      failureCode: "auth_rejected",
      evidence: null,
      keyUpdatedAt: null,
      firstFailureAt: new Date(),
      lastSuccessAt: null,
    });
    const alertDeps = { queue: createQueues(base.boss).deliver, recipients: alertRecipients(base.env) };
    await applyAlertWork(
      { connectionId: connection!.id, clinicId: clinic.id, open: ["connection_needs_action"], resolve: [], recovered: false, packet, now: new Date() },
      t.db,
      alertDeps,
    );
    const link = await linkFor(clinic.id);

    const refused = await post(link.token, { intent: "verify", key: demo("cliniko_key_archived").key });
    expect(refused.status).toBe(422);
    expectSecurityHeaders(refused.headers);
    const o = outcomeOf(refused);
    expect(o.kind).toBe("refused");
    if (o.kind !== "refused") return;
    expect(o.refusal.failureCode).toBe("auth_rejected");
    expect(o.refusal.steps).toContain("Copy the key straight away: Cliniko shows it only once. If it is lost, create a new one.");
    expect(o.refusal.steps.some((s) => s.includes('No "API keys" section'))).toBe(true);
    expect(o.refusal.supportHref).toMatch(/^mailto:/);
    const mail = decodeURIComponent(o.refusal.supportHref);
    expect(mail).toContain(`Escalation: ${clinic.name}`);
    expect(mail).toContain("Key rejected (auth_rejected)");
    expect(mail).toContain("Key re-entered since the failure began: yes");
    expect(mail).not.toContain("OLD1");
    expect((await connectionOf(t, connection!.id)).state).toBe("reconnect_pending");

    const ok = await post(link.token, { intent: "verify", key: BONDI_CURRENT });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("Location")).toBe("/reconnect/done");
    expectSecurityHeaders(ok.headers);
    const cookie = ok.headers.get("Set-Cookie")!;
    expect(cookie).toContain("Path=/reconnect");

    const after = await connectionOf(t, connection!.id);
    expect(after).toMatchObject({
      state: "healthy",
      region: "au3",
      apiVersion: "v1",
      failureCode: null,
      failureEvidence: null,
      consecutiveFailures: 0,
      firstFailureAt: null,
      vendorUserName: "Jess Walker",
      vendorUserRole: "administrator",
      everHadPatients: true,
    });
    expect(after.visiblePatientCount).toBeGreaterThan(1000); // the demo account's active patients
    const keyring = keyringFromConfig(base.masterKey, base.env.MASTER_KEY_ID);
    expect(openApiKey(keyring, after)).toBe(BONDI_CURRENT);
    expect(after.keyHint).not.toBe("…OLD1 (au3)");

    const events = await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, connection!.id)).orderBy(asc(connectionEvents.id));
    expect(events.filter((e) => e.actor === "link").map((e) => e.kind)).toEqual(["note", "key_replaced", "recovered"]);
    expect(events.find((e) => e.kind === "recovered")).toMatchObject({ fromState: "reconnect_pending", toState: "healthy" });

    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.clinicId, clinic.id), eq(auditLog.action, "connection.key_replaced")));
    expect(audit).toMatchObject({ actorLabel: "reconnect link", actorUserId: null });
    expect(audit!.details).toMatchObject({
      linkId: link.linkId,
      fromState: "reconnect_pending",
      toState: "healthy",
      visiblePatients: after.visiblePatientCount,
    });

    const open = await t.db.select().from(alerts).where(eq(alerts.connectionId, connection!.id));
    expect(open.map((a) => a.status)).toEqual(["resolved"]);
    const recovered = await t.db
      .select()
      .from(alertNotifications)
      .where(and(eq(alertNotifications.connectionId, connection!.id), eq(alertNotifications.event, "recovered")));
    expect(recovered.length).toBeGreaterThanOrEqual(1);

    // the done page reads the confirmation from the cookie, with no token
    const done = await run(() =>
      doneLoader({
        request: new Request("http://localhost/reconnect/done", { headers: { Cookie: cookie.split(";")[0]! } }),
        params: {},
        context: { services },
      }),
    );
    expectSecurityHeaders(done.headers);
    expect(done.data).toEqual({
      confirmation: {
        clinicName: clinic.name,
        vendor: "cliniko",
        vendorLabel: "Cliniko",
        userName: "Jess Walker",
        userRole: "administrator",
        visiblePatients: after.visiblePatientCount,
        visiblePatientsAtLeast: false,
        regionLabel: "au3",
        notes: [],
        heldByPause: false,
        // issue 14: the success says when the clinic's briefing arrives, in its own zone
        briefingLine: expect.stringMatching(/^Your first briefing arrives Monday \d{1,2} [A-Z][a-z]{2}, 07:00 Australia\/Sydney\.$/),
      },
      brand: { productName: "Clinic Connect", logoUrl: null, supportEmail: null, supportUrl: null },
    });
    const empty = await run(() => doneLoader({ request: new Request("http://localhost/reconnect/done"), params: {}, context: { services } }));
    expect(empty.data).toMatchObject({ confirmation: null, brand: { productName: "Clinic Connect" } });

    // used up: the page says the connection already works (issue 11: never a dead "invalid link"
    // for a clinic that opens the email again), a re-post is "unavailable", and nothing changes
    const reopened = await get(link.token);
    expect(reopened.status).toBe(200);
    expect(reopened.data).toMatchObject({ view: { status: "fixed", clinicName: clinic.name, vendor: "cliniko" } });
    const again = await post(link.token, { intent: "verify", key: BONDI_CURRENT });
    expect(again.status).toBe(404);
    expect(outcomeOf(again)).toEqual({ kind: "unavailable" });
    const keyEvents = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.connectionId, connection!.id), eq(connectionEvents.kind, "key_replaced")));
    expect(keyEvents).toHaveLength(1);
  });

  it("says what it cleaned from a key pasted with whitespace and quotes", async () => {
    const d = demo("healthy_cliniko_au2");
    const { clinic, connection } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    submittedKeys.add(d.key);
    const ok = await post(link.token, { intent: "verify", key: `  "${d.key}"\n` });
    expect(ok.status).toBe(302);
    const done = await run(() =>
      doneLoader({
        request: new Request("http://localhost/reconnect/done", { headers: { Cookie: ok.headers.get("Set-Cookie")!.split(";")[0]! } }),
        params: {},
        context: { services },
      }),
    );
    expect((done.data as { confirmation: { notes: string[] } }).confirmation.notes).toEqual([
      "Removed spaces or line breaks around the key.",
      "Removed the quotes around the key.",
    ]);
    expect(openApiKey(keyringFromConfig(base.masterKey, base.env.MASTER_KEY_ID), await connectionOf(t, connection!.id))).toBe(d.key);
  });

  it("a key entered while support has paused the connection is stored, but the connection stays paused", async () => {
    const d = demo("healthy_cliniko_uk1");
    const { clinic, connection } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    await t.db.update(connections).set({ state: "paused" }).where(eq(connections.id, connection!.id));
    submittedKeys.add(d.key);
    const ok = await post(link.token, { intent: "verify", key: d.key });
    expect(ok.status).toBe(302);
    const stored = await connectionOf(t, connection!.id);
    expect(stored.state).toBe("paused");
    expect(openApiKey(keyringFromConfig(base.masterKey, base.env.MASTER_KEY_ID), stored)).toBe(d.key);
    const done = await run(() =>
      doneLoader({
        request: new Request("http://localhost/reconnect/done", { headers: { Cookie: ok.headers.get("Set-Cookie")!.split(";")[0]! } }),
        params: {},
        context: { services },
      }),
    );
    expect((done.data as { confirmation: { heldByPause: boolean } }).confirmation.heldByPause).toBe(true);
  });

  it("Nookal key with the wrong region: names the right one, keeps the key server-side, and one click connects", async () => {
    const d = demo("nookal_wrong_region");
    const { clinic, connection } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id, "Reconnect Nookal");
    const wrong = await post(link.token, { intent: "verify", key: d.key, region: "us", apiVersion: "auto" });
    expect(wrong.status).toBe(422);
    const o = outcomeOf(wrong);
    if (o.kind !== "refused") throw new Error(o.kind);
    expect(o.refusal).toMatchObject({ failureCode: "wrong_region", suggestedRegion: "au", suggestedRegionLabel: "AU/NZ", form: { region: "us" } });

    const [row] = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.id, link.linkId));
    expect(row!.retryRegion).toBe("au");
    expect(row!.retryKeyCiphertext).not.toBeNull();
    expect(row!.retryKeyCiphertext!.toString("utf8")).not.toContain(d.key);

    const retried = await post(link.token, { intent: "use_suggested_region" });
    expect(retried.status).toBe(302);
    const after = await connectionOf(t, connection!.id);
    expect(after).toMatchObject({ state: "healthy", region: "au", apiVersion: "v3" });
    expect(after.visiblePatientCount).toBeGreaterThan(600);
    const [used] = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.id, link.linkId));
    expect(used!.usedAt).not.toBeNull();
    expect(used!.retryKeyCiphertext).toBeNull();
    const changed = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.connectionId, connection!.id), eq(connectionEvents.kind, "region_changed")));
    expect(changed.map((e) => e.details)).toEqual([{ from: "us", to: "au" }]);
  });

  it("a Cliniko key without its shard ending that lives on another shard connects there with one click", async () => {
    const d = demo("cliniko_wrong_shard_no_suffix");
    const { clinic, connection } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    const o = outcomeOf(await post(link.token, { intent: "verify", key: d.key }));
    if (o.kind !== "refused") throw new Error(o.kind);
    expect(o.refusal.suggestedRegion).toBe("uk2");
    expect((await post(link.token, { intent: "use_suggested_region" })).status).toBe(302);
    expect(await connectionOf(t, connection!.id)).toMatchObject({ state: "healthy", region: "uk2", vendorUserName: "Declan Murphy" });
  });

  it("the one-click retry expires after ten minutes and then asks for the key again", async () => {
    const d = demo("nookal_wrong_region");
    const { clinic } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    const deps = reconnectDeps(services);
    const first = await submitReconnectKey(
      { token: link.token, clientAddress: "198.51.100.1", submission: { intent: "verify", rawKey: d.key, region: "us" } },
      deps,
    );
    expect(first.kind).toBe("refused");
    const later = () => new Date(Date.now() + 11 * 60_000);
    const retry = await submitReconnectKey(
      { token: link.token, clientAddress: "198.51.100.1", submission: { intent: "use_suggested_region" } },
      { ...deps, now: later },
    );
    expect(retry.kind).toBe("retry_expired");
    const [row] = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.id, link.linkId));
    expect(row!.retryKeyCiphertext).toBeNull();
    expect(await describeLink({ token: link.token }, t.db)).toMatchObject({ status: "active" });
  });

  it("zero patients visible: no success claim, the likely cause, and the link still works", async () => {
    const d = demo("nookal_key_scoped_to_empty_location");
    const { clinic, connection } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    const r = await post(link.token, { intent: "verify", key: d.key, region: "au" });
    expect(r.status).toBe(422);
    const o = outcomeOf(r);
    if (o.kind !== "refused") throw new Error(o.kind);
    expect(o.refusal).toMatchObject({ failureCode: "no_patients_visible", visiblePatients: 0 });
    expect(o.refusal.verifiedUser?.name).toBeTruthy();
    expect(o.refusal.likelyCause).toContain("different location");
    expect(await describeLink({ token: link.token }, t.db)).toMatchObject({ status: "active" });
    expect((await connectionOf(t, connection!.id)).state).toBe("reconnect_pending");
  });

  it("a local refusal names the specific problem without asking the vendor", async () => {
    const d = demo("cliniko_key_bad_suffix");
    const { clinic } = await makeBrokenClinic(t, d);
    const link = await linkFor(clinic.id);
    const stats = async () => ((await (await fetch(`${sim.url}/_control/stats`)).json()) as { requests: number }).requests;
    const before = await stats();
    const o = outcomeOf(await post(link.token, { intent: "verify", key: d.key }));
    if (o.kind !== "refused") throw new Error(o.kind);
    expect(o.refusal.failureCode).toBe("key_malformed");
    expect(o.refusal.localReason).toMatch(/not a Cliniko region/);
    expect(o.refusal.vendorAnswer).toBeNull();
    // why: the only request the simulator saw in between is the stats call itself
    expect(await stats()).toBe(before + 1);

    const blank = await post(link.token, { intent: "verify", key: "   " });
    expect(blank.status).toBe(400);
    expect((blank.data as ActionData).keyError).toBe("Paste your API key into the box first.");
  });

  it("rate-limits attempts per link and per client address, with a clear wait", async () => {
    const { clinic } = await makeBrokenClinic(t, demo("cliniko_key_archived"));
    const link = await linkFor(clinic.id);
    for (let i = 0; i < 10; i++) expect((await post(link.token, { intent: "verify", key: `short${i}` }, `192.0.2.${i}`)).status).toBe(422);
    // 11th through this link, from a fresh address: the link's own limit
    const limited = await post(link.token, { intent: "verify", key: BONDI_CURRENT }, "192.0.2.200");
    expect(limited.status).toBe(429);
    expectSecurityHeaders(limited.headers);
    const o = outcomeOf(limited);
    if (o.kind !== "rate_limited") throw new Error(o.kind);
    expect(o.retryAfterSeconds).toBeGreaterThan(0);
    expect(o.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    expect(limited.headers.get("Retry-After")).toBe(String(o.retryAfterSeconds));
    expect((await connectionOf(t, (await describeLinkRow(link.linkId)).connectionId)).state).toBe("reconnect_pending");

    // one address across many links (and unknown tokens): the address's limit
    await t.db.delete(rateLimitHits);
    const other = await makeBrokenClinic(t, demo("cliniko_key_archived"));
    const second = await linkFor(other.clinic.id);
    for (let i = 0; i < 5; i++) await post("B".repeat(43), { intent: "verify", key: `probe${i}` }, "192.0.2.99");
    for (let i = 0; i < 5; i++) await post(link.token, { intent: "verify", key: `short${i}` }, "192.0.2.99");
    const blocked = await post(second.token, { intent: "verify", key: "short-x" }, "192.0.2.99");
    expect(blocked.status).toBe(429);
    const elsewhere = await post(second.token, { intent: "verify", key: "short-y" }, "192.0.2.100");
    expect(elsewhere.status).toBe(422);
  });

  it("two submissions racing through one link: exactly one key is stored", async () => {
    const { clinic, connection } = await makeBrokenClinic(t, demo("cliniko_key_archived"));
    const link = await linkFor(clinic.id);
    // why: BONDI_CURRENT already serves the clinics of earlier tests, and one key never serves two clinics (0026)
    const fresh = (await controlClient(sim.url).createClinikoAccount({ shard: "au3", businessName: "Bondi Podiatry" })).keys[0]!.key;
    const results = await Promise.all([1, 2, 3].map((n) => post(link.token, { intent: "verify", key: fresh }, `198.51.100.${n}`)));
    expect(results.map((r) => r.status).sort()).toEqual([302, 404, 404]);
    const replaced = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.connectionId, connection!.id), eq(connectionEvents.kind, "key_replaced")));
    expect(replaced).toHaveLength(1);
  });

  it("never lets a submitted key into a response, a log line, an audit entry, the timeline or a notification", async () => {
    expect(submittedKeys.size).toBeGreaterThan(5);
    const audit = JSON.stringify(await t.db.select().from(auditLog), (_k, v) => (typeof v === "bigint" ? String(v) : v));
    const events = JSON.stringify(await t.db.select().from(connectionEvents), (_k, v) => (typeof v === "bigint" ? String(v) : v));
    const notifications = JSON.stringify(await t.db.select().from(alertNotifications));
    const logs = logLines.join("");
    expect(logs).toContain("reconnect attempt");
    for (const key of submittedKeys) {
      if (key.length < 12) continue; // the made-up short ones are not keys
      for (const [where, text] of Object.entries({ audit, events, notifications, logs, wire: wireLog.join("\n") })) {
        expect(text.includes(key), `${where} contains a submitted key`).toBe(false);
      }
    }
  });
});

async function describeLinkRow(linkId: string) {
  const [row] = await t.db
    .select()
    .from(reconnectLinks)
    .where(inArray(reconnectLinks.id, [linkId]));
  return row!;
}
