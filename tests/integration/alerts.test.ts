import { and, asc, eq } from "drizzle-orm";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertNotifications, alerts, auditLog } from "../../db/schema/index.ts";
import { applyAlertWork, type AlertWorkDeps } from "../../domain/alerts/apply.ts";
import { acknowledgeAlert, muteAlert, unmuteAlert } from "../../domain/alerts/manage.ts";
import { EmailContentSchema } from "../../domain/alerts/messages.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { createQueues } from "../../workers/queues.ts";
import { createTestDatabase, pgErrorOf, type TestDatabase } from "../support/db.ts";
import { failurePacket, makeConnection, makeUser, minutes, recovery, sighting, silentLogger } from "./alerts-fixtures.ts";

let t: TestDatabase;
let boss: PgBoss;
let deps: AlertWorkDeps;
const T0 = new Date("2026-03-02T09:00:00Z");
const DELIVER = QUEUES.deliver.name;

beforeAll(async () => {
  t = await createTestDatabase();
  // why: a send-only instance: these tests check what is enqueued, nothing works the queue
  boss = await startBoss({ databaseUrl: t.url, logger: silentLogger, role: "sender" });
  deps = {
    queue: createQueues(boss).deliver,
    recipients: { emailClinicAdmin: true, supportEmail: "support@vendor.example", consoleUrl: "https://relink.test" },
  };
});
afterAll(async () => {
  await boss?.stop({ graceful: false });
  await t?.drop();
});

async function alertsOf(connectionId: string) {
  return t.db.select().from(alerts).where(eq(alerts.connectionId, connectionId)).orderBy(asc(alerts.firstSeenAt));
}
async function notificationsOf(connectionId: string) {
  return t.db.select().from(alertNotifications).where(eq(alertNotifications.connectionId, connectionId)).orderBy(asc(alertNotifications.createdAt));
}
/** The delivery jobs pg-boss holds for these notifications. */
async function jobsFor(notifications: { jobId: string | null; id: string }[]) {
  const jobs = await Promise.all(notifications.map((n) => boss.findJobs<{ notificationId: string }>(DELIVER, { id: n.jobId! })));
  return jobs.flat();
}

describe("alert rules", () => {
  it("archival opens one alert with two emails (webhooks are event subscriptions now); repeats are counted, never re-sent", async () => {
    const c = await makeConnection(t);
    const first = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    expect(first.opened).toHaveLength(1);
    expect(first).toMatchObject({ reopened: [], repeated: [], resolved: [], deliveriesQueued: 2 });

    const second = await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 5)), t.db, deps);
    const third = await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 10)), t.db, deps);
    expect(second).toMatchObject({ opened: [], repeated: first.opened, deliveriesQueued: 0 });
    expect(third).toMatchObject({ opened: [], repeated: first.opened, deliveriesQueued: 0 });

    const [alert, ...others] = await alertsOf(c.connection.id);
    expect(others).toHaveLength(0);
    expect(alert).toMatchObject({ kind: "connection_needs_action", status: "open", count: 3, firstSeenAt: T0, lastSeenAt: minutes(T0, 10) });
    expect(alert!.packet.failureCode).toBe("auth_rejected");

    const sent = await notificationsOf(c.connection.id);
    expect(sent.map((n) => [n.channel, n.audience, n.target, n.event]).sort()).toEqual(
      [
        ["email", "clinic_admin", c.clinic.adminEmail, "opened"],
        ["email", "support", "support@vendor.example", "opened"],
      ].sort(),
    );
    const jobs = await jobsFor(sent);
    expect(jobs).toHaveLength(2);
    expect(jobs.map((j) => j.data.notificationId).sort()).toEqual(sent.map((n) => n.id).sort());

    // support gets the playbook and the escalation packet; the clinic gets plain words and its own steps
    const support = EmailContentSchema.parse(sent.find((n) => n.audience === "support")!.content);
    expect(support.subject).toContain("Key rejected");
    expect(support.text).toContain("Escalation packet");
    expect(support.text).toContain("HTTP 401: HTTP Basic: Access denied.");
    expect(support.text).toContain(`https://relink.test/clinics/${c.clinic.id}`);
    const clinic = EmailContentSchema.parse(sent.find((n) => n.audience === "clinic_admin")!.content);
    expect(clinic.text).toContain("no longer accepts this API key");
    expect(clinic.text).toContain("My Info");
    expect(clinic.text).not.toContain("Escalation packet");
  });

  it("recovery resolves every open alert and sends ONE recovered message per target", async () => {
    const c = await makeConnection(t);
    const a = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    const b = await applyAlertWork({ ...sighting(c, "degraded_too_long", minutes(T0, 1), "vendor_unavailable") }, t.db, deps);
    expect(a.deliveriesQueued + b.deliveriesQueued).toBe(4);

    const rec = await applyAlertWork(recovery(c, minutes(T0, 30)), t.db, deps);
    expect(rec.resolved.sort()).toEqual([...a.opened, ...b.opened].sort());
    expect(rec.deliveriesQueued).toBe(2);
    const rows = await alertsOf(c.connection.id);
    expect(rows.every((r) => r.status === "resolved" && r.resolvedAt?.getTime() === minutes(T0, 30).getTime())).toBe(true);

    const recovered = (await notificationsOf(c.connection.id)).filter((n) => n.event === "recovered");
    expect(recovered).toHaveLength(2);
    for (const n of recovered) expect(n.alertIds.sort()).toEqual(rec.resolved.sort());
    expect(await jobsFor(recovered)).toHaveLength(2);
    const support = EmailContentSchema.parse(recovered.find((n) => n.audience === "support")!.content);
    expect(support.subject).toMatch(/^\[Relink\] Recovered: /);
    expect(support.text).toContain("Trouble lasted 30 min");

    // a second healthy probe has nothing left to resolve: silence
    expect(await applyAlertWork(recovery(c, minutes(T0, 35)), t.db, deps)).toEqual({
      opened: [],
      reopened: [],
      repeated: [],
      resolved: [],
      deliveriesQueued: 0,
    });
  });

  it("a recovery with nothing open (a blip that never alerted) is silent", async () => {
    const c = await makeConnection(t);
    expect(await applyAlertWork(recovery(c, T0), t.db, deps)).toMatchObject({ resolved: [], deliveriesQueued: 0 });
    expect(await notificationsOf(c.connection.id)).toHaveLength(0);
  });

  it("a recurrence after resolution opens a new alert linked to the old one and notifies as reopened", async () => {
    const c = await makeConnection(t);
    const first = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    await applyAlertWork(recovery(c, minutes(T0, 20)), t.db, deps);
    const again = await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 60)), t.db, deps);
    expect(again).toMatchObject({ opened: [], repeated: [], deliveriesQueued: 2 });
    expect(again.reopened).toHaveLength(1);
    expect(again.reopened[0]).not.toBe(first.opened[0]);

    const [old, fresh] = await alertsOf(c.connection.id);
    expect(old).toMatchObject({ id: first.opened[0], status: "resolved", count: 1 });
    expect(fresh).toMatchObject({ id: again.reopened[0], status: "open", count: 1, reopenedFromId: old!.id, firstSeenAt: minutes(T0, 60) });
    const reopened = (await notificationsOf(c.connection.id)).filter((n) => n.event === "reopened");
    expect(reopened).toHaveLength(2);
    expect(EmailContentSchema.parse(reopened.find((n) => n.audience === "support")!.content).subject).toMatch(/Again: /);
  });

  it("a muted alert counts repeats and sends nothing — not its recovery, not a recurrence inside the window", async () => {
    const c = await makeConnection(t);
    const agent = await makeUser(t);
    const first = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    const until = minutes(T0, 24 * 60);
    const muted = await muteAlert({ alertId: first.opened[0]!, until, actor: agent, now: minutes(T0, 1) }, t.db);
    expect(muted).toMatchObject({ status: "muted", mutedUntil: until });

    expect(await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 5)), t.db, deps)).toMatchObject({
      repeated: first.opened,
      deliveriesQueued: 0,
    });
    expect(await applyAlertWork(recovery(c, minutes(T0, 10)), t.db, deps)).toMatchObject({ resolved: first.opened, deliveriesQueued: 0 });
    const back = await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 15)), t.db, deps);
    expect(back).toMatchObject({ deliveriesQueued: 0 });
    expect(back.reopened).toHaveLength(1);
    const [, fresh] = await alertsOf(c.connection.id);
    expect(fresh).toMatchObject({ status: "muted", mutedUntil: until, count: 1 });

    // the mute ends: the next repeat turns it back to open (still no message for a mere repeat)
    const later = await applyAlertWork(sighting(c, "connection_needs_action", minutes(until, 5)), t.db, deps);
    expect(later).toMatchObject({ repeated: back.reopened, deliveriesQueued: 0 });
    const [, afterMute] = await alertsOf(c.connection.id);
    expect(afterMute).toMatchObject({ status: "open", mutedUntil: null, count: 2 });

    // only the very first opening ever produced messages
    expect((await notificationsOf(c.connection.id)).map((n) => n.event)).toEqual(["opened", "opened"]);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "alert.mute"), eq(auditLog.clinicId, c.clinic.id)));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ alertId: first.opened[0], until: until.toISOString() });
  });

  it("an expired mute does not silence the recovery", async () => {
    const c = await makeConnection(t);
    const agent = await makeUser(t);
    const first = await applyAlertWork(sighting(c, "no_patients_visible", T0, "no_patients_visible"), t.db, deps);
    await muteAlert({ alertId: first.opened[0]!, until: minutes(T0, 30), actor: agent, now: T0 }, t.db);
    expect(await applyAlertWork(recovery(c, minutes(T0, 45)), t.db, deps)).toMatchObject({ resolved: first.opened, deliveriesQueued: 2 });
  });

  it("acknowledging keeps counting repeats, ends a mute, and the recovery still notifies", async () => {
    const c = await makeConnection(t);
    const agent = await makeUser(t);
    const first = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    const id = first.opened[0]!;
    await muteAlert({ alertId: id, until: minutes(T0, 600), actor: agent, now: T0 }, t.db);
    const acked = await acknowledgeAlert({ alertId: id, actor: agent, now: minutes(T0, 2) }, t.db);
    expect(acked).toMatchObject({ status: "acknowledged", acknowledgedBy: agent.userId, acknowledgedAt: minutes(T0, 2), mutedUntil: null });

    await applyAlertWork(sighting(c, "connection_needs_action", minutes(T0, 5)), t.db, deps);
    const [row] = await alertsOf(c.connection.id);
    expect(row).toMatchObject({ status: "acknowledged", count: 2 });
    expect(await applyAlertWork(recovery(c, minutes(T0, 9)), t.db, deps)).toMatchObject({ resolved: [id], deliveriesQueued: 2 });

    // a resolved alert is history: no acknowledging or muting it any more
    expect(await acknowledgeAlert({ alertId: id, actor: agent }, t.db)).toBeNull();
    expect(await unmuteAlert({ alertId: id, actor: agent }, t.db)).toBeNull();
    await expect(muteAlert({ alertId: id, until: minutes(T0, 1), actor: agent, now: minutes(T0, 10) }, t.db)).rejects.toThrow(/future/);
  });

  it("unmuting returns an alert to open, or to acknowledged when it was acknowledged before", async () => {
    const c = await makeConnection(t);
    const agent = await makeUser(t);
    const { opened } = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps);
    await muteAlert({ alertId: opened[0]!, until: minutes(T0, 60), actor: agent, now: T0 }, t.db);
    expect(await unmuteAlert({ alertId: opened[0]!, actor: agent }, t.db)).toMatchObject({ status: "open", mutedUntil: null });
  });

  it("the database allows at most one unresolved alert per connection and kind", async () => {
    const c = await makeConnection(t);
    const row = {
      connectionId: c.connection.id,
      clinicId: c.clinic.id,
      kind: "connection_needs_action" as const,
      firstSeenAt: T0,
      lastSeenAt: T0,
      packet: failurePacket(c.clinic.name, "auth_rejected", T0),
    };
    await t.db.insert(alerts).values(row);
    expect(await pgErrorOf(t.db.insert(alerts).values({ ...row, status: "acknowledged", acknowledgedAt: T0 }))).toMatch(/alerts_one_unresolved_uidx/);
    // resolved history rows are not limited
    await t.db.insert(alerts).values({ ...row, status: "resolved", resolvedAt: T0 });
    await t.db.insert(alerts).values({ ...row, status: "resolved", resolvedAt: T0 });
    expect(await pgErrorOf(t.db.insert(alerts).values({ ...row, kind: "nonsense" as never }))).toMatch(/alerts_kind_check/);
    expect(await pgErrorOf(t.db.insert(alerts).values({ ...row, kind: "briefing_held", status: "muted" }))).toMatch(/alerts_muted_has_until/);
  });

  it("two probes racing to open the same alert open it once", async () => {
    const c = await makeConnection(t);
    const results = await Promise.all([
      applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps),
      applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, deps),
    ]);
    expect(results.flatMap((r) => r.opened)).toHaveLength(1);
    expect(results.flatMap((r) => r.repeated)).toHaveLength(1);
    expect(results.reduce((n, r) => n + r.deliveriesQueued, 0)).toBe(2);
    expect(await alertsOf(c.connection.id)).toEqual([expect.objectContaining({ count: 2, status: "open" })]);
  });
});

describe("transactional enqueue", () => {
  it("a rolled-back write leaves no alert, no notification and no job", async () => {
    const c = await makeConnection(t);
    let queued: string[] = [];
    const failure = await t.db
      .transaction(async (tx) => {
        const r = await applyAlertWork(sighting(c, "connection_needs_action", T0), tx, deps);
        expect(r.deliveriesQueued).toBe(2);
        const rows = await tx.select({ jobId: alertNotifications.jobId }).from(alertNotifications).where(eq(alertNotifications.connectionId, c.connection.id));
        queued = rows.map((row) => row.jobId!);
        throw new Error("the probe's connection update failed");
      })
      .catch((err: Error) => err.message);
    expect(failure).toBe("the probe's connection update failed");
    expect(queued).toHaveLength(2);
    expect(await alertsOf(c.connection.id)).toHaveLength(0);
    expect(await notificationsOf(c.connection.id)).toHaveLength(0);
    for (const id of queued) expect(await boss.findJobs(DELIVER, { id })).toHaveLength(0);
  });

  it("inside the caller's committed transaction, the alert and its jobs land together", async () => {
    const c = await makeConnection(t);
    await t.db.transaction(async (tx) => {
      await applyAlertWork(sighting(c, "connection_needs_action", T0), tx, deps);
    });
    const sent = await notificationsOf(c.connection.id);
    expect(sent).toHaveLength(2);
    const jobs = await jobsFor(sent);
    expect(jobs.map((j) => j.state)).toEqual(["created", "created"]);
  });

  it("a clinic without an admin email and no support address queues nothing (webhooks come from events)", async () => {
    const c = await makeConnection(t, { adminEmail: null });
    const r = await applyAlertWork(sighting(c, "connection_needs_action", T0), t.db, {
      ...deps,
      recipients: { emailClinicAdmin: true, supportEmail: null, consoleUrl: null },
    });
    expect(r.deliveriesQueued).toBe(0);
    expect(await notificationsOf(c.connection.id)).toHaveLength(0);
  });
});
