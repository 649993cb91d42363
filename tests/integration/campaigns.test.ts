import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as campaignAction, loader as campaignLoader } from "../../app/routes/campaigns.$campaignId/route.tsx";
import { action as campaignsAction, loader as campaignsLoader } from "../../app/routes/campaigns._index.tsx";
import { alertNotifications, auditLog, campaignClinics, campaigns, clinics, connectionEvents, connections, reconnectLinks } from "../../db/schema/index.ts";
import { addClinicsToCampaign, todayUtc } from "../../domain/campaigns/campaigns.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  who = await createRoleUsers(services);
  const fleet: [string, Parameters<typeof insertClinic>[1]][] = [
    ["Alpha Physio", { name: "Alpha Physio", state: "healthy", region: "au2" }],
    ["Beta Osteo", { name: "Beta Osteo", state: "healthy", region: "au2" }],
    ["Gamma Rehab", { name: "Gamma Rehab", state: "action_required", failureCode: "auth_rejected", region: "au1" }],
    ["Delta Podiatry", { name: "Delta Podiatry", state: "degraded", failureCode: "vendor_unavailable", region: "uk1" }],
    ["Epsilon Nookal", { name: "Epsilon Nookal", vendor: "nookal", region: "au", apiVersion: "v3", state: "healthy" }],
    ["Zeta Archived", { name: "Zeta Archived", state: "healthy" }],
    ["Eta Twin", { name: "Eta Twin", state: "healthy" }],
    ["Eta twin ", { name: "Eta twin ", state: "healthy" }],
  ];
  for (const [name, input] of fleet) ids[name] = (await insertClinic(t.db, input)).clinicId;
  await t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, ids["Zeta Archived"]!));
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

type Role = "viewer" | "agent" | "admin";
const actor = () => ({ userId: who.agent.id, label: who.agent.email });
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

async function create(role: Role, form: Record<string, string>) {
  const request = await requestAs(services, who[role].id, "/campaigns", { form });
  return settle(() => campaignsAction({ request, params: {}, context: { services } }));
}
/** why `confirmed` on sends: these tests are about sending (console-polish.test.ts tests the confirm step itself). */
async function act(role: Role, campaignId: string, form: Record<string, string> | FormData) {
  const confirmedForm = !(form instanceof FormData) && form.intent === "send-links" && !("confirmed" in form) ? { ...form, confirmed: "100000" } : form;
  const request =
    confirmedForm instanceof FormData
      ? await requestAs(services, who[role].id, `/campaigns/${campaignId}`, { body: confirmedForm })
      : await requestAs(services, who[role].id, `/campaigns/${campaignId}`, { form: confirmedForm });
  return settle(() => campaignAction({ request, params: { campaignId }, context: { services } }));
}
async function page(role: Role, campaignId: string, search = "") {
  const request = await requestAs(services, who[role].id, `/campaigns/${campaignId}${search}`);
  return settle(() => campaignLoader({ request, params: { campaignId }, context: { services } }));
}
async function newCampaign(name: string, over: Record<string, string> = {}) {
  const r = await create("agent", { name, vendor: "cliniko", reason: "Cliniko retires old API keys", deadline: inDays(30), ...over });
  expect(r.status).toBe(302);
  return r.response!.headers.get("Location")!.split("/").pop()!;
}
/** Reconnect-link emails queued for delivery to addresses like `pattern`. */
const linkMails = (pattern: string) =>
  t.db
    .select()
    .from(alertNotifications)
    .where(sql`${alertNotifications.event} = 'reconnect_link' and ${alertNotifications.target} like ${pattern}`);

async function stateOf(name: string) {
  const [row] = await t.db.select({ state: connections.state }).from(connections).where(eq(connections.clinicId, ids[name]!));
  return row!.state;
}
function csvForm(text: string, asFile = false) {
  const fd = new FormData();
  fd.set("intent", "add-csv");
  if (asFile) fd.set("csv", new File([text], "list.csv", { type: "text/csv" }));
  else fd.set("csvText", text);
  return fd;
}
type PageData = {
  counts: Record<string, number>;
  list: { rows: { name: string; status: string; linkError: string | null }[] };
  unsent: { unsent: number; failed: number };
};

describe("campaigns: who may do what", () => {
  it("lets a viewer read but refuses every write with 403", async () => {
    const id = await newCampaign("Viewer check");
    expect((await create("viewer", { name: "x", vendor: "cliniko", reason: "y", deadline: inDays(3) })).status).toBe(403);
    const writes: Record<string, string>[] = [{ intent: "add-filter", state: "healthy" }, { intent: "send-links" }, { intent: "send-links", batch: "1" }];
    for (const form of writes) {
      expect((await act("viewer", id, form)).status).toBe(403);
    }
    expect((await act("viewer", id, csvForm("Alpha Physio"))).status).toBe(403);
    expect((await page("viewer", id)).status).toBe(200);
    const list = await requestAs(services, who.viewer.id, "/campaigns");
    expect((await settle(() => campaignsLoader({ request: list, params: {}, context: { services } }))).status).toBe(200);
  });

  it("answers 404 for an unknown campaign", async () => {
    expect((await page("viewer", "00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await act("agent", "00000000-0000-4000-8000-000000000000", { intent: "send-links" })).status).toBe(404);
  });
});

describe("creating a campaign", () => {
  it("puts errors next to their fields and refuses a past deadline", async () => {
    const r = await create("agent", { name: "", vendor: "other", reason: "", deadline: inDays(-1) });
    expect(r.status).toBe(400);
    expect(Object.keys((r.data as { fieldErrors: object }).fieldErrors).sort()).toEqual(["deadline", "name", "reason", "vendor"]);
  });

  it("creates one with an audit row", async () => {
    const id = await newCampaign("Audited");
    const [row] = await t.db.select().from(campaigns).where(eq(campaigns.id, id));
    expect(row).toMatchObject({ name: "Audited", vendor: "cliniko", deadline: inDays(30), createdBy: who.agent.id });
    const audits = await t.db.select().from(auditLog).where(eq(auditLog.action, "campaign.created"));
    expect(audits.some((a) => (a.details as { campaignId: string }).campaignId === id)).toBe(true);
  });
});

describe("adding clinics", () => {
  it("by ids: healthy and degraded go to pending_disconnect, broken ones keep their state, others are skipped with a reason", async () => {
    const id = await newCampaign("By ids");
    const r = await addClinicsToCampaign(
      {
        campaignId: id,
        clinicIds: [
          ids["Alpha Physio"]!,
          ids["Gamma Rehab"]!,
          ids["Delta Podiatry"]!,
          ids["Epsilon Nookal"]!,
          ids["Zeta Archived"]!,
          "00000000-0000-4000-8000-000000000001",
        ],
        actor: actor(),
      },
      t.db,
    );
    expect(r).toMatchObject({ added: 3, movedToPendingDisconnect: 2, alreadyIn: 0 });
    expect(r.skipped.map((s) => s.reason).sort()).toEqual(["archived", "not_found", "other_vendor"]);
    expect(await stateOf("Alpha Physio")).toBe("pending_disconnect");
    expect(await stateOf("Delta Podiatry")).toBe("pending_disconnect");
    expect(await stateOf("Gamma Rehab")).toBe("action_required");
    const [event] = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.clinicId, ids["Alpha Physio"]!), eq(connectionEvents.toState, "pending_disconnect")));
    expect(event?.message).toContain(`by ${inDays(30)}`);
    const audits = await t.db.select().from(auditLog).where(eq(auditLog.action, "campaign.clinic_added"));
    expect(audits.filter((a) => (a.details as { campaignId: string }).campaignId === id)).toHaveLength(3);
    const again = await addClinicsToCampaign({ campaignId: id, clinicIds: [ids["Alpha Physio"]!], actor: actor() }, t.db);
    expect(again).toMatchObject({ added: 0, alreadyIn: 1 });
  });

  it("by filter: needs at least one filter, and adds only the campaign's vendor", async () => {
    const id = await newCampaign("By filter");
    const none = await act("agent", id, { intent: "add-filter" });
    expect(none.status).toBe(400);
    expect((none.data as { fieldErrors: Record<string, string[]> }).fieldErrors.form?.[0]).toMatch(/at least one filter/);
    const r = await act("agent", id, { intent: "add-filter", region: "au2" });
    expect(r.status).toBe(302);
    const members = await t.db.select({ clinicId: campaignClinics.clinicId }).from(campaignClinics).where(eq(campaignClinics.campaignId, id));
    expect(members.map((m) => m.clinicId).sort()).toEqual([ids["Alpha Physio"]!, ids["Beta Osteo"]!].sort());
  });

  it("from a list: reports every bad line with its number and adds nothing, then adds all once fixed", async () => {
    const id = await newCampaign("From CSV");
    const bad = await act(
      "agent",
      id,
      csvForm(["name", "Beta Osteo", "No Such Clinic", "Epsilon Nookal", "Zeta Archived", "eta twin", "beta osteo", ""].join("\r\n")),
    );
    expect(bad.status).toBe(400);
    const d = bad.data as { csvErrors: { line: number; message: string }[]; csvText: string };
    expect(d.csvErrors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(d.csvErrors[0]!.message).toMatch(/No clinic is called "No Such Clinic"/);
    expect(d.csvErrors[1]!.message).toMatch(/uses Nookal/);
    expect(d.csvErrors[2]!.message).toMatch(/archived/);
    expect(d.csvErrors[3]!.message).toMatch(/2 clinics are called/);
    expect(d.csvErrors[4]!.message).toMatch(/already on line 2/);
    expect(d.csvText).toContain("No Such Clinic");
    expect(await t.db.select().from(campaignClinics).where(eq(campaignClinics.campaignId, id))).toHaveLength(0);
    const good = await act("agent", id, csvForm(`Beta Osteo\n${ids["Gamma Rehab"]}\n`, true));
    expect(good.status).toBe(302);
    expect(await t.db.select().from(campaignClinics).where(eq(campaignClinics.campaignId, id))).toHaveLength(2);
  });
});

describe("sending links and progress", () => {
  it("emails everyone their own link, records link_sent_at, reports clinics without an email, and retries them once fixed", async () => {
    const id = await newCampaign("Send");
    const noEmail = (await insertClinic(t.db, { name: "Theta No Email", state: "healthy" })).clinicId;
    await t.db.update(clinics).set({ adminEmail: null }).where(eq(clinics.id, noEmail));
    await addClinicsToCampaign({ campaignId: id, clinicIds: [ids["Beta Osteo"]!, ids["Gamma Rehab"]!, noEmail], actor: actor() }, t.db);

    const first = await act("agent", id, { intent: "send-links", batch: "1" });
    expect(first.status).toBe(200);
    const send = (first.data as { send: { sent: number; failed: { message: string }[]; remaining: number; failedTotal: number } }).send;
    expect(send).toMatchObject({ sent: 2, remaining: 0, failedTotal: 1 });
    expect(send.failed[0]!.message).toMatch(/No admin email/);
    const mails = [...(await linkMails("admin@betaosteo%")), ...(await linkMails("admin@gammarehab%"))];
    expect(mails).toHaveLength(2);
    expect(mails.every((m) => m.status === "queued" && m.jobId !== null)).toBe(true);
    const text = (mails[0]!.content as { text: string }).text;
    // why: the stored copy carries the link redacted; only the email the worker sends has the token
    expect(text).toMatch(/\/reconnect\/…[A-Za-z0-9_-]{4}\n/);
    expect(text).not.toMatch(/\/reconnect\/[A-Za-z0-9_-]{43}/);
    expect(text).toContain(`Please reconnect by ${inDays(30)}`);
    // why: a planned migration keeps its deadline state while the old key still works
    expect(await stateOf("Beta Osteo")).toBe("pending_disconnect");
    const rows = await t.db.select().from(campaignClinics).where(eq(campaignClinics.campaignId, id));
    expect(rows.filter((r) => r.linkSentAt).length).toBe(2);

    // a second press sends nothing twice
    const second = await act("agent", id, { intent: "send-links" });
    expect(second.status).toBe(302);
    expect(await linkMails("admin@betaosteo%")).toHaveLength(1);

    await t.db.update(clinics).set({ adminEmail: "theta@clinic.example" }).where(eq(clinics.id, noEmail));
    const retry = await act("agent", id, { intent: "send-links", batch: "1", retryFailed: "1" });
    expect((retry.data as { send: { sent: number; failedTotal: number } }).send).toMatchObject({ sent: 1, failedTotal: 0 });
    expect((await t.db.select().from(auditLog).where(eq(auditLog.action, "campaign.links_sent"))).length).toBeGreaterThanOrEqual(2);
  });

  it("one clinic's failure part-way loses nobody: every clinic marked sent has its link and its email (issue 10, reliability 5)", async () => {
    const id = await newCampaign("Lose nobody");
    const names = ["LN One", "LN Two", "LN Three", "LN Four"];
    const members: string[] = [];
    for (const name of names)
      members.push((await insertClinic(t.db, { name, state: "healthy", adminEmail: `admin@${name.replace(/ /g, "").toLowerCase()}.example` })).clinicId);
    await addClinicsToCampaign({ campaignId: id, clinicIds: members, actor: actor() }, t.db);
    // why: a real database fault for one clinic (not a mock): its link insert fails
    const broken = members[2]!;
    await t.sql.unsafe(`create function fail_one_link() returns trigger language plpgsql as $$ begin
      if new.clinic_id = '${broken}' then raise exception 'injected failure'; end if; return new; end $$`);
    await t.sql.unsafe("create trigger fail_one_link before insert on reconnect_links for each row execute function fail_one_link()");
    try {
      const r = await act("agent", id, { intent: "send-links", batch: "1" }).catch((err: unknown) => err);
      expect(r).toBeInstanceOf(Error);
    } finally {
      await t.sql.unsafe("drop trigger fail_one_link on reconnect_links; drop function fail_one_link()");
    }
    const rows = await t.db.select().from(campaignClinics).where(eq(campaignClinics.campaignId, id));
    for (const row of rows) {
      if (!row.linkSentAt) continue;
      const links = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, row.clinicId));
      expect(links.length, `clinic ${row.clinicId} is marked sent`).toBeGreaterThan(0);
      expect(
        await t.db
          .select()
          .from(alertNotifications)
          .where(and(eq(alertNotifications.clinicId, row.clinicId), eq(alertNotifications.event, "reconnect_link"))),
      ).toHaveLength(1);
    }
    expect(rows.find((r) => r.clinicId === broken)!.linkSentAt).toBeNull();
    // the rest still go out on the next press
    const again = await act("agent", id, { intent: "send-links", batch: "1" });
    expect((again.data as { send: { remaining: number } }).send.remaining).toBe(0);
    const after = await t.db.select().from(campaignClinics).where(eq(campaignClinics.campaignId, id));
    expect(after.every((r) => r.linkSentAt !== null)).toBe(true);
  });

  it("derives reconnected / waiting / failing / past deadline from the connections", async () => {
    const id = await newCampaign("Progress", { deadline: todayUtc() });
    const a = (await insertClinic(t.db, { name: "P Reconnects", state: "healthy" })).clinicId;
    const b = (await insertClinic(t.db, { name: "P Waits", state: "healthy" })).clinicId;
    const c = (await insertClinic(t.db, { name: "P Fails", state: "action_required", failureCode: "auth_rejected" })).clinicId;
    await addClinicsToCampaign({ campaignId: id, clinicIds: [a, b, c], actor: actor() }, t.db);
    const later = new Date(Date.now() + 1000);
    await t.db.update(connections).set({ state: "healthy", keyUpdatedAt: later, stateChangedAt: later }).where(eq(connections.clinicId, a));
    // why: after a link is sent, a probe of the still-working old key makes it healthy again; nothing was migrated
    await t.db.update(connections).set({ state: "healthy", stateChangedAt: later }).where(eq(connections.clinicId, b));
    let d = (await page("viewer", id)).data as PageData;
    expect(d.counts).toMatchObject({ total: 3, reconnected: 1, waiting: 1, failing: 1, past_deadline: 0 });
    // a broken clinic fixed without a new key is still on the key being retired
    await t.db.update(connections).set({ state: "healthy", stateChangedAt: later }).where(eq(connections.clinicId, c));
    expect(((await page("viewer", id)).data as PageData).counts).toMatchObject({ reconnected: 1, waiting: 2 });
    await t.db.update(connections).set({ state: "action_required", stateChangedAt: later }).where(eq(connections.clinicId, c));
    expect(d.list.rows[0]!.name).toBe("P Fails");

    await t.db
      .update(campaigns)
      .set({ deadline: inDays(-1) })
      .where(eq(campaigns.id, id));
    d = (await page("viewer", id)).data as PageData;
    expect(d.counts).toMatchObject({ reconnected: 1, past_deadline: 2, waiting: 0, failing: 0 });
    const only = (await page("viewer", id, "?status=reconnected")).data as PageData;
    expect(only.list.rows.map((r) => r.name)).toEqual(["P Reconnects"]);
  });
});
