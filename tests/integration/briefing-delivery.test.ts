import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBriefingRow } from "../../db/queries/briefings.ts";
import { alertNotifications, alerts, briefingSettings, connections } from "../../db/schema/index.ts";
import { deliverBriefing, TURNED_OFF, type BriefingDeliveryDeps } from "../../domain/briefings/deliver.ts";
import { BriefingReportSchema } from "../../domain/briefings/report.ts";
import { briefingDayEnd, briefingDueAt } from "../../domain/briefings/schedule.ts";
import { sweepBriefings } from "../../domain/briefings/sweep.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createTestServices, type TestServices } from "../support/services.ts";
import { briefingClinic, briefingDeps } from "../support/briefing-world.ts";
import { seedBriefingWeek } from "../support/briefing-seams.ts";

let t: TestDatabase;
let services: TestServices;
beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

const ZONE = "Australia/Sydney";
const WEEK = "2026-11-23";
const DUE = briefingDueAt(ZONE, WEEK); // Monday 30 Nov 07:00 AEDT
const at = (minutesAfterDue: number) => new Date(DUE.getTime() + minutesAfterDue * 60_000);

function deps(now: Date, over: Partial<BriefingDeliveryDeps> = {}): BriefingDeliveryDeps {
  return briefingDeps(services, { now: () => now, ...over });
}

async function clinic(name: string, opts: Partial<Parameters<typeof briefingClinic>[1]> = {}) {
  const c = await briefingClinic(t, { name, timeZone: ZONE, syncedAt: at(-60), createdAt: new Date("2026-10-01T00:00:00Z"), ...opts });
  await seedBriefingWeek(t, c, WEEK);
  return c;
}

async function heldAlerts(connectionId: string) {
  return t.db
    .select()
    .from(alerts)
    .where(and(eq(alerts.connectionId, connectionId), eq(alerts.kind, "briefing_held")));
}

async function briefingEmails(clinicId: string) {
  return t.db
    .select()
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, clinicId), eq(alertNotifications.event, "briefing")));
}

describe("delivering one clinic's weekly briefing", () => {
  it("healthy and fresh at 07:00: sent once to the clinic admin through the outbox path, the report stored", async () => {
    const c = await clinic("Fresh Physio");
    expect(await deliverBriefing(deps(at(-1)), { clinicId: c.clinic.id, weekStart: WEEK })).toEqual({ outcome: "not_due" });
    const sent = await deliverBriefing(deps(at(2)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(sent).toMatchObject({ outcome: "sent", late: false });
    const row = await getBriefingRow({ clinicId: c.clinic.id, weekStart: WEEK }, t.db);
    expect(row).toMatchObject({ state: "sent", late: false, recipients: [c.clinic.adminEmail] });
    expect(BriefingReportSchema.parse(row!.report).clinicId).toBe(c.clinic.id);
    const emails = await briefingEmails(c.clinic.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ channel: "email", audience: "clinic_admin", target: c.clinic.adminEmail, status: "queued" });
    expect(row!.notificationIds).toEqual([emails[0]!.id]);
    // a second job for the same week sends nothing more
    expect(await deliverBriefing(deps(at(3)), { clinicId: c.clinic.id, weekStart: WEEK })).toEqual({ outcome: "already_done", state: "sent" });
    expect(await briefingEmails(c.clinic.id)).toHaveLength(1);
  });

  it("ten concurrent jobs for one clinic-week: exactly one email (the row claim serialises them)", async () => {
    const c = await clinic("Racing Physio");
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => deliverBriefing(deps(at(5)), { clinicId: c.clinic.id, weekStart: WEEK })));
    expect(outcomes.filter((o) => o.outcome === "sent")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "already_done")).toHaveLength(9);
    expect(await briefingEmails(c.clinic.id)).toHaveLength(1);
  });

  it("held while the connection needs action, a deduplicated alert to support, then sent marked late when it recovers that Monday", async () => {
    const c = await clinic("Broken Key Physio", { state: "action_required", failureCode: "auth_rejected", firstFailureAt: at(-600) });
    const held = await deliverBriefing(deps(at(1)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(held.outcome).toBe("held");
    expect(held).toMatchObject({ reason: expect.stringContaining("action required (Key rejected)") });
    const again = await deliverBriefing(deps(at(6)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(again.outcome).toBe("held");
    const open = await heldAlerts(c.connection.id);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ status: "open", count: 2 });
    expect(open[0]!.packet.briefingHeld).toEqual({ weekStart: WEEK, reason: (held as { reason: string }).reason });
    // support is told, the clinic admin is not (their connection alert already told them)
    const told = await t.db.select().from(alertNotifications).where(eq(alertNotifications.clinicId, c.clinic.id));
    expect(told.map((n) => `${n.audience}:${n.event}`)).toEqual(["support:opened"]);
    expect(await briefingEmails(c.clinic.id)).toHaveLength(0);
    expect(await getBriefingRow({ clinicId: c.clinic.id, weekStart: WEEK }, t.db)).toMatchObject({ state: "held", heldAt: at(1) });

    // the clinic pastes a new key at 11:00; the next sweep's job sends it, marked late, and the alert resolves
    await t.db.update(connections).set({ state: "healthy", failureCode: null, firstFailureAt: null }).where(eq(connections.id, c.connection.id));
    const sent = await deliverBriefing(deps(at(240)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(sent).toMatchObject({ outcome: "sent", late: true });
    expect(await getBriefingRow({ clinicId: c.clinic.id, weekStart: WEEK }, t.db)).toMatchObject({ state: "sent", late: true, heldReason: expect.any(String) });
    expect((await heldAlerts(c.connection.id))[0]!.status).toBe("resolved");
    expect(await briefingEmails(c.clinic.id)).toHaveLength(1);
  });

  it("held on stale data, and skipped at the end of the clinic's Monday with the reason recorded", async () => {
    const c = await clinic("Stale Sync Physio", { syncedAt: at(-60 * 30) });
    const held = await deliverBriefing(deps(at(1)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(held).toMatchObject({ outcome: "held", reason: expect.stringMatching(/last successful sync was 30 hours ago/) });
    const midnight = briefingDayEnd(ZONE, WEEK);
    const skipped = await deliverBriefing(deps(midnight), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(skipped).toMatchObject({
      outcome: "skipped",
      reason: expect.stringMatching(/^Held all Monday, then skipped for the week\. The last successful sync/),
    });
    expect(await getBriefingRow({ clinicId: c.clinic.id, weekStart: WEEK }, t.db)).toMatchObject({
      state: "skipped",
      skippedReason: (skipped as { reason: string }).reason,
    });
    expect((await heldAlerts(c.connection.id))[0]!.status).toBe("resolved");
    expect(await briefingEmails(c.clinic.id)).toHaveLength(0);
  });

  it("turned off in settings: no briefing, recorded as skipped 'briefing turned off'", async () => {
    const c = await clinic("Quiet Physio");
    await t.db.insert(briefingSettings).values({ clinicId: c.clinic.id, enabled: false });
    expect(await deliverBriefing(deps(at(1)), { clinicId: c.clinic.id, weekStart: WEEK })).toEqual({ outcome: "skipped", reason: TURNED_OFF });
    expect(await briefingEmails(c.clinic.id)).toHaveLength(0);
    expect(await heldAlerts(c.connection.id)).toHaveLength(0);
  });

  it("configured recipients get one email each", async () => {
    const c = await clinic("Two Owners Physio");
    await t.db.insert(briefingSettings).values({ clinicId: c.clinic.id, recipients: ["a@owners.example", "b@owners.example"] });
    const sent = await deliverBriefing(deps(at(1)), { clinicId: c.clinic.id, weekStart: WEEK });
    expect(sent).toMatchObject({ outcome: "sent" });
    expect((await briefingEmails(c.clinic.id)).map((e) => e.target).sort()).toEqual(["a@owners.example", "b@owners.example"]);
  });

  it("the sweep enqueues only due, unfinished clinic-weeks, and nothing before Monday 07:00", async () => {
    const due = await clinic("Sweep Due Physio");
    const held = await clinic("Sweep Held Physio", { state: "degraded", failureCode: "vendor_unavailable", firstFailureAt: at(-30) });
    const done = await clinic("Sweep Done Physio");
    await deliverBriefing(deps(at(1)), { clinicId: held.clinic.id, weekStart: WEEK });
    await deliverBriefing(deps(at(1)), { clinicId: done.clinic.id, weekStart: WEEK });
    const swept = async (now: Date) => {
      const jobs: { clinicId: string; weekStart: string }[] = [];
      await sweepBriefings({ db: t.db, queue: { enqueue: async (js) => void jobs.push(...js.map((j) => j.data)) }, now });
      return jobs.filter((j) => j.weekStart === WEEK).map((j) => j.clinicId);
    };
    expect(await swept(at(-1))).not.toContain(due.clinic.id);
    const later = await swept(at(5));
    expect(later).toContain(due.clinic.id);
    expect(later).toContain(held.clinic.id);
    expect(later).not.toContain(done.clinic.id);
  });
});
