import { randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { alertNotifications, connections, emailOutbox, reconnectLinks } from "../../db/schema/index.ts";
import { deliverNotification } from "../../domain/alerts/deliver.ts";
import type { EmailSender, OutgoingEmail } from "../../domain/alerts/email.ts";
import { addClinicByHand } from "../../domain/clinics/add-clinic.ts";
import { loadClinicPage } from "../../domain/clinics/clinic-page.ts";
import { applyRegionAndReprobe, createClinicReconnectLink, resendReconnectLink } from "../../domain/clinics/clinic-workflows.ts";
import { setManualNotes } from "../../domain/clinics/console-actions.ts";
import { lookupPatients, probeNow } from "../../domain/clinics/live.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { hashToken } from "../../domain/reconnect/tokens.ts";
import { submitReconnectKey } from "../../domain/reconnect/submit.ts";
import { startSimulator } from "../../simulator/server.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, type TestServices } from "../support/services.ts";

/**
 * Closing the loop with the clinic (decision 0027), against Postgres and the simulator over HTTP:
 * an "action needed" email carries a fresh link (sealed on the message, redacted in what is
 * stored), a wrong region is fixed by support without bothering the clinic, and every recovery
 * path ends with a "works again" email.
 */

let t: TestDatabase;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let services: TestServices;
let control: ControlClient;
let agent: { userId: string; label: string };
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
  const who = await createRoleUsers(services);
  agent = { userId: who.agent.id, label: who.agent.email };
});
afterAll(async () => {
  await services?.stop();
  await Promise.all([t?.drop(), sim?.close()]);
});

const live = () => ({
  db: services.db,
  keyring: services.keyring,
  vendors: services.vendors,
  vendorSettings: services.vendor,
  alerts: services.alerts,
  probes: services.queues.probe,
});

/** A clinic of our own whose stored key is `key`, on `region`, already healthy once. */
async function clinicWithKey(name: string, key: string, region: string) {
  const ids = await insertClinic(services.db, { name, region, state: "healthy", everHadPatients: true, visiblePatientCount: 12 });
  await services.db
    .update(connections)
    .set(sealApiKey(services.keyring, ids.connectionId, { vendor: "cliniko", key, region }))
    .where(eq(connections.id, ids.connectionId));
  return ids;
}

async function probe(ids: { clinicId: string; connectionId: string }) {
  return probeNow({ ...ids, actor: agent }, live());
}

async function clinicEmails(clinicId: string) {
  return services.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, clinicId), eq(alertNotifications.audience, "clinic_admin")))
    .orderBy(asc(alertNotifications.createdAt));
}

/** Delivers one stored message with the capturing sender; returns what left. */
async function deliver(notificationId: string): Promise<OutgoingEmail> {
  const before = sent.length;
  const status = await deliverNotification({ notificationId }, { ...services.delivery, email: capture });
  expect(status).toBe("delivered");
  expect(sent.length).toBe(before + 1);
  return sent.at(-1)!;
}

function content(n: { content: unknown }) {
  return n.content as { subject: string; text: string; html: string };
}

describe("an action-needed email carries a fresh reconnect link", () => {
  it("mints the link in the alert's transaction, stores only a redacted copy, and sends the real link", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 12, patientsOnly: true });
    const key = account.keys[0]!.key;
    const ids = await clinicWithKey("Loop Archived Physio", key, "au1");
    await control.archiveClinikoKey(key);
    // why: a rejection after a healthy history is confirmed by a second probe before alarming
    await probe(ids);
    await probe(ids);

    const [action] = await clinicEmails(ids.clinicId);
    expect(action).toBeDefined();
    const stored = content(action!);
    expect(stored.subject).toMatch(/^Action needed: reconnect Cliniko to Clinic Connect/);
    expect(action!.linkId).not.toBeNull();
    expect(action!.tokenCiphertext).not.toBeNull();
    // the stored copy (what /deliveries shows) has the link redacted
    expect(stored.text).toMatch(/\/reconnect\/…[A-Za-z0-9_-]{4}/);
    expect(stored.text).not.toMatch(/\/reconnect\/[A-Za-z0-9_-]{43}/);
    expect(stored.text).toMatch(/works once, until .+ \(Australia\/Sydney\)/);
    expect(stored.text).toContain("never changes anything there");

    const email = await deliver(action!.id);
    expect(email.from).toEqual({ name: "Clinic Connect", address: services.env.ALERT_FROM_EMAIL });
    const token = /\/reconnect\/([A-Za-z0-9_-]{43})/.exec(email.text)?.[1];
    expect(token).toBeDefined();
    expect(email.html).toContain(`/reconnect/${token}`);
    const [link] = await services.db
      .select()
      .from(reconnectLinks)
      .where(eq(reconnectLinks.tokenHash, hashToken(token!)));
    expect(link?.id).toBe(action!.linkId);
    // the token is wiped once the message settled, and the outbox copy stays redacted
    const [after] = await services.db.select().from(alertNotifications).where(eq(alertNotifications.id, action!.id));
    expect(after!.tokenCiphertext).toBeNull();
    const [outbox] = await services.db.select().from(emailOutbox).where(eq(emailOutbox.notificationId, action!.id));
    expect(outbox!.text).not.toContain(token!);
    // the state says what is true: nobody in support has asked the clinic yet
    const [conn] = await services.db.select().from(connections).where(eq(connections.id, ids.connectionId));
    expect(conn!.state).toBe("action_required");

    // the clinic pastes a new key through that link: a "works again" email follows
    const fresh = await control.addClinikoKey(account.id, {});
    const outcome = await submitReconnectKey(
      { token: token!, clientAddress: "203.0.113.9", submission: { intent: "verify", rawKey: fresh.key } },
      { db: services.db, vendors: services.vendors, keyring: services.keyring, alerts: services.alerts, supportEmail: "help@vendor.example" },
    );
    expect(outcome.kind).toBe("connected");
    const emails = await clinicEmails(ids.clinicId);
    const worksAgain = emails.find((n) => n.event === "recovered");
    expect(content(worksAgain!).subject).toBe("Clinic Connect works again with Cliniko — Loop Archived Physio");
    expect((await deliver(worksAgain!.id)).text).toContain("Nothing more to do on your side");
  });

  it("probe recovery (the clinic re-enabled the same key) sends a works-again email too", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true });
    const key = account.keys[0]!.key;
    const ids = await clinicWithKey("Loop Flapping Physio", key, "au1");
    await control.archiveClinikoKey(key);
    await probe(ids);
    await probe(ids);
    await control.activateClinikoKey(key);
    await probe(ids);
    const events = (await clinicEmails(ids.clinicId)).map((n) => n.event);
    expect(events).toEqual(["opened", "recovered"]);
  });

  it("nothing for the clinic to do is never under an 'Action needed' subject", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true });
    const ids = await clinicWithKey("Loop Hidden Patients", account.keys[0]!.key, "au1");
    await control.hidePatients(account.keys[0]!.key);
    await probe(ids);
    await probe(ids);
    for (const n of await clinicEmails(ids.clinicId)) {
      const c = content(n);
      if (/Action needed/.test(c.subject)) expect(c.text).not.toMatch(/nothing to do on your side/i);
      else expect(c.subject).toMatch(/^For your information/);
    }
  });
});

describe("a wrong region is support's to fix alone", () => {
  it("emails the clinic nothing when it opens; after apply, one email says what was switched and that it works again", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 8, patientsOnly: true, keyWithSuffix: false });
    const ids = await clinicWithKey("Loop Wrong Shard Physio", account.keys[0]!.key, "au1");
    await probe(ids);
    await probe(ids);
    const [conn] = await services.db.select().from(connections).where(eq(connections.id, ids.connectionId));
    expect(conn!.failureCode).toBe("wrong_region");
    expect(await clinicEmails(ids.clinicId)).toEqual([]);

    const { report } = await applyRegionAndReprobe({ clinicId: ids.clinicId, actor: agent }, { db: services.db, probe: (input) => probeNow(input, live()) });
    expect(report.outcome).toBe("healthy");
    const emails = await clinicEmails(ids.clinicId);
    expect(emails.map((n) => n.event)).toEqual(["recovered"]);
    const text = content(emails[0]!).text;
    expect(text).toContain("We have switched Loop Wrong Shard Physio's connection to the au2 region");
    expect(text).toContain("can read Loop Wrong Shard Physio's Cliniko data again");
  });
});

describe("vendor texts that mean the key, from the simulator over HTTP", () => {
  it.each(["credentials_not_found", "integration_disabled"] as const)("Nookal's %s is the clinic's key problem, with an action email", async (text) => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 6 }], patientsOnly: true });
    const key = account.keys[0]!.key;
    const ids = await insertClinic(services.db, {
      name: `Loop Nookal ${text}`,
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      state: "healthy",
      everHadPatients: true,
      visiblePatientCount: 6,
    });
    await services.db
      .update(connections)
      .set(sealApiKey(services.keyring, ids.connectionId, { vendor: "nookal", key, region: "au" }))
      .where(eq(connections.id, ids.connectionId));
    await control.disableNookalKey(key);
    await control.setSettings({ nookalDisabledKeyText: text });
    try {
      await probe(ids);
      await probe(ids);
    } finally {
      await control.setSettings({ nookalDisabledKeyText: "disabled" });
    }
    const [conn] = await services.db.select().from(connections).where(eq(connections.id, ids.connectionId));
    expect(conn!.failureCode).toBe("auth_rejected");
    expect(conn!.state).toBe("action_required");
    const [action] = await clinicEmails(ids.clinicId);
    expect(content(action!).subject).toMatch(/^Action needed: reconnect Nookal to Clinic Connect/);
    expect(content(action!).text).toContain("disable or delete the key");
  });
});

describe("the reconnect page tells the truth during an outage", () => {
  it("a key that could not be checked is not stored, and the page says so and asks to try again", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true });
    const ids = await clinicWithKey("Loop Outage Physio", account.keys[0]!.key, "au1");
    const before = (await services.db.select().from(connections).where(eq(connections.id, ids.connectionId)))[0]!;
    const link = await createReconnectLink({ clinicId: ids.clinicId, purpose: "Reconnect Cliniko", createdBy: "system" }, services.db);
    const fresh = await control.addClinikoKey(account.id, {});
    await control.setAccountFaults(account.id, { outage: {} });
    try {
      const outcome = await submitReconnectKey(
        { token: link.path.slice("/reconnect/".length), clientAddress: "203.0.113.10", submission: { intent: "verify", rawKey: fresh.key } },
        { db: services.db, vendors: services.vendors, keyring: services.keyring, alerts: services.alerts, supportEmail: "help@vendor.example" },
      );
      expect(outcome.kind).toBe("refused");
      if (outcome.kind !== "refused") return;
      expect(outcome.refusal.failureCode).toBe("vendor_unavailable");
      expect(outcome.refusal.clinicMessage).toMatch(/could not be checked, and it has not been saved/);
      expect(outcome.refusal.clinicMessage).not.toMatch(/reconnect automatically|key is fine/);
      expect(outcome.refusal.title).toBe("we could not check the key just now");
      expect(JSON.stringify(outcome.refusal)).not.toMatch(/HTTP \d{3}/);
      const after = (await services.db.select().from(connections).where(eq(connections.id, ids.connectionId)))[0]!;
      expect(after.keyUpdatedAt?.getTime()).toBe(before.keyUpdatedAt?.getTime());
    } finally {
      await control.clearAccountFaults(account.id);
    }
  });
});

describe("the console says Queued until a message is really sent, and never shows an old link", () => {
  it("the clinic page lists the link email as Queued, then Sent; the outbox resends a NEW link", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true });
    const ids = await clinicWithKey("Loop Queued Physio", account.keys[0]!.key, "au1");
    const page = async () => (await loadClinicPage({ clinicId: ids.clinicId, page: 1 }, services.db))!;
    const { clinic } = await page();
    const first = await createClinicReconnectLink(
      { clinic, vendor: "cliniko", purpose: "Reconnect Cliniko", email: true, actor: agent, publicUrl: "https://console.test", ttlHours: 24 },
      { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
    );
    expect((await page()).messages.map((m) => m.status.label)).toEqual(["Queued"]);
    const sentEmail = await deliver(first.notificationId!);
    expect((await page()).messages.map((m) => m.status.label)).toEqual(["Sent"]);
    expect(sentEmail.subject).toBe("Reconnect Cliniko to Clinic Connect — Loop Queued Physio");
    expect(sentEmail.text).toMatch(/works once, until .+ \(Australia\/Sydney\)/);

    const again = await resendReconnectLink(
      { notificationId: first.notificationId!, actor: agent, publicUrl: "https://console.test", ttlHours: 24 },
      { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
    );
    expect(again.notificationId).not.toBe(first.notificationId);
    expect(again.url).not.toBe(first.url);
    const [oldLink] = await services.db
      .select()
      .from(reconnectLinks)
      .where(eq(reconnectLinks.tokenHash, hashToken(first.url.split("/reconnect/")[1]!)));
    expect(oldLink!.revokedAt).not.toBeNull();
    expect((await page()).messages.map((m) => m.status.label)).toEqual(["Queued", "Sent"]);
  });
});

describe("the escalation packet records what support learned", () => {
  it("one patient missing (the lookup found no match while others are visible) and notes copied by hand", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 12, patientsOnly: true });
    const ids = await clinicWithKey("Loop Missing Patient", account.keys[0]!.key, "au1");
    await probe(ids);
    const found = await lookupPatients({ ...ids, name: "Zzyzx Nobody", actor: agent }, live());
    expect(found).toMatchObject({ ok: true, matches: 0 });
    await setManualNotes({ clinicId: ids.clinicId, on: true, note: "front desk copies today's notes", actor: agent }, services.db);
    const packet = (await loadClinicPage({ clinicId: ids.clinicId, page: 1 }, services.db))!.packet!;
    expect(packet).toContain("Patients: one patient missing (others visible)");
    expect(packet).toContain("the patient the clinic misses was NOT found");
    expect(packet).toMatch(/Clinic is copying notes by hand for the day: yes, since .+ — front desk copies today's notes/);
    expect(packet).not.toContain("Zzyzx");

    await setManualNotes({ clinicId: ids.clinicId, on: false, actor: agent }, services.db);
    expect((await loadClinicPage({ clinicId: ids.clinicId, page: 1 }, services.db))!.packet).not.toContain("copying notes by hand");
  });
});

describe("adding a clinic whose key works in another shard", () => {
  it("offers the detected shard, and checking again there adds the clinic", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 7, patientsOnly: true, keyWithSuffix: false });
    const input = {
      name: "Loop New Shard Clinic",
      timeZone: "Australia/Sydney",
      country: "AU",
      adminName: "Kim",
      adminEmail: "kim@newshard.example",
      vendor: "cliniko" as const,
      key: account.keys[0]!.key,
    };
    const deps = { db: services.db, keyring: services.keyring, vendors: services.vendors };
    const first = await addClinicByHand({ input, actor: agent }, deps);
    expect(first.ok).toBe(false);
    expect(first.verdict.suggestedRegion).toBe("au2");
    const second = await addClinicByHand({ input: { ...input, useRegion: "au2" }, actor: agent }, deps);
    expect(second.ok).toBe(true);
  });
});

describe("clinic-facing emails never say Relink", () => {
  it("checks every clinic-admin message stored in this file's scenarios, text and HTML", async () => {
    const all = await services.db.select().from(alertNotifications).where(eq(alertNotifications.audience, "clinic_admin"));
    expect(all.length).toBeGreaterThan(3);
    for (const n of all) {
      const c = content(n);
      expect(`${c.subject}\n${c.text}\n${c.html}`).not.toMatch(/relink/i);
    }
    for (const m of sent) {
      expect(JSON.stringify(m.from)).not.toMatch(/relink/i);
      expect(`${m.subject}\n${m.text}\n${m.html}\n${Object.keys(m.headers ?? {}).join(" ")}`).not.toMatch(/relink/i);
    }
  });
});
