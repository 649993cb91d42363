import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/clinics.$clinicId_.briefing/route.tsx";
import { auditLog, briefingSettings } from "../../db/schema/index.ts";
import { deliverBriefing } from "../../domain/briefings/deliver.ts";
import type { BriefingSetupPage } from "../../domain/briefings/setup.ts";
import { briefingDueAt, latestDueBriefing } from "../../domain/briefings/schedule.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";
import { briefingClinic, briefingDeps } from "../support/briefing-world.ts";
import { seedBriefingWeek } from "../support/briefing-seams.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  who = await createRoleUsers(services);
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

const ZONE = "Australia/Melbourne";

async function readyClinic(name: string) {
  const c = await briefingClinic(t, { name, timeZone: ZONE, syncedAt: new Date(), createdAt: new Date("2026-01-01T00:00:00Z") });
  // why: the fixture's five weeks end with last week, so "the last four weeks" holds appointments
  await seedBriefingWeek(t, c, latestDueBriefing(ZONE, new Date()).weekStart);
  return c;
}

async function page(role: "viewer" | "agent", clinicId: string): Promise<BriefingSetupPage> {
  const request = await requestAs(services, who[role].id, `/clinics/${clinicId}/briefing`);
  const r = await settle(() => loader({ request, params: { clinicId }, context: { services } }));
  expect(r.status).toBe(200);
  return r.data as BriefingSetupPage;
}

async function save(role: "viewer" | "agent" | "admin", clinicId: string, form: Record<string, string | string[]>) {
  const request = await requestAs(services, who[role].id, `/clinics/${clinicId}/briefing`, { form });
  return settle(() => action({ request, params: { clinicId }, context: { services } }));
}

const baseForm = { enabled: "on", recipients: "", practitionersChoice: "default", typesChoice: "default", currency: "" };

describe("the briefing setup page", () => {
  it("defaults: the clinic admin, active practitioners with recent appointments, break-like types left out, currency from the country; ready with its arrival line", async () => {
    const c = await readyClinic("Setup Defaults Physio");
    const p = await page("viewer", c.clinic.id);
    expect(p.recipients).toEqual([c.clinic.adminEmail]);
    expect(p.practitioners).toHaveLength(5);
    expect(p.practitioners.every((x) => x.counted && x.byDefault)).toBe(true);
    expect(p.appointmentTypes.filter((x) => x.excluded).map((x) => x.name)).toEqual(["Lunch break"]);
    expect(p.settings.defaultCurrency).toBe("AUD");
    expect(p.checklist.every((x) => x.done)).toBe(true);
    expect(p.arrival).toMatch(/^Your first briefing arrives Monday \d{1,2} [A-Z][a-z]{2}, 07:00 Australia\/Melbourne\.$/);
  });

  it("not ready: a broken connection and no sync, each with its next action", async () => {
    const c = await briefingClinic(t, {
      name: "Setup Broken Physio",
      timeZone: ZONE,
      state: "action_required",
      failureCode: "auth_rejected",
      firstFailureAt: new Date(),
      syncedAt: null,
    });
    const p = await page("agent", c.clinic.id);
    const todo = p.checklist.filter((x) => !x.done).map((x) => [x.key, x.next.href]);
    expect(todo).toEqual([
      ["connected", `/clinics/${c.clinic.id}`],
      ["synced", `/clinics/${c.clinic.id}#sync-h`],
      ["practitioners", "#practitioners-h"],
    ]);
    expect(p.arrival).toBeNull();
  });

  it("a viewer cannot change it (403); an agent saves, audited with what changed", async () => {
    const c = await readyClinic("Setup Save Physio");
    expect((await save("viewer", c.clinic.id, baseForm)).status).toBe(403);
    const p = await page("agent", c.clinic.id);
    const chosen = p.practitioners.slice(0, 2).map((x) => x.id);
    const saved = await save("agent", c.clinic.id, {
      ...baseForm,
      recipients: "Owner@Setup.example\nmanager@setup.example",
      practitionersChoice: "chosen",
      practitionerIds: chosen,
      currency: "nzd",
    });
    expect(saved.status).toBe(302);
    const [row] = await t.db.select().from(briefingSettings).where(eq(briefingSettings.clinicId, c.clinic.id));
    expect(row).toMatchObject({
      enabled: true,
      recipients: ["owner@setup.example", "manager@setup.example"],
      practitionerIds: chosen,
      currency: "NZD",
      updatedBy: who.agent.id,
    });
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.clinicId, c.clinic.id), eq(auditLog.action, "briefing.settings_updated")));
    expect(audit).toHaveLength(1);
    expect(Object.keys((audit[0]!.details as { changes: object }).changes).sort()).toEqual(["currency", "practitionerIds", "recipients"]);
    // the same form again changes nothing and records nothing
    await save("agent", c.clinic.id, {
      ...baseForm,
      recipients: "owner@setup.example manager@setup.example",
      practitionersChoice: "chosen",
      practitionerIds: chosen,
      currency: "NZD",
    });
    expect(
      await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.clinicId, c.clinic.id), eq(auditLog.action, "briefing.settings_updated"))),
    ).toHaveLength(1);
  });

  it("bad input: 400 with each error under its field, nothing saved", async () => {
    const c = await readyClinic("Setup Invalid Physio");
    const p = await page("agent", c.clinic.id);
    const noAvailability = p.practitioners.find((x) => !x.hasAvailability);
    const r = await save("admin", c.clinic.id, {
      ...baseForm,
      recipients: "not-an-email",
      practitionersChoice: "chosen",
      currency: "dollars",
      ...(noAvailability ? { [`hours:${noAvailability.id}`]: "Mon-Fri 9-5" } : {}),
    });
    expect(r.status).toBe(400);
    const errors = (r.data as { fieldErrors: Record<string, string[]> }).fieldErrors;
    expect(errors.recipients?.[0]).toMatch(/not an email/);
    expect(errors.practitionerIds?.[0]).toMatch(/Tick at least one/);
    expect(errors.currency?.[0]).toMatch(/three-letter/);
    expect(await t.db.select().from(briefingSettings).where(eq(briefingSettings.clinicId, c.clinic.id))).toEqual([]);
  });

  it("history: a held week shows its reason; a turned-off week shows skipped 'briefing turned off'", async () => {
    const c = await readyClinic("Setup History Physio");
    const held = await briefingClinic(t, {
      name: "Setup History Held",
      timeZone: ZONE,
      state: "degraded",
      failureCode: "vendor_unavailable",
      firstFailureAt: new Date(),
      syncedAt: new Date(),
    });
    const week = "2026-11-16";
    const deps = (now: Date) => briefingDeps(services, { now: () => now });
    const due = briefingDueAt(ZONE, week);
    await seedBriefingWeek(t, held, week);
    await deliverBriefing(deps(due), { clinicId: held.clinic.id, weekStart: week });
    const p = await page("viewer", held.clinic.id);
    expect(p.history[0]).toMatchObject({ state: "held", reason: expect.stringContaining("degraded") });
    await t.db.insert(briefingSettings).values({ clinicId: c.clinic.id, enabled: false });
    await deliverBriefing(deps(due), { clinicId: c.clinic.id, weekStart: week });
    const off = await page("viewer", c.clinic.id);
    expect(off.history[0]).toMatchObject({ state: "skipped", stateLabel: "Skipped", reason: "Briefing turned off in the clinic's settings." });
    expect(off.checklist.find((x) => x.key === "enabled")!.done).toBe(false);
  });
});
