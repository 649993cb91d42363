import { randomUUID } from "node:crypto";
import { and, asc, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as reconnectLoader } from "../../app/routes/reconnect.$token.tsx";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { alertNotifications, connections, probeHistory, reconnectLinks } from "../../db/schema/index.ts";
import { applyAlertWork } from "../../domain/alerts/apply.ts";
import { deliverNotification } from "../../domain/alerts/deliver.ts";
import type { EmailSender, OutgoingEmail } from "../../domain/alerts/email.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { buildEscalationPacket } from "../../domain/health/escalation.ts";
import { createReconnectLink, describeLinkPage } from "../../domain/reconnect/links.ts";
import { submitReconnectKey } from "../../domain/reconnect/submit.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, settle, type TestServices } from "../support/services.ts";

/**
 * Links in action-needed emails (issue 11): every such email's link works until the expiry it
 * states, however many emails followed; using any link revokes all others; a link no longer needed
 * because the connection works again opens an "already fixed" page under the vendor's brand.
 */

let t: TestDatabase;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let services: TestServices;
let control: ControlClient;
let agentId: string;
const sent: OutgoingEmail[] = [];
const capture: EmailSender = {
  async send(message) {
    sent.push(message);
    return { messageId: `<${randomUUID()}@test>` };
  },
  close() {},
};

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  control = controlClient(sim.url);
  agentId = (await createRoleUsers(services)).agent.id;
});
afterAll(async () => {
  await services?.stop();
  await Promise.all([t?.drop(), sim?.close()]);
});

async function brokenClinic(name: string) {
  const account = await control.createClinikoAccount({ shard: "au1", patients: 9, patientsOnly: true });
  const key = account.keys[0]!.key;
  const ids = await insertClinic(services.db, { name, region: "au1", state: "healthy", everHadPatients: true, visiblePatientCount: 9 });
  await services.db
    .update(connections)
    .set(sealApiKey(services.keyring, ids.connectionId, { vendor: "cliniko", key, region: "au1" }))
    .where(eq(connections.id, ids.connectionId));
  await control.archiveClinikoKey(key);
  const live = {
    db: services.db,
    keyring: services.keyring,
    vendors: services.vendors,
    vendorSettings: services.vendor,
    alerts: services.alerts,
    probes: services.queues.probe,
  };
  // why two: a rejection after a healthy history is confirmed once before alarming
  await probeNow({ ...ids, actor: { userId: agentId, label: "agent" } }, live);
  await probeNow({ ...ids, actor: { userId: agentId, label: "agent" } }, live);
  return { ...ids, account };
}

async function actionEmails(clinicId: string) {
  return services.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, clinicId), eq(alertNotifications.audience, "clinic_admin"), eq(alertNotifications.event, "opened")))
    .orderBy(asc(alertNotifications.createdAt));
}

/** Sends one stored email as the worker would; returns the token its link carries. */
async function deliverToken(notificationId: string): Promise<string> {
  const status = await deliverNotification({ notificationId }, { ...services.delivery, email: capture });
  expect(status).toBe("delivered");
  const token = /\/reconnect\/([A-Za-z0-9_-]{43})/.exec(sent.at(-1)!.text)?.[1];
  expect(token).toBeDefined();
  return token!;
}

async function openPage(token: string) {
  return settle(() => reconnectLoader({ request: new Request(`http://test/reconnect/${token}`), params: { token }, context: { services } }));
}

describe("links in action-needed emails", () => {
  it("a second action email leaves the first email's link working; using one revokes the other, which then says 'already fixed'", async () => {
    const ids = await brokenClinic("Two Emails Physio");
    // a second action needed, later (the same connection now also shows no patients): its own email, its own link
    await applyAlertWork(
      {
        connectionId: ids.connectionId,
        clinicId: ids.clinicId,
        open: ["no_patients_visible"],
        resolve: [],
        recovered: false,
        packet: buildEscalationPacket({
          organisationName: "Two Emails Physio",
          vendor: "cliniko",
          region: "au1",
          apiVersion: "v1",
          failureCode: "no_patients_visible",
          evidence: null,
          keyHint: null,
          keyUpdatedAt: null,
          firstFailureAt: null,
          lastSuccessAt: null,
          visiblePatients: 0,
        }),
        now: new Date(),
      },
      services.db,
      services.alerts,
    );
    const emails = await actionEmails(ids.clinicId);
    expect(emails.length).toBe(2);
    expect(emails.every((e) => e.linkId)).toBe(true);
    // both emails really go out (none suppressed as "link revoked"), and both links open a working page
    const first = await deliverToken(emails[0]!.id);
    const second = await deliverToken(emails[1]!.id);
    expect((await describeLinkPage({ token: first }, services.db)).view.status).toBe("active");
    expect((await describeLinkPage({ token: second }, services.db)).view.status).toBe("active");
    const [conn] = await services.db.select().from(connections).where(eq(connections.id, ids.connectionId));
    expect(conn!.state).toBe("action_required");

    // the clinic uses the FIRST email's link: connected, and the second one is revoked…
    const fresh = await control.addClinikoKey(ids.account.id, {});
    const out = await submitReconnectKey(
      { token: first, clientAddress: "203.0.113.77", submission: { intent: "verify", rawKey: fresh.key } },
      { db: services.db, vendors: services.vendors, keyring: services.keyring, alerts: services.alerts, supportEmail: "help@vendor.example" },
    );
    expect(out.kind).toBe("connected");
    const [tick] = await services.db.select().from(probeHistory).where(eq(probeHistory.connectionId, ids.connectionId)).orderBy(desc(probeHistory.at)).limit(1);
    expect(tick).toMatchObject({ kind: "key_check", ok: true, state: "healthy" });
    const links = await services.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, ids.clinicId));
    expect(links.filter((l) => !l.usedAt && !l.revokedAt)).toEqual([]);
    // …and opening it says the connection already works, under the vendor's brand — never "invalid link"
    const page = await openPage(second);
    expect(page.status).toBe(200);
    expect(page.data).toMatchObject({
      view: { status: "fixed", clinicName: "Two Emails Physio", vendor: "cliniko" },
      brand: { productName: "Clinic Connect" },
    });
    // a used link of a connection that works again says the same
    expect((await describeLinkPage({ token: first }, services.db)).view.status).toBe("fixed");
    // submitting a key through it changes nothing
    const late = await submitReconnectKey(
      { token: second, clientAddress: "203.0.113.78", submission: { intent: "verify", rawKey: fresh.key } },
      { db: services.db, vendors: services.vendors, keyring: services.keyring, alerts: services.alerts, supportEmail: "help@vendor.example" },
    );
    expect(late.kind).toBe("unavailable");
  });

  it("a link support makes replaces support's earlier link but not an action email's; a broken connection's dead link stays 'unavailable'", async () => {
    const ids = await brokenClinic("Support And Email Physio");
    const [email] = await actionEmails(ids.clinicId);
    const emailed = await deliverToken(email!.id);
    const one = await createReconnectLink({ clinicId: ids.clinicId, purpose: "Please enter a new key", createdBy: agentId }, services.db);
    const two = await createReconnectLink({ clinicId: ids.clinicId, purpose: "Please enter a new key", createdBy: agentId }, services.db);
    expect(two.revoked).toBe(1);
    expect((await describeLinkPage({ token: emailed }, services.db)).view.status).toBe("active");
    expect((await describeLinkPage({ token: two.path.split("/").pop()! }, services.db)).view.status).toBe("active");
    // support's replaced link, while the connection is still broken: the ordinary "no longer usable" page (404)
    const replaced = await openPage(one.path.split("/").pop()!);
    expect(replaced.status).toBe(404);
    expect(replaced.data).toMatchObject({ view: { status: "unavailable" } });
  });
});
