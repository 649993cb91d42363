import { randomUUID } from "node:crypto";
import { and, asc, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconnectDeps } from "../../app/components/reconnect-context.server.ts";
import { action as clinicAction } from "../../app/routes/clinics.$clinicId/route.tsx";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { accountChanges, alertNotifications, alerts, auditLog, connectionEvents, connections, probeHistory, reconnectLinks } from "../../db/schema/index.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { submitReconnectKey } from "../../domain/reconnect/submit.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";

/**
 * Support enters a key for an existing clinic (issue 11), and pre-approves an account change,
 * through the clinic page's action with a real Request, against Postgres and the simulator over HTTP.
 */

let t: TestDatabase;
let sim: SimulatorHandle;
let services: TestServices;
let control: ControlClient;
let who: Awaited<ReturnType<typeof createRoleUsers>>;

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  control = controlClient(sim.url);
  who = await createRoleUsers(services);
});
afterAll(async () => {
  await services?.stop();
  await Promise.all([t?.drop(), sim?.close()]);
});

let seq = 0;
async function account(businessName: string, patients: number) {
  const a = await control.createClinikoAccount({ shard: "au1", businessName, patients, patientsOnly: true, label: `sk-${++seq}-${randomUUID().slice(0, 6)}` });
  return { ...a, key: a.keys[0]!.key };
}

/** A clinic whose stored key is `key`, probed once so its account is recorded as production records it. */
async function clinicWithKey(name: string, key: string) {
  const ids = await insertClinic(services.db, { name, region: "au1", state: "healthy", everHadPatients: true, visiblePatientCount: 12 });
  await services.db
    .update(connections)
    .set(sealApiKey(services.keyring, ids.connectionId, { vendor: "cliniko", key, region: "au1" }))
    .where(eq(connections.id, ids.connectionId));
  await probe(ids);
  return ids;
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
async function act(role: "viewer" | "agent", clinicId: string, form: Record<string, string>) {
  const request = await requestAs(services, who[role].id, `/clinics/${clinicId}`, { form });
  return settle(() => clinicAction({ request, params: { clinicId }, context: { services } }));
}
async function conn(connectionId: string) {
  const [row] = await services.db.select().from(connections).where(eq(connections.id, connectionId));
  return row!;
}
async function clinicEmails(clinicId: string) {
  return services.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, clinicId), eq(alertNotifications.audience, "clinic_admin")))
    .orderBy(asc(alertNotifications.createdAt));
}
async function audits(clinicId: string) {
  return (await services.db.select().from(auditLog).where(eq(auditLog.clinicId, clinicId))).map((a) => a.action);
}
async function timeline(clinicId: string) {
  return services.db.select().from(connectionEvents).where(eq(connectionEvents.clinicId, clinicId)).orderBy(asc(connectionEvents.at), asc(connectionEvents.id));
}

describe("support enters a new key on the clinic page", () => {
  it("checks it live, stores it, resolves the alerts and the clinic admin gets the works-again email", async () => {
    const acct = await account("Support Key Physio", 12);
    const ids = await clinicWithKey("Support Key Physio", acct.key);
    await control.archiveClinikoKey(acct.key);
    // why two: a rejection after a healthy history is confirmed once before alarming
    await probe(ids);
    await probe(ids);
    expect((await conn(ids.connectionId)).state).toBe("action_required");
    expect((await clinicEmails(ids.clinicId)).map((n) => n.event)).toEqual(["opened"]);

    // a viewer may not
    const fresh = await control.addClinikoKey(acct.id, {});
    expect((await act("viewer", ids.clinicId, { intent: "key-enter", key: fresh.key })).status).toBe(403);
    // a key that does not work is not stored and says why
    const bad = await act("agent", ids.clinicId, { intent: "key-enter", key: acct.key });
    expect(bad.status).toBe(422);
    expect((bad.data as { verdict: { ok: boolean } }).verdict.ok).toBe(false);
    expect((await conn(ids.connectionId)).state).toBe("action_required");

    const ok = await act("agent", ids.clinicId, { intent: "key-enter", key: fresh.key });
    expect(ok.status).toBe(302);
    const after = await conn(ids.connectionId);
    expect(after.state).toBe("healthy");
    expect(after.firstFailureAt).toBeNull();
    expect(after.keyHint).toContain(fresh.key.slice(-4).replace(/-au1$/, "").slice(-4));
    const open = await services.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.clinicId, ids.clinicId), eq(alerts.status, "open")));
    expect(open).toEqual([]);
    const emails = await clinicEmails(ids.clinicId);
    expect(emails.map((n) => n.event)).toEqual(["opened", "recovered"]);
    expect((emails[1]!.content as { subject: string }).subject).toBe("Clinic Connect works again with Cliniko — Support Key Physio");
    // the action email's link is moot once the key works
    const live = await services.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, ids.clinicId));
    expect(live.every((l) => l.usedAt || l.revokedAt)).toBe(true);
    expect(await audits(ids.clinicId)).toContain("connection.key_replaced");
    // the live check is on the probe strip, as the latest point
    const [tick] = await services.db.select().from(probeHistory).where(eq(probeHistory.connectionId, ids.connectionId)).orderBy(desc(probeHistory.at)).limit(1);
    expect(tick).toMatchObject({ kind: "key_check", ok: true, state: "healthy" });
    const rows = await timeline(ids.clinicId);
    expect(rows.some((e) => e.kind === "recovered" && e.message.includes(`with a key ${who.agent.email} entered`))).toBe(true);
    // the key itself is nowhere in what was stored about it
    expect(JSON.stringify(rows.map((e) => [e.message, e.details]))).not.toContain(fresh.key);
  });

  it("refuses a key another clinic uses, next to the key field", async () => {
    const a = await account("Shared Key One", 5);
    const b = await account("Shared Key Two", 5);
    await clinicWithKey("Shared Key One", a.key);
    const two = await clinicWithKey("Shared Key Two", b.key);
    const r = await act("agent", two.clinicId, { intent: "key-enter", key: a.key });
    expect(r.status).toBe(400);
    expect((r.data as { fieldErrors: Record<string, string[]> }).fieldErrors.key![0]).toMatch(/already connected for "Shared Key One"/);
    expect((await conn(two.connectionId)).keyHint).not.toContain(a.key.slice(-8, -4));
  });

  it("holds a key of a different account until support confirms the change", async () => {
    const mine = await account("Held Own Practice", 40);
    const other = await account("Someone Else Physio", 30);
    const ids = await clinicWithKey("Held Own Practice", mine.key);
    const before = await conn(ids.connectionId);
    const r = await act("agent", ids.clinicId, { intent: "key-enter", key: other.key });
    expect(r.status).toBe(302);
    const held = await conn(ids.connectionId);
    expect(held.keyUpdatedAt).toEqual(before.keyUpdatedAt);
    expect(held.vendorAccount?.name).toBe("Held Own Practice");
    const [change] = await services.db.select().from(accountChanges).where(eq(accountChanges.connectionId, ids.connectionId));
    expect(change).toMatchObject({ status: "awaiting_support", linkId: null });
    expect(change!.account.name).toBe("Someone Else Physio");

    expect((await act("agent", ids.clinicId, { intent: "account-confirm" })).status).toBe(302);
    const changed = await conn(ids.connectionId);
    expect(changed.vendorAccount?.name).toBe("Someone Else Physio");
    expect(await audits(ids.clinicId)).toEqual(expect.arrayContaining(["connection.account_change_requested", "connection.account_change_confirmed"]));
  });
});

describe("pre-approval of an account change", () => {
  it("is audited and on the timeline; the next key of another account connects without asking the clinic, once", async () => {
    const old = await account("Migrating Physio Old", 50);
    const next = await account("Migrating Physio New", 50);
    const third = await account("Migrating Physio Third", 50);
    const ids = await clinicWithKey("Migrating Physio", old.key);
    const viewer = await act("viewer", ids.clinicId, { intent: "account-preapprove", preapprovalNote: "moving to a new Cliniko account" });
    expect(viewer.status).toBe(403);
    expect((await act("agent", ids.clinicId, { intent: "account-preapprove", preapprovalNote: "x" })).status).toBe(400);
    expect((await act("agent", ids.clinicId, { intent: "account-preapprove", preapprovalNote: "moving to a new Cliniko account" })).status).toBe(302);
    expect((await conn(ids.connectionId)).accountChangePreapproval).toMatchObject({ by: who.agent.email, note: "moving to a new Cliniko account" });
    expect(await audits(ids.clinicId)).toContain("connection.account_change_preapproved");
    expect((await timeline(ids.clinicId)).at(-1)!.message).toMatch(/pre-approved a move to a different vendor account/);

    // the clinic enters the new account's key through a link: connected, no question
    const link = await createReconnectLink({ clinicId: ids.clinicId, purpose: "New account key", createdBy: who.agent.id }, services.db);
    const token = link.path.split("/").pop()!;
    const out = await submitReconnectKey({ token, clientAddress: "203.0.113.50", submission: { intent: "verify", rawKey: next.key } }, reconnectDeps(services));
    expect(out.kind).toBe("connected");
    const after = await conn(ids.connectionId);
    expect(after.vendorAccount?.name).toBe("Migrating Physio New");
    expect(after.accountChangePreapproval).toBeNull();
    const changed = (await timeline(ids.clinicId)).find((e) => e.kind === "account_changed");
    expect(changed?.message).toMatch(/from Migrating Physio Old to Migrating Physio New without asking the clinic: .* pre-approved it/);
    expect(await audits(ids.clinicId)).toContain("connection.account_change_preapproval_used");

    // consumed: a further account change is asked about again
    const link2 = await createReconnectLink({ clinicId: ids.clinicId, purpose: "Another key", createdBy: who.agent.id }, services.db);
    const again = await submitReconnectKey(
      { token: link2.path.split("/").pop()!, clientAddress: "203.0.113.51", submission: { intent: "verify", rawKey: third.key } },
      reconnectDeps(services),
    );
    expect(again.kind).toBe("account_question");
  });

  it("a support-entered key of the pre-approved other account connects too; withdrawing asks again", async () => {
    const old = await account("Withdraw Physio Old", 20);
    const next = await account("Withdraw Physio New", 20);
    const ids = await clinicWithKey("Withdraw Physio", old.key);
    await act("agent", ids.clinicId, { intent: "account-preapprove", preapprovalNote: "entity change" });
    await act("agent", ids.clinicId, { intent: "account-preapprove-withdraw" });
    expect((await conn(ids.connectionId)).accountChangePreapproval).toBeNull();
    await act("agent", ids.clinicId, { intent: "key-enter", key: next.key });
    expect((await conn(ids.connectionId)).vendorAccount?.name).toBe("Withdraw Physio Old");
    await act("agent", ids.clinicId, { intent: "account-discard" });

    await act("agent", ids.clinicId, { intent: "account-preapprove", preapprovalNote: "entity change, for real" });
    expect((await act("agent", ids.clinicId, { intent: "key-enter", key: next.key })).status).toBe(302);
    const after = await conn(ids.connectionId);
    expect(after.vendorAccount?.name).toBe("Withdraw Physio New");
    expect(after.accountChangePreapproval).toBeNull();
  });
});
