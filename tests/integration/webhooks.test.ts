import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertNotifications, auditLog, emailOutbox, users, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../../db/schema/index.ts";
import { claimDelivery, getSubscription, listDeliveries } from "../../db/queries/webhooks.ts";
import { deliverNotification } from "../../domain/alerts/deliver.ts";
import { recordEvents, type NewEvent } from "../../domain/events/record.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { attemptDelivery, type WebhookDeliveryDeps } from "../../domain/webhooks/deliver.ts";
import { dispatchEvents } from "../../domain/webhooks/dispatch.ts";
import { RETRY_WINDOW_SECONDS } from "../../domain/webhooks/schedule.ts";
import { createSubscription, redeliver, rotateSubscriptionSecret, setSubscriptionEnabled } from "../../domain/webhooks/subscriptions.ts";
import { startBoss } from "../../workers/boss.ts";
import { createQueues } from "../../workers/queues.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { applyAlertWork } from "../../domain/alerts/apply.ts";
import { workWebhookQueues } from "../../workers/handlers/webhooks.ts";
import { makeConnection, makeUser, sighting, silentLogger, waitFor } from "./alerts-fixtures.ts";

// ---- a real receiver on 127.0.0.1 that verifies every request with the standardwebhooks library

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: unknown;
  verifyError: string | null;
}
const received: Received[] = [];
/** The secret the receiver holds for each path prefix (set when a subscription is created). */
const secrets = new Map<string, string>();
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const path = req.url ?? "";
    const body = Buffer.concat(chunks).toString("utf8");
    const secret = secrets.get(path.split("/")[1] ?? "");
    let verified: unknown = null;
    let verifyError: string | null = null;
    try {
      verified = new Webhook(secret ?? "whsec_AAAA").verify(body, req.headers as Record<string, string>);
    } catch (err) {
      verifyError = (err as Error).message;
    }
    received.push({ path, headers: req.headers, body, verified, verifyError });
    if (path.endsWith("/slow")) return; // never answers: the sender's timeout ends it
    if (path.endsWith("/fail")) return void res.writeHead(500, { "Content-Type": "text/plain" }).end("receiver exploded ".repeat(100));
    res.writeHead(verifyError ? 401 : 204).end();
  });
});

let t: TestDatabase;
let boss: PgBoss;
let base: string;
let deps: WebhookDeliveryDeps;
const outcomes: string[] = [];
const keyring = keyringFromConfig(generateMasterKey(), "k1");
// why: the receiver runs on this machine; delivery refuses loopback unless told (WEBHOOK_ALLOW_PRIVATE_TARGETS)
const targets = { allowPrivate: true, requireHttps: false };
let actor: { userId: string; label: string };

beforeAll(async () => {
  const [db] = await Promise.all([createTestDatabase(), new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()))]);
  t = db;
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  const queues = createQueues(boss);
  deps = {
    db: t.db,
    keyring,
    timeoutMs: 400,
    targets,
    deliveries: queues.webhookDeliver,
    emails: queues.deliver,
    metrics: { webhookDelivery: (o) => void outcomes.push(o) },
    consoleUrl: "https://console.relink.test",
  };
  actor = await makeUser(t);
  await t.db.insert(users).values([
    { email: "admin1@vendor.example", name: "Admin One", role: "admin", passwordHash: "x" },
    { email: "admin2@vendor.example", name: "Admin Two", role: "admin", passwordHash: "x" },
  ]);
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await t?.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

let n = 0;
async function subscribe(path: string, eventTypes?: NewEvent["type"][]) {
  const prefix = `r${++n}`;
  const created = await createSubscription(
    { input: { url: `${base}/${prefix}/${path}`, ...(eventTypes ? { eventTypes } : {}) }, actor, keyring, targets },
    t.db,
  );
  secrets.set(prefix, created.secret);
  return { ...created, prefix };
}

function held(reason = "no appointments this week"): NewEvent {
  return {
    type: "briefing.held",
    data: {
      clinicId: "7b0c4b0e-3c57-4b8e-9b3f-1f2a3b4c5d6e",
      clinicName: "Harbour Physio",
      connectionId: "8c1d5c1f-4d68-4c9f-8c4a-2a3b4c5d6e7f",
      vendor: "cliniko",
      weekStart: "2026-01-05",
      reason,
    },
  };
}
function sent(): NewEvent {
  return {
    type: "briefing.sent",
    data: {
      clinicId: "7b0c4b0e-3c57-4b8e-9b3f-1f2a3b4c5d6e",
      clinicName: "Harbour Physio",
      connectionId: "8c1d5c1f-4d68-4c9f-8c4a-2a3b4c5d6e7f",
      vendor: "cliniko",
      weekStart: "2026-01-05",
      late: false,
      recipientCount: 2,
    },
  };
}

async function record(...events: NewEvent[]): Promise<string[]> {
  return (await t.db.transaction((tx) => recordEvents(tx, events))).map((e) => e.id);
}

/** Dispatches until the subscription has `count` deliveries (an unrelated open transaction can hold events back briefly). */
async function dispatched(subscriptionId: string, count: number, now = new Date()) {
  return waitFor(`${count} deliveries`, async () => {
    await dispatchEvents({ now }, deps);
    const { rows } = await listDeliveries({ subscriptionId, page: 1, pageSize: 100 }, t.db);
    return rows.length >= count ? rows : null;
  });
}

const at = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000);
const attemptsOf = (deliveryId: string) =>
  t.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId)).orderBy(asc(webhookAttempts.attempt));
const deliveryRow = async (id: string) => (await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)))[0]!;

describe("webhook delivery", () => {
  it("signs per Standard Webhooks: the receiver's standardwebhooks library verifies the event envelope", async () => {
    const sub = await subscribe("ok");
    const [eventId] = await record(held());
    const [d] = await dispatched(sub.id, 1);
    const now = new Date();
    expect(await attemptDelivery({ deliveryId: d!.id, now }, deps)).toBe("succeeded");
    const got = received.filter((r) => r.path.startsWith(`/${sub.prefix}/`));
    expect(got).toHaveLength(1);
    expect(got[0]!.verifyError).toBeNull();
    expect(got[0]!.headers["webhook-id"]).toBe(eventId);
    expect(got[0]!.headers["content-type"]).toBe("application/json");
    expect(got[0]!.verified).toMatchObject({ id: eventId, type: "briefing.held", data: { clinicName: "Harbour Physio" } });
    expect(Object.keys(got[0]!.verified as object).sort()).toEqual(["data", "id", "timestamp", "type"]);
    // the same body signed with another secret does not verify
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`).verify(got[0]!.body, got[0]!.headers as Record<string, string>)).toThrow();
    const row = await deliveryRow(d!.id);
    expect(row).toMatchObject({ status: "succeeded", attemptCount: 1, lastHttpStatus: 204 });
    expect(await attemptsOf(d!.id)).toMatchObject([{ attempt: 1, ok: true, httpStatus: 204 }]);
    expect(outcomes).toContain("delivered");
    expect((await getSubscription({ id: sub.id }, t.db))!.lastDelivery).toMatchObject({ status: "succeeded", httpStatus: 204 });
    // a second dispatch (or a job run twice) sends nothing more
    await dispatchEvents({ now }, deps);
    expect(await attemptDelivery({ deliveryId: d!.id, now: at(now, 10) }, deps)).toBe("skipped");
    expect((await listDeliveries({ subscriptionId: sub.id, page: 1, pageSize: 10 }, t.db)).total).toBe(1);
  });

  it("gets only events after its creation, and only of its types", async () => {
    const [before] = await record(sent());
    const sub = await subscribe("ok", ["briefing.sent"]);
    const [, after] = await record(held(), sent());
    const rows = await dispatched(sub.id, 1);
    await dispatchEvents({}, deps);
    const all = (await listDeliveries({ subscriptionId: sub.id, page: 1, pageSize: 10 }, t.db)).rows;
    expect(all.map((r) => r.eventId)).toEqual([after]);
    expect(rows[0]!.eventType).toBe("briefing.sent");
    expect(all.map((r) => r.eventId)).not.toContain(before);
  });

  it("retries a 500 and a timeout on the schedule, logging every attempt with its status, until dead after 72 h", async () => {
    const failing = await subscribe("fail", ["briefing.held"]);
    const slow = await subscribe("slow", ["briefing.held"]);
    await record(held());
    const [f] = await dispatched(failing.id, 1);
    const [s] = await dispatched(slow.id, 1);
    const t0 = new Date();

    expect(await attemptDelivery({ deliveryId: f!.id, now: t0 }, deps)).toBe("failed");
    let row = await deliveryRow(f!.id);
    expect(row).toMatchObject({ status: "failed", attemptCount: 1, lastHttpStatus: 500 });
    expect(row.nextAttemptAt).toEqual(at(t0, 5));
    expect(row.lastError!.length).toBeLessThanOrEqual(500);
    // not due yet: nothing is sent
    expect(await attemptDelivery({ deliveryId: f!.id, now: at(t0, 4) }, deps)).toBe("skipped");

    expect(await attemptDelivery({ deliveryId: s!.id, now: t0 }, deps)).toBe("failed");
    const slowRow = await deliveryRow(s!.id);
    expect(slowRow.lastHttpStatus).toBeNull();
    expect(slowRow.lastError).toMatch(/no answer within 400 ms/);
    expect(outcomes).toContain("timeout");
    expect(outcomes).toContain("http_error");

    // walk the whole schedule: each attempt exactly when it is due
    let now = t0;
    for (;;) {
      row = await deliveryRow(f!.id);
      if (row.status !== "failed") break;
      now = row.nextAttemptAt;
      expect(await attemptDelivery({ deliveryId: f!.id, now }, deps)).toMatch(/failed|dead/);
    }
    expect(row.status).toBe("dead");
    expect(now).toEqual(at(t0, RETRY_WINDOW_SECONDS));
    const attempts = await attemptsOf(f!.id);
    expect(attempts).toHaveLength(13);
    expect(attempts.every((a) => a.httpStatus === 500 && !a.ok && a.error!.startsWith("HTTP 500"))).toBe(true);
    expect(attempts.map((a) => (a.at.getTime() - t0.getTime()) / 1000).slice(0, 4)).toEqual([0, 5, 305, 2105]);
    expect(outcomes).toContain("dead");
    // every attempt was signed and verified by the receiver
    expect(received.filter((r) => r.path.startsWith(`/${failing.prefix}/`)).every((r) => r.verifyError === null)).toBe(true);
  });

  it("retries an attempt whose worker died: the claim is a lease that runs out", async () => {
    const sub = await subscribe("ok", ["briefing.held"]);
    await record(held());
    const [d] = await dispatched(sub.id, 1);
    const now = new Date();
    // a worker claimed it and was killed before sending or recording anything
    expect(await claimDelivery({ id: d!.id, now, leaseUntil: at(now, 60) }, t.db)).toBeDefined();
    expect(await attemptDelivery({ deliveryId: d!.id, now: at(now, 30) }, deps)).toBe("skipped");
    expect(await attemptDelivery({ deliveryId: d!.id, now: at(now, 61) }, deps)).toBe("succeeded");
    expect(await deliveryRow(d!.id)).toMatchObject({ status: "succeeded", attemptCount: 2 });
    expect(await attemptsOf(d!.id)).toHaveLength(1);
  });

  it("the sweep re-enqueues an overdue delivery once, however often it runs; a redelivery is never absorbed", async () => {
    const sub = await subscribe("ok", ["briefing.held"]);
    await record(held());
    const [d] = await dispatched(sub.id, 1);
    const jobs = async () =>
      (await boss.findJobs<{ deliveryId: string }>("webhook-deliver", { data: { deliveryId: d!.id } })).filter((j) => j.state === "created");
    expect(await jobs()).toHaveLength(1);
    const later = at(new Date(), 3600);
    await dispatchEvents({ now: later }, deps);
    await dispatchEvents({ now: later }, deps);
    expect(await jobs()).toHaveLength(1);
    await redeliver({ subscriptionId: sub.id, deliveryId: d!.id, actor, now: at(new Date(), 1) }, deps, t.db);
    expect(await jobs()).toHaveLength(2);
  });

  it("redelivers on demand with the same webhook-id, even a delivery that succeeded", async () => {
    const sub = await subscribe("ok", ["briefing.held"]);
    const [eventId] = await record(held());
    const [d] = await dispatched(sub.id, 1);
    const now = new Date();
    await attemptDelivery({ deliveryId: d!.id, now }, deps);
    await redeliver({ subscriptionId: sub.id, deliveryId: d!.id, actor, now: at(now, 60) }, deps, t.db);
    expect(await attemptDelivery({ deliveryId: d!.id, now: at(now, 60) }, deps)).toBe("succeeded");
    const got = received.filter((r) => r.path.startsWith(`/${sub.prefix}/`));
    expect(got.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId]);
    expect(await attemptsOf(d!.id)).toHaveLength(2);
    const other = await subscribe("ok");
    await expect(redeliver({ subscriptionId: other.id, deliveryId: d!.id, actor }, deps, t.db)).rejects.toMatchObject({ status: 404 });
  });

  it("disables a subscription after 72 h of failure, emails every admin, and re-enabling delivers the backlog", async () => {
    secrets.clear();
    const sub = await subscribe("fail", ["briefing.held"]);
    await record(held("first"));
    const [d] = await dispatched(sub.id, 1);
    const t0 = new Date();
    let now = t0;
    let row = await deliveryRow(d!.id);
    while ((await getSubscription({ id: sub.id }, t.db))!.enabled && row.status !== "dead") {
      await attemptDelivery({ deliveryId: d!.id, now }, deps);
      row = await deliveryRow(d!.id);
      now = row.nextAttemptAt;
    }
    const disabled = (await getSubscription({ id: sub.id }, t.db))!;
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabledReason).toMatch(/^Disabled automatically: 13 attempts in a row failed over 72 hours/);
    expect(outcomes).toContain("disabled");
    const audit = (await t.db.select().from(auditLog).where(eq(auditLog.action, "webhook.auto_disable"))).filter(
      (a) => (a.details as { subscriptionId?: string }).subscriptionId === sub.id,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorLabel: "system", details: { failureStreak: 13 } });

    // the admins' emails go through the one delivery path into the outbox (no SMTP here)
    const mails = (
      await t.db.select().from(alertNotifications).where(eq(alertNotifications.event, "webhook_disabled")).orderBy(asc(alertNotifications.target))
    ).filter((m) => (m.content as { subject: string }).subject.includes(`/${sub.prefix}/`));
    expect(mails.map((m) => m.target)).toEqual(["admin1@vendor.example", "admin2@vendor.example"]);
    for (const m of mails) await deliverNotification({ notificationId: m.id }, { db: t.db, email: null, fromEmail: "alerts@relink.test", keyring });
    const outbox = await t.db.select().from(emailOutbox).where(eq(emailOutbox.notificationId, mails[0]!.id));
    expect(outbox[0]!.subject).toContain(`Webhook disabled: ${base}/${sub.prefix}/fail`);
    expect(outbox[0]!.text).toContain(`https://console.relink.test/webhooks/${sub.id}`);

    // while disabled: events wait, nothing is sent
    const sentBefore = received.length;
    const [whileDisabled] = await record(held("while disabled"));
    await dispatchEvents({}, deps);
    expect((await listDeliveries({ subscriptionId: sub.id, page: 1, pageSize: 10 }, t.db)).total).toBe(1);

    // the receiver is fixed (same path now answers) and an admin re-enables
    await t.db
      .update(webhookSubscriptions)
      .set({ url: `${base}/${sub.prefix}/ok` })
      .where(eq(webhookSubscriptions.id, sub.id));
    expect(await setSubscriptionEnabled({ id: sub.id, enabled: true, actor, now: at(now, 10) }, deps, t.db)).toBe(true);
    const rows = await dispatched(sub.id, 2);
    expect(rows.map((r) => r.eventId)).toContain(whileDisabled);
    for (const r of rows) await attemptDelivery({ deliveryId: r.id, now: at(now, 20) }, deps);
    const after = (await listDeliveries({ subscriptionId: sub.id, page: 1, pageSize: 10 }, t.db)).rows;
    // the dead one stays dead (a manual redelivery sends it); the one that waited is delivered
    expect(after.find((r) => r.eventId === whileDisabled)!.status).toBe("succeeded");
    expect(received.length).toBeGreaterThan(sentBefore);
    const enabled = (await getSubscription({ id: sub.id }, t.db))!;
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, failureStreak: 0 });
  });

  it("a pending delivery of a disabled subscription waits, and resumes when re-enabled", async () => {
    const sub = await subscribe("ok", ["briefing.held"]);
    await record(held());
    const [d] = await dispatched(sub.id, 1);
    await setSubscriptionEnabled({ id: sub.id, enabled: false, actor }, deps, t.db);
    expect(await attemptDelivery({ deliveryId: d!.id }, deps)).toBe("skipped");
    expect((await getSubscription({ id: sub.id }, t.db))!.disabledReason).toBe(`Disabled by ${actor.label}`);
    await setSubscriptionEnabled({ id: sub.id, enabled: true, actor }, deps, t.db);
    expect(await attemptDelivery({ deliveryId: d!.id }, deps)).toBe("succeeded");
  });

  it("after a rotation signs with the new secret; no secret is ever in the log, the audit or the deliveries", async () => {
    const sub = await subscribe("ok", ["briefing.held"]);
    const { secret } = await rotateSubscriptionSecret({ id: sub.id, actor, keyring }, t.db);
    expect(secret).not.toBe(sub.secret);
    secrets.set(sub.prefix, secret);
    await record(held());
    const [d] = await dispatched(sub.id, 1);
    expect(await attemptDelivery({ deliveryId: d!.id }, deps)).toBe("succeeded");

    const everything = JSON.stringify(
      [
        await t.db.select().from(auditLog),
        await t.db.select().from(webhookAttempts),
        await t.db.select().from(webhookDeliveries),
        await t.db.select().from(alertNotifications),
      ],
      (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v),
    );
    for (const s of [sub.secret, secret, sub.secret.slice(6), secret.slice(6)]) expect(everything).not.toContain(s);
    const rows = await t.db
      .select({ c: webhookSubscriptions.secretCiphertext })
      .from(webhookSubscriptions)
      .where(and(eq(webhookSubscriptions.id, sub.id)));
    expect(rows[0]!.c.toString("utf8")).not.toContain(secret.slice(6));
  });

  it("through pg-boss: an alert the engine opens reaches a migrated-style subscription (alert.opened) via the worker's handlers", async () => {
    const worker = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "worker" });
    try {
      const queues = createQueues(worker);
      await workWebhookQueues(worker, { ...deps, deliveries: queues.webhookDeliver, logger: silentLogger }, queues.webhookDispatch);
      const sub = await subscribe("ok", ["alert.opened", "alert.resolved", "connection.recovered"]);
      const c = await makeConnection(t);
      const opened = await applyAlertWork(sighting(c, "connection_needs_action", new Date()), t.db, {
        queue: queues.deliver,
        recipients: { emailClinicAdmin: false, supportEmail: null, consoleUrl: null },
      });
      // why: nothing asks for a dispatch here: the alert's committed event does (NOTIFY), well before the minute's cron
      const committedAt = performance.now();
      const got = await waitFor("the receiver to get the alert", async () => received.find((r) => r.path.startsWith(`/${sub.prefix}/`)), 30_000);
      expect(performance.now() - committedAt).toBeLessThan(15_000);
      expect(got.verifyError).toBeNull();
      expect(got.verified).toMatchObject({ type: "alert.opened", data: { alertId: opened.opened[0], clinicId: c.clinic.id, kind: "connection_needs_action" } });
      const [row] = (await listDeliveries({ subscriptionId: sub.id, page: 1, pageSize: 5 }, t.db)).rows;
      await waitFor("the delivery to be settled", async () => (await deliveryRow(row!.id)).status === "succeeded");
    } finally {
      await worker.stop({ graceful: false });
    }
  }, 40_000);
});
