import net from "node:net";
import type { AddressInfo } from "node:net";
import { asc, eq } from "drizzle-orm";
import type { Job, PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDeliveryAttempts } from "../../db/queries/alerts.ts";
import { alertNotifications, emailOutbox } from "../../db/schema/index.ts";
import { applyAlertWork, type AlertWorkDeps } from "../../domain/alerts/apply.ts";
import { deliverNotification, type DeliveryDeps } from "../../domain/alerts/deliver.ts";
import { smtpEmailSender, type EmailSender } from "../../domain/alerts/email.ts";
import { muteAlert } from "../../domain/alerts/manage.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleDeliverBatch, handleDeliverDeadBatch } from "../../workers/handlers/deliver.ts";
import { createQueues } from "../../workers/queues.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { makeConnection, makeUser, minutes, recovery, sighting, silentLogger, waitFor } from "./alerts-fixtures.ts";

// ---- a minimal SMTP server, so nodemailer's real SMTP path is exercised

interface SmtpMessage {
  from: string;
  to: string[];
  data: string;
}
const mailbox: SmtpMessage[] = [];
const SMTP_REPLIES: Record<string, string> = {
  EHLO: "250-test-smtp\r\n250 8BITMIME\r\n",
  HELO: "250 test-smtp\r\n",
  DATA: "354 go ahead\r\n",
};
const smtpSockets = new Set<net.Socket>();
const smtp = net.createServer((socket) => {
  smtpSockets.add(socket);
  socket.on("close", () => smtpSockets.delete(socket));
  socket.setEncoding("utf8");
  let buffer = "";
  let inData = false;
  let current: SmtpMessage = { from: "", to: [], data: "" };
  socket.write("220 test-smtp ESMTP\r\n");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (;;) {
      if (inData) {
        const end = buffer.indexOf("\r\n.\r\n");
        if (end < 0) return;
        mailbox.push({ ...current, data: buffer.slice(0, end) });
        current = { from: "", to: [], data: "" };
        buffer = buffer.slice(end + 5);
        inData = false;
        socket.write("250 2.0.0 queued\r\n");
        continue;
      }
      const eol = buffer.indexOf("\r\n");
      if (eol < 0) return;
      const line = buffer.slice(0, eol);
      buffer = buffer.slice(eol + 2);
      const verb = line.split(" ")[0]!.toUpperCase();
      if (verb === "MAIL") current.from = line;
      if (verb === "RCPT") current.to.push(line);
      if (verb === "DATA") inData = true;
      if (verb === "QUIT") socket.end("221 bye\r\n");
      else socket.write(SMTP_REPLIES[verb] ?? "250 ok\r\n");
    }
  });
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

let t: TestDatabase;
let boss: PgBoss;
let email: EmailSender;
let delivery: DeliveryDeps & { logger: typeof silentLogger };
let work: AlertWorkDeps;
const DELIVER = QUEUES.deliver.name;
const DEAD = QUEUES["deliver-dead"].name;
const RETRY_LIMIT = 2;
const keyring = keyringFromConfig(generateMasterKey(), "k1");

beforeAll(async () => {
  const [smtpPort, db] = await Promise.all([listen(smtp), createTestDatabase()]);
  t = db;
  email = smtpEmailSender(`smtp://127.0.0.1:${smtpPort}`, { timeoutMs: 5000 });
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "worker" });
  // why: the catalog's backoff (15 s doubling) would take hours to dead-letter; same queue, faster retries
  await boss.updateQueue(DELIVER, { retryLimit: RETRY_LIMIT, retryDelay: 1, retryBackoff: true, retryDelayMax: 2 });
  delivery = { db: t.db, email, fromEmail: "alerts@relink.test", keyring, logger: silentLogger };
  work = { queue: createQueues(boss).deliver, recipients: { emailClinicAdmin: true, supportEmail: "support@vendor.example", consoleUrl: null } };
  // the catalog's handlers and work options, polling faster so retries are picked up promptly
  const fast = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 };
  await boss.work(DELIVER, { ...QUEUES.deliver.work, ...fast }, (jobs: Job<object>[]) => handleDeliverBatch(jobs, delivery));
  await boss.work(DEAD, { ...QUEUES["deliver-dead"].work, ...fast }, (jobs: Job<object>[]) => handleDeliverDeadBatch(jobs, delivery));
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  email?.close();
  for (const s of smtpSockets) s.destroy();
  await new Promise((r) => smtp.close(r));
  await t?.drop();
});

async function notificationsOf(connectionId: string) {
  return t.db
    .select()
    .from(alertNotifications)
    .where(eq(alertNotifications.connectionId, connectionId))
    .orderBy(asc(alertNotifications.createdAt), asc(alertNotifications.target));
}

async function settled(connectionId: string, expected: number) {
  return waitFor(`${expected} settled notifications`, async () => {
    const rows = await notificationsOf(connectionId);
    return rows.length === expected && rows.every((r) => r.status !== "queued") ? rows : undefined;
  });
}

async function jobState(queue: string, id: string, state: string) {
  return waitFor(`job ${id} in ${queue} to be ${state}`, async () => {
    const [job] = await boss.findJobs(queue, { id });
    return job?.state === state ? job : undefined;
  });
}

describe("alert delivery through pg-boss", () => {
  it("delivers emails over SMTP to the clinic admin and to support, recorded in the outbox as sent", async () => {
    const c = await makeConnection(t);
    const T0 = new Date();
    const { deliveriesQueued } = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, work);
    expect(deliveriesQueued).toBe(2);

    const rows = await settled(c.connection.id, 2);
    expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ["email", "delivered", 1],
      ["email", "delivered", 1],
    ]);
    // why: the handler settles the notification just before pg-boss completes its job
    for (const r of rows) await jobState(DELIVER, r.jobId!, "completed");

    // the emails: through SMTP to the clinic admin and to support, recorded in the outbox as sent
    const toAdmin = mailbox.find((m) => m.to.some((to) => to.includes(c.clinic.adminEmail!)));
    const toSupport = mailbox.find((m) => m.to.some((to) => to.includes("support@vendor.example")) && m.data.includes(c.clinic.name));
    expect(toAdmin?.data).toMatch(/^X-Notification-Event: opened$/m);
    expect(toSupport?.data).toContain("Escalation packet");
    const outbox = await t.db.select().from(emailOutbox);
    const mine = outbox.filter((o) => rows.some((r) => r.id === o.notificationId));
    expect(mine).toHaveLength(2);
    expect(mine.every((o) => o.sentAt !== null && o.error === null)).toBe(true);
    expect(mine.find((o) => o.to === c.clinic.adminEmail)?.subject).toMatch(/^Action needed: reconnect Cliniko to Clinic Connect/);

    const attempts = await listDeliveryAttempts({ notificationId: rows[0]!.id }, t.db);
    expect(attempts).toEqual([expect.objectContaining({ attempt: 1, status: "delivered", httpStatus: null, event: "opened" })]);

    // recovery: one more message per target, none for the repeat in between
    await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 5)), t.db, work);
    await applyAlertWork(recovery(c, minutes(T0, 10)), t.db, work);
    const after = await settled(c.connection.id, 4);
    expect(after.filter((n) => n.event === "recovered").map((n) => n.status)).toEqual(["delivered", "delivered"]);
  });

  it("a failing mail server is retried with backoff, every attempt recorded, then dead-lettered and marked failed", async () => {
    // why: the handlers read `delivery` when they run; nothing listens on port 1, so every SMTP attempt fails
    const working = delivery;
    delivery = { ...working, email: smtpEmailSender("smtp://127.0.0.1:1", { timeoutMs: 1000 }) };
    const c = await makeConnection(t, { adminEmail: null });
    const supportOnly: AlertWorkDeps = { ...work, recipients: { emailClinicAdmin: false, supportEmail: "support@vendor.example", consoleUrl: null } };
    const { deliveriesQueued } = await applyAlertWork(sighting(c, "connection_needs_action", new Date()), t.db, supportOnly);
    expect(deliveriesQueued).toBe(1);

    const [n] = await waitFor("the dead-letter handler to mark it failed", async () => {
      const rows = await notificationsOf(c.connection.id);
      return rows[0]?.status === "failed" ? rows : undefined;
    });
    expect(n!.attempts).toBe(RETRY_LIMIT + 1);
    expect(n!.lastError).toMatch(/^gave up after 3 attempts: SMTP: /);
    const attempts = await listDeliveryAttempts({ notificationId: n!.id }, t.db);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
    ]);
    // backoff: the attempts are spread out, not fired back to back
    expect(attempts[2]!.at.getTime() - attempts[0]!.at.getTime()).toBeGreaterThanOrEqual(900);

    await jobState(DELIVER, n!.jobId!, "failed");
    const dead = await boss.findJobs<{ notificationId: string }>(DEAD, { data: { notificationId: n!.id } });
    expect(dead).toHaveLength(1);
    await jobState(DEAD, dead[0]!.id, "completed");

    delivery = working;
  });
});

describe("delivering one notification", () => {
  // why: these call the domain function directly; the queue only records what would be enqueued
  const enqueued: string[] = [];
  const recordOnly: AlertWorkDeps = {
    queue: { enqueue: async (jobs) => void enqueued.push(...jobs.map((j) => j.data.notificationId)) },
    recipients: { emailClinicAdmin: true, supportEmail: null, consoleUrl: null },
  };

  it("without SMTP the email waits in the outbox, and a second run never sends it twice", async () => {
    const c = await makeConnection(t);
    await applyAlertWork(sighting(c, "no_patients_visible", new Date(), "no_patients_visible"), t.db, recordOnly);
    const [n] = await notificationsOf(c.connection.id);
    const deps: DeliveryDeps = { db: t.db, email: null, fromEmail: "alerts@relink.test", keyring };
    expect(await deliverNotification({ notificationId: n!.id }, deps)).toBe("outboxed");
    expect(await deliverNotification({ notificationId: n!.id }, deps)).toBe("skipped");
    const [row] = await t.db.select().from(emailOutbox).where(eq(emailOutbox.notificationId, n!.id));
    expect(row).toMatchObject({ to: c.clinic.adminEmail, sentAt: null, error: null });
    expect(row!.subject).toContain(c.clinic.name);
    expect(row!.text).toContain("no patients can be seen");
    expect(row!.html).toContain("<ol>");
    expect(await listDeliveryAttempts({ notificationId: n!.id }, t.db)).toEqual([expect.objectContaining({ attempt: 1, status: "outboxed" })]);
  });

  it("an alert muted after its message was queued is not delivered", async () => {
    const c = await makeConnection(t);
    const agent = await makeUser(t);
    const now = new Date();
    const { opened } = await applyAlertWork(sighting(c, "connection_needs_action", now), t.db, recordOnly);
    await muteAlert({ alertId: opened[0]!, until: minutes(now, 60), actor: agent, now }, t.db);
    const [n] = await notificationsOf(c.connection.id);
    const sent: unknown[] = [];
    const deps: DeliveryDeps = {
      db: t.db,
      email: { send: async (m) => (sent.push(m), { messageId: "x" }), close: () => {} },
      fromEmail: "alerts@relink.test",
      keyring,
    };
    expect(await deliverNotification({ notificationId: n!.id }, deps)).toBe("suppressed");
    expect(sent).toHaveLength(0);
    expect((await notificationsOf(c.connection.id))[0]).toMatchObject({ status: "suppressed", lastError: "alert muted before delivery" });
  });
});
