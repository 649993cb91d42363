import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as clinicAction } from "../../app/routes/clinics.$clinicId/route.tsx";
import { createServices } from "../../composition/services.ts";
import { parseEnv } from "../../config/env.ts";
import { StartupError } from "../../db/embedded.ts";
import { alertNotifications, alerts, auditLog, connectionEvents, connections, emailOutbox, reconnectLinks } from "../../db/schema/index.ts";
import { deliverNotification } from "../../domain/alerts/deliver.ts";
import type { EmailSender, OutgoingEmail } from "../../domain/alerts/email.ts";
import { sendReconnectLink } from "../../domain/clinics/live.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createLogger } from "../../lib/logger.ts";
import { type TestDatabase } from "../support/db.ts";
import { requestAs, settle, startDemoConsole, type createRoleUsers, type TestServices } from "../support/services.ts";
import { messageStatusLabel } from "../../domain/vocabulary.ts";

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

const clinicId = (name: string) => fixture.clinicIdOf(name);
async function act(id: string, form: Record<string, string>) {
  const request = await requestAs(services, who.agent.id, `/clinics/${id}`, { form });
  return settle(() => clinicAction({ request, params: { clinicId: id }, context: { services } }));
}
const alertsOf = (id: string) => t.db.select().from(alerts).where(eq(alerts.clinicId, id));
const notificationsOf = (id: string, event: "opened" | "recovered" | "reconnect_link") =>
  t.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, id), eq(alertNotifications.event, event)));

/** An SMTP stand-in that keeps what it was given (the one thing that is not our code). */
function capturingSender(): EmailSender & { sent: OutgoingEmail[] } {
  const sent: OutgoingEmail[] = [];
  return { sent, send: async (m) => (sent.push(m), { messageId: `<${sent.length}@test>` }), close: () => {} };
}

describe("a probe is a probe wherever it runs (issue 10, reliability 3)", () => {
  it("'Probe now' opens the alert, and 'apply suggested region' resolves it and sends 'recovered', like a scheduled probe", async () => {
    const id = await clinicId("Leeds Movement Studio");
    expect((await act(id, { intent: "probe" })).status).toBe(200);
    const opened = await alertsOf(id);
    expect(opened.map((a) => [a.kind, a.status])).toEqual([["connection_needs_action", "open"]]);
    // why: support fixes a wrong region alone, so the clinic admin is not emailed when it opens (issue 11);
    // the "works again" message after the fix is what the clinic hears
    expect((await notificationsOf(id, "opened")).filter((n) => n.audience === "clinic_admin")).toEqual([]);

    expect((await act(id, { intent: "apply-region" })).status).toBe(302);
    const [row] = await t.db.select().from(connections).where(eq(connections.clinicId, id));
    expect(row).toMatchObject({ state: "healthy", region: "uk2" });
    expect((await alertsOf(id)).every((a) => a.status === "resolved")).toBe(true);
    expect((await notificationsOf(id, "recovered")).filter((n) => n.audience === "clinic_admin").length).toBeGreaterThan(0);
  });

  it("'resume' probes with alerting too: a recovery after the pause resolves the alert", async () => {
    const id = await clinicId("Glasgow Foot Clinic");
    await act(id, { intent: "probe" });
    expect((await alertsOf(id)).filter((a) => a.status !== "resolved")).toHaveLength(1);
    expect((await act(id, { intent: "pause" })).status).toBe(302);
    expect((await act(id, { intent: "resume" })).status).toBe(302);
    // still a malformed key: the open alert counts the repeat instead of a second alert
    const after = await alertsOf(id);
    expect(after.filter((a) => a.status !== "resolved")).toHaveLength(1);
    expect(after[0]!.count).toBeGreaterThanOrEqual(2);
  });
});

describe("reconnect links are readable by the clinic only, and their emails are really sent (issue 10, security 1 and reliability 1)", () => {
  it("stores the link redacted everywhere; only the message the delivery worker sends carries the token", async () => {
    const id = await clinicId("Bondi Beach Podiatry");
    const r = await act(id, { intent: "link-email", purpose: "Your Cliniko key was archived" });
    expect(r.status).toBe(200);
    const url = (r.data as { link: { url: string } }).link.url;
    const token = url.split("/").pop()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const [n] = await notificationsOf(id, "reconnect_link");
    expect(n).toMatchObject({ status: "queued", channel: "email", target: "jess@bondipodiatry.example" });
    expect(messageStatusLabel(n!.status).label).toBe("Queued");
    // a queued delivery job exists for it, enqueued with the link
    expect(await t.sql`select 1 from pgboss.job where name = 'deliver' and id = ${n!.jobId}`).toHaveLength(1);

    // the token appears in no stored text: messages, outbox, audit, timeline
    const everywhere = async () =>
      JSON.stringify([
        await t.db.select({ c: alertNotifications.content }).from(alertNotifications),
        await t.db.select().from(emailOutbox),
        await t.db.select({ d: auditLog.details }).from(auditLog),
        await t.db.select({ m: connectionEvents.message, d: connectionEvents.details }).from(connectionEvents),
      ]);
    expect(await everywhere()).not.toContain(token);
    expect((n!.content as { text: string }).text).toContain(`/reconnect/…${token.slice(-4)}`);

    const smtp = capturingSender();
    expect(await deliverNotification({ notificationId: n!.id }, { ...services.delivery, email: smtp })).toBe("delivered");
    expect(smtp.sent).toHaveLength(1);
    expect(smtp.sent[0]!.text).toContain(url);
    expect(smtp.sent[0]!.html).toContain(url);
    const [sent] = await t.db.select().from(alertNotifications).where(eq(alertNotifications.id, n!.id));
    expect(messageStatusLabel(sent!.status).label).toBe("Sent");
    // the sealed token is wiped once sent; the outbox copy is redacted too
    expect(sent!.tokenCiphertext).toBeNull();
    expect(await everywhere()).not.toContain(token);
    const [outbox] = await t.db.select().from(emailOutbox).where(eq(emailOutbox.notificationId, n!.id));
    expect(outbox!.sentAt).not.toBeNull();
  });

  it("a link revoked before its email went out is not sent", async () => {
    const id = await clinicId("Fremantle Allied Health");
    await act(id, { intent: "link-email", purpose: "First try" });
    const [first] = await notificationsOf(id, "reconnect_link");
    await act(id, { intent: "link-create", purpose: "Second link revokes the first" });
    const smtp = capturingSender();
    expect(await deliverNotification({ notificationId: first!.id }, { ...services.delivery, email: smtp })).toBe("suppressed");
    expect(smtp.sent).toHaveLength(0);
  });

  it("creates the link and its email in one transaction: no link when the email cannot be queued", async () => {
    const id = await clinicId("Vancouver Wellness Collective");
    const linksBefore = (await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, id))).length;
    const failing = { enqueue: async () => Promise.reject(new Error("queue unavailable")) };
    await expect(
      sendReconnectLink(
        {
          clinicId: id,
          purpose: "Please reconnect",
          email: true,
          actor: { userId: who.agent.id, label: who.agent.email },
          publicUrl: "http://localhost",
          ttlHours: 24,
          admin: { name: "Mei", email: "mei@vanwellness.example", clinicName: "Vancouver Wellness Collective", vendorLabel: "Cliniko" },
        },
        { db: services.db, keyring: services.keyring, deliveries: failing },
      ),
    ).rejects.toThrow("queue unavailable");
    expect(await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, id))).toHaveLength(linksBefore);
  });
});

describe("the processes refuse to start when the master keys cannot read a stored key (issue 10, reliability 2)", () => {
  const logger = createLogger({ name: "test", level: "silent", pretty: false });
  const envWith = (over: Record<string, string>) =>
    parseEnv({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: t.url, SESSION_SECRET: randomBytes(32).toString("hex"), ...over });

  it("names MASTER_KEY when the configured key is not the one that sealed the keys", async () => {
    const err = await createServices({ env: envWith({ MASTER_KEY: generateMasterKey() }), logger, databaseUrl: t.url, role: "worker" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^Refusing to start: MASTER_KEY \(MASTER_KEY_ID "k1"\) cannot decrypt/);
    expect((err as Error).message).not.toContain(services.masterKey);
  });

  it("names MASTER_KEYS_PREVIOUS when the key id that sealed them is not configured", async () => {
    const err = await createServices({ env: envWith({ MASTER_KEY: generateMasterKey(), MASTER_KEY_ID: "k2" }), logger, databaseUrl: t.url, role: "web" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain("add it to MASTER_KEYS_PREVIOUS as k1:<base64>");
  });

  it("starts with the right key, and with it as a previous key during a rotation", async () => {
    const ok = await createServices({ env: envWith({ MASTER_KEY: services.masterKey }), logger, databaseUrl: t.url, role: "web" });
    await ok.close();
    const rotating = await createServices({
      env: envWith({ MASTER_KEY: generateMasterKey(), MASTER_KEY_ID: "k2", MASTER_KEYS_PREVIOUS: `k1:${services.masterKey}` }),
      logger,
      databaseUrl: t.url,
      role: "web",
    });
    await rotating.close();
  });
});
