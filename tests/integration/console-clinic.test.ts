import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertNotifications, auditLog, connectionEvents, connections } from "../../db/schema/index.ts";
import { action as clinicAction, loader as clinicLoader } from "../../app/routes/clinics.$clinicId/route.tsx";
import { type TestDatabase } from "../support/db.ts";
import { requestAs, settle, startDemoConsole, type createRoleUsers, type TestServices } from "../support/services.ts";

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
async function connectionOf(id: string) {
  const [row] = await t.db.select().from(connections).where(eq(connections.clinicId, id));
  return row!;
}
async function act(role: "viewer" | "agent" | "admin", id: string, form: Record<string, string>) {
  const request = await requestAs(services, who[role].id, `/clinics/${id}`, { form });
  return settle(() => clinicAction({ request, params: { clinicId: id }, context: { services } }));
}
async function auditCount(action: string, id: string) {
  return (
    await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, action), eq(auditLog.clinicId, id)))
  ).length;
}

describe("clinic page: who may do what", () => {
  const intents: Record<string, string>[] = [
    { intent: "probe" },
    { intent: "apply-region" },
    { intent: "pause" },
    { intent: "resume" },
    { intent: "note", note: "called the clinic" },
    { intent: "lookup", patientName: "Olivia" },
    { intent: "link-create", purpose: "New key please" },
    { intent: "link-email", purpose: "New key please" },
  ];
  it.each(intents.map((f) => [f.intent, f] as const))("a viewer cannot %s (403)", async (_intent, form) => {
    const id = await clinicId("Harbourside Physiotherapy");
    expect((await act("viewer", id, form)).status).toBe(403);
  });

  it("a viewer can read the clinic page with its playbook and packet", async () => {
    const id = await clinicId("Bondi Beach Podiatry");
    await act("agent", id, { intent: "probe" });
    const request = await requestAs(services, who.viewer.id, `/clinics/${id}`);
    const r = await settle(() => clinicLoader({ request, params: { clinicId: id }, context: { services } }));
    expect(r.status).toBe(200);
    const d = r.data as { playbook: { supportSteps: string[] }; packet: string };
    expect(d.playbook.supportSteps.length).toBeGreaterThan(0);
    expect(d.packet).toContain("Bondi Beach Podiatry");
  });

  it("answers 404 for an unknown clinic and 400 for an unknown intent", async () => {
    expect((await act("agent", "00000000-0000-4000-8000-000000000000", { intent: "probe" })).status).toBe(404);
    expect((await act("agent", await clinicId("Harbourside Physiotherapy"), { intent: "explode" })).status).toBe(400);
  });
});

describe("clinic page actions", () => {
  it("probes now and returns the classified result inline, audited", async () => {
    const id = await clinicId("Harbourside Physiotherapy");
    const r = await act("agent", id, { intent: "probe" });
    expect(r.status).toBe(200);
    expect((r.data as { probe: { outcome: string; visiblePatients: number } }).probe).toMatchObject({ outcome: "healthy" });
    expect(await auditCount("connection.probe", id)).toBe(1);
  });

  it("applies the suggested region in one click and re-probes to healthy", async () => {
    const id = await clinicId("Leeds Movement Studio");
    await act("agent", id, { intent: "probe" });
    expect((await connectionOf(id)).suggestedRegion).toBe("uk2");
    const r = await act("agent", id, { intent: "apply-region" });
    expect(r.status).toBe(302);
    const after = await connectionOf(id);
    expect(after.region).toBe("uk2");
    expect(after.state).toBe("healthy");
    expect(await auditCount("connection.apply_region", id)).toBe(1);
  });

  it("refuses to apply a region when none is suggested (409)", async () => {
    const r = await act("agent", await clinicId("Yarra Valley Osteopathy"), { intent: "apply-region" });
    expect(r.status).toBe(409);
  });

  it("pauses and resumes with timeline events and audit rows", async () => {
    const id = await clinicId("Camden Sports Clinic");
    expect((await act("agent", id, { intent: "pause", reason: "clinic on holiday" })).status).toBe(302);
    expect((await connectionOf(id)).state).toBe("paused");
    expect((await act("agent", id, { intent: "pause" })).status).toBe(409);
    expect((await act("agent", id, { intent: "resume" })).status).toBe(302);
    expect((await connectionOf(id)).state).toBe("healthy");
    const events = await t.db.select().from(connectionEvents).where(eq(connectionEvents.clinicId, id));
    expect(events.map((e) => e.toState)).toEqual(expect.arrayContaining(["paused", "setup_pending"]));
    expect(await auditCount("connection.pause", id)).toBe(1);
    expect(await auditCount("connection.resume", id)).toBe(1);
  });

  it("adds a note, and rejects an empty one next to its field", async () => {
    const id = await clinicId("Maple Leaf Chiropractic");
    const bad = await act("agent", id, { intent: "note", note: "   " });
    expect(bad.status).toBe(400);
    expect((bad.data as { fieldErrors: Record<string, string[]> }).fieldErrors.note).toBeDefined();
    expect((await act("agent", id, { intent: "note", note: "Rang Marc, key coming tomorrow" })).status).toBe(302);
    const notes = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.clinicId, id), eq(connectionEvents.kind, "note")));
    expect(notes[0]?.message).toContain("key coming tomorrow");
  });

  it("creates a reconnect link to copy, and one emailed to the clinic admin", async () => {
    const id = await clinicId("Bondi Beach Podiatry");
    const r = await act("agent", id, { intent: "link-create", purpose: "Your Cliniko key was archived" });
    expect(r.status).toBe(200);
    expect((r.data as { link: { url: string } }).link.url).toMatch(/\/reconnect\/[A-Za-z0-9_-]{43}$/);
    expect((await connectionOf(id)).state).toBe("reconnect_pending");
    const emailed = await act("agent", id, { intent: "link-email", purpose: "Your Cliniko key was archived" });
    expect((emailed.data as { link: { emailedTo: string } }).link.emailedTo).toBe("jess@bondipodiatry.example");
    // why: the email is a stored message for the delivery worker; its stored copy carries the link redacted
    const url = (emailed.data as { link: { url: string } }).link.url;
    const [mail] = await t.db
      .select()
      .from(alertNotifications)
      .where(and(eq(alertNotifications.target, "jess@bondipodiatry.example"), eq(alertNotifications.event, "reconnect_link")));
    expect(mail?.status).toBe("queued");
    expect((mail?.content as { text: string }).text).toContain(`/reconnect/…${url.slice(-4)}`);
    expect(JSON.stringify(mail?.content)).not.toContain(url.split("/").pop());
    expect(await auditCount("reconnect_link.emailed", id)).toBe(1);
    const missing = await act("agent", id, { intent: "link-create", purpose: "" });
    expect(missing.status).toBe(400);
  });

  it("looks a patient up live and returns only a count", async () => {
    const id = await clinicId("Yarra Valley Osteopathy");
    const r = await act("agent", id, { intent: "lookup", patientName: "Olivia" });
    expect(r.status).toBe(200);
    const lookup = (r.data as { lookup: { ok: boolean; matches: number } }).lookup;
    expect(lookup.ok).toBe(true);
    expect(lookup.matches).toBeGreaterThan(0);
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "clinic.patient_lookup"), eq(auditLog.clinicId, id)));
    expect(JSON.stringify(audit?.details)).not.toContain("Olivia");
    expect((await act("agent", id, { intent: "lookup", patientName: "O" })).status).toBe(400);
  });
});
