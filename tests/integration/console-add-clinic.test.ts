import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as editAction, loader as editLoader } from "../../app/routes/clinics.$clinicId_.edit.tsx";
import { loader as archivedLoader } from "../../app/routes/clinics.archived.tsx";
import { action as importAction, loader as importLoader } from "../../app/routes/clinics.import.tsx";
import { action as addAction, loader as addLoader } from "../../app/routes/clinics.new.tsx";
import { listClinics } from "../../db/queries/clinics.ts";
import { loadClinicPage } from "../../domain/clinics/clinic-page.ts";
import { alertNotifications, alerts, auditLog, clinics, connectionEvents, connections } from "../../db/schema/index.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { clinikoKey } from "../../simulator/keys.ts";
import type { TestDatabase } from "../support/db.ts";
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

type Role = "viewer" | "agent" | "admin";
const demo = (name: string) => DEMO_FLEET.find((d) => d.clinicName === name)!;
const WORKING_CLINIKO = clinikoKey("bondi-current", "au3");
const ARCHIVED_CLINIKO = demo("Bondi Beach Podiatry").key;

function clinicForm(over: Record<string, string> = {}) {
  return {
    name: "Coogee Physio",
    timeZone: "Australia/Sydney",
    country: "au",
    adminName: "Jo Lee",
    adminEmail: "Jo@Coogee.example",
    vendor: "cliniko",
    key: WORKING_CLINIKO,
    ...over,
  };
}
async function add(role: Role, form: Record<string, string>) {
  const request = await requestAs(services, who[role].id, "/clinics/new", { form });
  return settle(() => addAction({ request, params: {}, context: { services } }));
}
async function importCsv(role: Role, text: string, fileName = "clinics.csv") {
  const body = new FormData();
  body.set("csv", new File([text], fileName, { type: "text/csv" }));
  const request = await requestAs(services, who[role].id, "/clinics/import", { body });
  return settle(() => importAction({ request, params: {}, context: { services } }));
}
async function edit(role: Role, clinicId: string, form: Record<string, string>) {
  const request = await requestAs(services, who[role].id, `/clinics/${clinicId}/edit`, { form });
  return settle(() => editAction({ request, params: { clinicId }, context: { services } }));
}
async function clinicByName(name: string) {
  const [row] = await t.db.select().from(clinics).where(eq(clinics.name, name));
  return row;
}
async function audits(action: string, clinicId?: string) {
  return t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), clinicId ? eq(auditLog.clinicId, clinicId) : undefined));
}
const errorsOf = (r: { data: unknown }) => (r.data as { fieldErrors: Record<string, string[]> }).fieldErrors;

describe("who may add, import, edit and archive", () => {
  it("refuses a viewer every write (403) and the add / edit pages", async () => {
    const id = (await clinicByName("Harbourside Physiotherapy"))!.id;
    expect((await add("viewer", clinicForm())).status).toBe(403);
    expect((await importCsv("viewer", "name\n")).status).toBe(403);
    expect((await edit("viewer", id, { intent: "save", ...clinicForm() })).status).toBe(403);
    expect((await edit("viewer", id, { intent: "archive", confirm: "yes" })).status).toBe(403);
    expect((await edit("viewer", id, { intent: "restore" })).status).toBe(403);
    const page = await requestAs(services, who.viewer.id, "/clinics/new");
    expect((await settle(() => addLoader({ request: page, params: {}, context: { services } }))).status).toBe(403);
    const editPage = await requestAs(services, who.viewer.id, `/clinics/${id}/edit`);
    expect((await settle(() => editLoader({ request: editPage, params: { clinicId: id }, context: { services } }))).status).toBe(403);
  });

  it("keeps CSV import for admins: an agent gets 403 on the page and the upload", async () => {
    expect((await importCsv("agent", "name\n")).status).toBe(403);
    const page = await requestAs(services, who.agent.id, "/clinics/import");
    expect((await settle(() => importLoader({ request: page, params: {}, context: { services } }))).status).toBe(403);
    const adminPage = await requestAs(services, who.admin.id, "/clinics/import");
    expect((await settle(() => importLoader({ request: adminPage, params: {}, context: { services } }))).status).toBe(200);
  });

  it("sends a signed-out visitor to the sign-in page", async () => {
    const request = await requestAs(services, null, "/clinics/new", { form: clinicForm() });
    const r = await settle(() => addAction({ request, params: {}, context: { services } }));
    expect(r.status).toBe(302);
    expect(r.response?.headers.get("Location")).toMatch(/^\/login/);
  });
});

describe("adding a clinic by hand", () => {
  it("puts every field error next to its field, without calling the vendor or echoing the key", async () => {
    const r = await add("agent", { name: " ", timeZone: "Mars/Olympus", country: "UK", adminEmail: "not-an-email", vendor: "nookal", key: "" });
    expect(r.status).toBe(400);
    expect(Object.keys(errorsOf(r)).sort()).toEqual(["adminEmail", "country", "key", "name", "region", "timeZone"]);
    expect(errorsOf(r).country![0]).toMatch(/two-letter/);
    const typed = await add("agent", clinicForm({ name: "", timeZone: "", timeZoneOther: "Asia/Singapore" }));
    expect(errorsOf(typed).timeZone).toBeUndefined();
    expect(JSON.stringify(typed.data)).not.toContain(WORKING_CLINIKO);
  });

  it("verifies a working key live, then saves a healthy connection, its timeline event and an audit row", async () => {
    const r = await add("agent", clinicForm({ key: `  "${WORKING_CLINIKO}"\n` }));
    expect(r.status).toBe(302);
    const clinic = (await clinicByName("Coogee Physio"))!;
    expect(r.response?.headers.get("Location")).toBe(`/clinics/${clinic.id}`);
    expect(clinic).toMatchObject({ country: "AU", timeZone: "Australia/Sydney", adminEmail: "jo@coogee.example", archivedAt: null });
    const [conn] = await t.db.select().from(connections).where(eq(connections.clinicId, clinic.id));
    expect(conn).toMatchObject({
      vendor: "cliniko",
      region: "au3",
      state: "healthy",
      failureCode: null,
      visiblePatientCount: expect.any(Number),
      everHadPatients: true,
      vendorUserName: "Jess Walker",
      vendorUserRole: "administrator",
    });
    expect(conn!.visiblePatientCount).toBeGreaterThan(0);
    expect(conn!.lastSuccessAt).not.toBeNull();
    expect(conn!.keyHint).toMatch(/\(au3\)$/);
    expect(conn!.keyCiphertext!.toString("utf8")).not.toContain(WORKING_CLINIKO.slice(0, 20));
    const [event] = await t.db.select().from(connectionEvents).where(eq(connectionEvents.clinicId, clinic.id));
    expect(event).toMatchObject({ kind: "created", toState: "healthy", actor: `user:${who.agent.id}` });
    const [audit] = await audits("clinic.created", clinic.id);
    expect(audit).toMatchObject({
      actorLabel: who.agent.email,
      details: expect.objectContaining({ via: "form", region: "au3", visiblePatients: conn!.visiblePatientCount }),
    });
    expect(JSON.stringify(audit!.details)).not.toContain(WORKING_CLINIKO);
    // the live check is the probe strip's first point (issue 11: not "no probes recorded yet")
    const page = await loadClinicPage({ clinicId: clinic.id, page: 1 }, t.db);
    expect(page!.probes).toEqual([{ at: expect.any(Date), ok: true, failureCode: null, state: "healthy", httpStatus: null, kind: "key_check" }]);
  });

  it("shows the classified verdict for a rejected key and saves nothing", async () => {
    const r = await add("agent", clinicForm({ name: "Rejected Key Clinic", key: ARCHIVED_CLINIKO }));
    expect(r.status).toBe(422);
    const d = r.data as { verdict: { ok: boolean; failureCode: string; title: string; clinicMessage: string }; values: Record<string, string> };
    expect(d.verdict).toMatchObject({ ok: false, failureCode: "auth_rejected", title: "Key rejected" });
    expect(d.verdict.clinicMessage).toMatch(/no longer accepts/);
    expect(d.values.name).toBe("Rejected Key Clinic");
    expect(JSON.stringify(r.data)).not.toContain(ARCHIVED_CLINIKO);
    expect(await clinicByName("Rejected Key Clinic")).toBeUndefined();
  });

  it("names the region a Nookal key works in when the wrong one is picked", async () => {
    const auckland = demo("Auckland Kinetics");
    const r = await add(
      "agent",
      clinicForm({ name: "Kiwi Motion", vendor: "nookal", key: auckland.key, region: "us", timeZone: "Pacific/Auckland", country: "NZ" }),
    );
    expect(r.status).toBe(422);
    expect((r.data as { verdict: { failureCode: string; suggestedRegion: string } }).verdict).toMatchObject({
      failureCode: "wrong_region",
      suggestedRegion: "au",
    });
    const fixed = await add(
      "agent",
      clinicForm({ name: "Kiwi Motion", vendor: "nookal", key: auckland.key, region: "au", timeZone: "Pacific/Auckland", country: "NZ" }),
    );
    expect(fixed.status).toBe(302);
  });

  it("refuses a name already in use (case and spaces ignored) next to the name field", async () => {
    const r = await add("agent", clinicForm({ name: "  harbourside   PHYSIOTHERAPY " }));
    expect(r.status).toBe(400);
    expect(errorsOf(r).name![0]).toMatch(/already exists/);
  });
});

const HEADER = "name,time_zone,country,admin_name,admin_email,vendor,region,api_version,key";

describe("importing clinics from a CSV", () => {
  it("reports every bad row with its line and imports nothing", async () => {
    const secret = clinikoKey("import-secret", "zz");
    const text = [
      HEADER,
      `Import Good One,Australia/Sydney,AU,A,a@one.example,cliniko,,,${clinikoKey("import-one", "au2")}`,
      `Import Bad Zone,Mars/Base,AU,B,b@two.example,cliniko,,,`,
      `"Import, Quoted",Europe/London,UK,C,c@three.example,cliniko,,,`,
      `Import Nookal,Australia/Sydney,AU,D,d@four.example,nookal,,,`,
      `Import Good One,Australia/Sydney,AU,E,e@five.example,cliniko,,,`,
      `Harbourside Physiotherapy,Australia/Sydney,AU,F,f@six.example,cliniko,,,`,
      `Import Bad Key,Australia/Sydney,AU,G,g@seven.example,cliniko,,,${secret}`,
      `Too,few`,
    ].join("\r\n");
    const r = await importCsv("admin", text);
    expect(r.status).toBe(400);
    const errors = (r.data as { errors: { line: number; message: string }[] }).errors;
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 8, 9]);
    expect(errors.find((e) => e.line === 3)!.message).toMatch(/^time_zone:/);
    expect(errors.find((e) => e.line === 4)!.message).toMatch(/^country:/);
    expect(errors.find((e) => e.line === 5)!.message).toMatch(/Nookal needs a region/);
    expect(errors.find((e) => e.line === 6)!.message).toMatch(/already on line 2/);
    expect(errors.find((e) => e.line === 8)!.message).toMatch(/^key:/);
    expect(errors.find((e) => e.line === 9)!.message).toMatch(/Has 2 fields/);
    expect(JSON.stringify(r.data)).not.toContain(secret.slice(0, 12));
    expect(await clinicByName("Import Good One")).toBeUndefined();
  });

  it("reports names that already exist only once the file itself is clean, still importing nothing", async () => {
    const r = await importCsv(
      "admin",
      `${HEADER}\nImport Fresh,Australia/Sydney,AU,,,cliniko,,,\nharbourside physiotherapy,Australia/Sydney,AU,,,cliniko,,,\n`,
    );
    expect(r.status).toBe(400);
    expect((r.data as { errors: { line: number; message: string }[] }).errors).toEqual([
      { line: 3, message: expect.stringMatching(/^name: A clinic called "Harbourside Physiotherapy" already exists/) },
    ]);
    expect(await clinicByName("Import Fresh")).toBeUndefined();
  });

  it("imports a clean file in one go: sealed keys, setup_pending, key_missing without a key, probe jobs queued, audited", async () => {
    const key = clinikoKey("import-one", "au2");
    const text = `\ufeff${HEADER}\r\nImport Good One,Australia/Sydney,au,A,a@one.example,Cliniko,,,${key}\r\n"Import, Quoted",Pacific/Auckland,NZ,,,nookal,au,,\r\n`;
    const r = await importCsv("admin", text);
    expect(r.status).toBe(302);
    const one = (await clinicByName("Import Good One"))!;
    const two = (await clinicByName("Import, Quoted"))!;
    const [c1] = await t.db.select().from(connections).where(eq(connections.clinicId, one.id));
    const [c2] = await t.db.select().from(connections).where(eq(connections.clinicId, two.id));
    expect(c1).toMatchObject({ state: "setup_pending", failureCode: null, region: "au2", apiVersion: "v1" });
    expect(c1!.keyCiphertext).not.toBeNull();
    expect(c2).toMatchObject({ state: "setup_pending", failureCode: "key_missing", region: "au", apiVersion: "v3", keyCiphertext: null });
    const jobs = await t.db.execute<{ data: { connectionId: string; reason: string } }>(sql`select data from pgboss.job where name = 'probe'`);
    expect(jobs.map((j) => j.data)).toEqual([{ connectionId: c1!.id, reason: "setup" }]);
    expect((await audits("clinic.created", one.id))[0]?.details).toMatchObject({ via: "csv", line: 2 });
    expect(await audits("clinic.import")).toHaveLength(1);
  });
});

describe("editing and archiving a clinic", () => {
  it("saves changed details with an audit row of what changed, and refuses a taken name", async () => {
    const id = (await clinicByName("Coogee Physio"))!.id;
    const r = await edit("agent", id, {
      intent: "save",
      name: "Coogee Physio & Pilates",
      timeZone: "",
      timeZoneOther: "Australia/Lord_Howe",
      country: "AU",
      adminName: "Jo Lee",
      adminEmail: "jo@coogee.example",
    });
    expect(r.status).toBe(302);
    expect(await clinicByName("Coogee Physio & Pilates")).toMatchObject({ timeZone: "Australia/Lord_Howe" });
    const [audit] = await audits("clinic.updated", id);
    expect(audit!.details).toEqual({
      changes: { name: { from: "Coogee Physio", to: "Coogee Physio & Pilates" }, timeZone: { from: "Australia/Sydney", to: "Australia/Lord_Howe" } },
    });
    const taken = await edit("agent", id, { intent: "save", name: "Camden Sports Clinic", timeZone: "Australia/Sydney", country: "AU" });
    expect(taken.status).toBe(400);
    expect(errorsOf(taken).name![0]).toMatch(/already exists/);
    const bad = await edit("agent", id, { intent: "save", name: "", timeZone: "Nowhere", country: "AU" });
    expect(Object.keys(errorsOf(bad)).sort()).toEqual(["name", "timeZone"]);
  });

  it("archives only after the confirm box, hides the clinic from the table, keeps it readable, and restores it", async () => {
    const id = (await clinicByName("Coogee Physio & Pilates"))!.id;
    const unconfirmed = await edit("agent", id, { intent: "archive", reason: "closed" });
    expect(unconfirmed.status).toBe(400);
    expect(errorsOf(unconfirmed).confirm).toBeDefined();
    expect((await edit("agent", id, { intent: "archive", reason: "closed", confirm: "yes" })).status).toBe(302);
    expect((await clinicByName("Coogee Physio & Pilates"))!.archivedAt).not.toBeNull();
    const listed = await listClinics({ filters: { q: "Coogee Physio" } }, t.db);
    expect(listed.total).toBe(0);
    const archivedPage = await requestAs(services, who.viewer.id, "/clinics/archived");
    const a = await settle(() => archivedLoader({ request: archivedPage, params: {}, context: { services } }));
    expect((a.data as { rows: { id: string }[] }).rows.map((r) => r.id)).toContain(id);
    expect((await edit("agent", id, { intent: "archive", confirm: "yes" })).status).toBe(409);
    expect((await audits("clinic.archived", id))[0]?.details).toMatchObject({ reason: "closed" });
    expect((await edit("agent", id, { intent: "restore" })).status).toBe(302);
    expect((await clinicByName("Coogee Physio & Pilates"))!.archivedAt).toBeNull();
    expect(await audits("clinic.restored", id)).toHaveLength(1);
    const notes = await t.db
      .select({ message: connectionEvents.message })
      .from(connectionEvents)
      .where(and(eq(connectionEvents.clinicId, id), eq(connectionEvents.kind, "note")))
      .orderBy(connectionEvents.id);
    expect(notes.map((n) => n.message).join("\n")).toMatch(/Archived by .*closed[\s\S]*Restored by/);
  });
});

describe("archiving a broken clinic", () => {
  it("closes its open alerts quietly, since it will never be probed again", async () => {
    const broken = DEMO_FLEET.find((d) => d.scenario === "cliniko_key_archived")!;
    const id = (await clinicByName(broken.clinicName))!.id;
    const [conn] = await t.db.select({ id: connections.id }).from(connections).where(eq(connections.clinicId, id));
    const now = new Date();
    await t.db
      .insert(alerts)
      .values({ connectionId: conn!.id, clinicId: id, kind: "connection_needs_action", firstSeenAt: now, lastSeenAt: now, packet: {} as never });
    expect((await edit("agent", id, { intent: "archive", reason: "practice closed", confirm: "yes" })).status).toBe(302);
    const rows = await t.db.select({ status: alerts.status }).from(alerts).where(eq(alerts.clinicId, id));
    expect(rows.map((r) => r.status)).toEqual(["resolved"]);
    expect(
      await t.db
        .select()
        .from(alertNotifications)
        .where(and(eq(alertNotifications.clinicId, id), eq(alertNotifications.event, "recovered"))),
    ).toHaveLength(0);
  });
});
