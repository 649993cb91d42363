import { and, eq, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as alertsAction, loader as alertsLoader } from "../../app/routes/alerts.tsx";
import { action as clinicAction, loader as clinicLoader } from "../../app/routes/clinics.$clinicId/route.tsx";
import { loader as clinicsLoader } from "../../app/routes/clinics._index/route.tsx";
import { loader as dashboardLoader } from "../../app/routes/dashboard.tsx";
import { countBrokenNow } from "../../db/queries/broken-now.ts";
import { listClinics, type ClinicListFilters, type ClinicSort } from "../../db/queries/clinics.ts";
import { alertNotifications, alerts, clinics, connections } from "../../db/schema/index.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { AddClinicSchema, addClinicByHand } from "../../domain/clinics/add-clinic.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import type { ConnectionState, FailureCode } from "../../domain/vocabulary.ts";
import { insertClinic } from "../support/fleet.ts";
import { requestAs, settle, startDemoConsole, startRoleConsole, type TestServices } from "../support/services.ts";

const HOUR = 3_600_000;
const args = (services: TestServices, request: Request, params: Record<string, string> = {}) => ({ request, params, context: { services } });

describe("one definition of 'broken now', shared by every count (issue 11)", () => {
  let fx: Awaited<ReturnType<typeof startRoleConsole>>;
  const broken = new Set<string>();
  const band: Record<"today" | "yesterday" | "week", Set<string>> = { today: new Set(), yesterday: new Set(), week: new Set() };

  beforeAll(async () => {
    fx = await startRoleConsole();
    const now = Date.now();
    const make = async (name: string, state: ConnectionState, failureCode: FailureCode | null, failingForHours: number | null, archived = false) => {
      const { clinicId } = await insertClinic(fx.t.db, {
        name,
        state,
        failureCode,
        firstFailureAt: failingForHours === null ? null : new Date(now - failingForHours * HOUR),
        consecutiveFailures: failingForHours === null ? 0 : 3,
      });
      if (archived) await fx.t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, clinicId));
      return clinicId;
    };
    // broken now: the last probe failed, whatever the workflow state
    const cases: [string, ConnectionState, FailureCode | null, number | null][] = [
      ["Key Rejected Physio", "action_required", "auth_rejected", 2],
      ["Outage Osteo", "degraded", "vendor_unavailable", 30],
      ["Link Sent Podiatry", "reconnect_pending", "auth_rejected", 72],
      ["Deadline Rehab", "pending_disconnect", "auth_rejected", 24 * 10],
      ["Never Connected Clinic", "setup_pending", "key_malformed", 5],
    ];
    for (const [name, state, code, hours] of cases) {
      const id = await make(name, state, code, hours);
      broken.add(id);
      if (hours! < 24) band.today.add(id);
      if (hours! < 48) band.yesterday.add(id);
      if (hours! >= 24 * 7) band.week.add(id);
    }
    // not broken now: healthy, a deliberate pause (even with a failure on record), an archived clinic
    await make("Healthy Hands", "healthy", null, null);
    await make("Paused On Purpose", "paused", "integration_paused", 50);
    await make("Archived But Failing", "action_required", "auth_rejected", 3, true);
    // enough healthy clinics that views have several pages
    for (let i = 0; i < 55; i++) await make(`Filler Clinic ${String(i).padStart(2, "0")}`, "healthy", null, null);
    // why: many broken clinics so the broken view itself has two pages
    for (let i = 0; i < 52; i++) {
      const id = await make(`Broken Batch ${String(i).padStart(2, "0")}`, "action_required", "permission_denied", 26 + i);
      broken.add(id);
      if (26 + i < 48) band.yesterday.add(id);
    }
  });
  afterAll(async () => {
    await fx?.stop();
  });

  async function allIds(filters: ClinicListFilters, sort: ClinicSort, desc = false): Promise<string[]> {
    const out: string[] = [];
    for (let page = 1; ; page++) {
      const { rows } = await listClinics({ filters, sort, desc, page, pageSize: 20 }, fx.t.db);
      out.push(...rows.map((r) => r.id));
      if (rows.length < 20) return out;
    }
  }
  const loaderData = async (loader: typeof dashboardLoader | typeof clinicsLoader | typeof alertsLoader, path: string) => {
    const r = await settle(async () => loader(args(fx.services, await requestAs(fx.services, fx.who.viewer.id, path))));
    expect(r.status).toBe(200);
    return r.data as Record<string, unknown>;
  };

  it("the dashboard headline, the table's filter (every sort, both query paths) and the alert inbox agree", async () => {
    const counted = await countBrokenNow(fx.t.db);
    expect(counted.total).toBe(broken.size);
    const dash = (await loaderData(dashboardLoader, "/dashboard")) as { broken: { total: number } };
    const table = (await loaderData(clinicsLoader, "/clinics?broken=now")) as { total: number };
    const inbox = (await loaderData(alertsLoader, "/alerts")) as { broken: number };
    expect([dash.broken.total, table.total, inbox.broken]).toEqual([broken.size, broken.size, broken.size]);
    // the index-served paging (sorts) and the general query (free text) list exactly the same clinics
    for (const sort of ["failingSince", "name", "state", "alerts"] as const)
      expect(new Set(await allIds({ brokenNow: true }, sort, sort === "failingSince"))).toEqual(broken);
    const byText = await allIds({ brokenNow: true, q: "o" }, "name");
    expect(byText.every((id) => broken.has(id))).toBe(true);
  });

  it("archiving takes a clinic out of every broken-now count and restoring brings it back, whatever writes archived_at", async () => {
    const before = (await countBrokenNow(fx.t.db)).total;
    const { clinicId } = await insertClinic(fx.t.db, {
      name: "Archive Me Physio",
      state: "action_required",
      failureCode: "auth_rejected",
      firstFailureAt: new Date(),
      consecutiveFailures: 2,
    });
    expect((await countBrokenNow(fx.t.db)).total).toBe(before + 1);
    await fx.t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, clinicId));
    expect((await countBrokenNow(fx.t.db)).total).toBe(before);
    expect(await allIds({ brokenNow: true }, "failingSince")).not.toContain(clinicId);
    // a direct write of the copied flag cannot make it drift from the clinic
    await fx.t.db.update(connections).set({ clinicArchived: false }).where(eq(connections.clinicId, clinicId));
    expect((await countBrokenNow(fx.t.db)).total).toBe(before);
    await fx.t.db.update(clinics).set({ archivedAt: null }).where(eq(clinics.id, clinicId));
    expect((await countBrokenNow(fx.t.db)).total).toBe(before + 1);
    await fx.t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, clinicId));
  });

  it("'failing since' bands filter with the same edges as their counts, and imply broken now", async () => {
    const counted = await countBrokenNow(fx.t.db);
    for (const b of ["today", "yesterday", "week"] as const) {
      const ids = new Set(await allIds({ failingSince: b }, "failingSince"));
      expect(ids, b).toEqual(band[b]);
      expect(counted[b], b).toBe(band[b].size);
      const table = (await loaderData(clinicsLoader, `/clinics?since=${b}&sort=name`)) as { total: number };
      expect(table.total).toBe(band[b].size);
    }
  });

  it("the pager shows the range and clamps a page past the end to the last page", async () => {
    const first = (await loaderData(clinicsLoader, "/clinics?broken=now")) as { total: number; page: number; rows: unknown[] };
    expect(first.page).toBe(1);
    expect(first.rows).toHaveLength(50);
    const far = (await loaderData(clinicsLoader, "/clinics?broken=now&page=999")) as { total: number; page: number; rows: { id: string }[] };
    const last = Math.ceil(broken.size / 50);
    expect(far.page).toBe(last);
    expect(far.rows.length).toBe(broken.size - (last - 1) * 50);
    expect(far.total).toBe(broken.size);
    const everything = (await loaderData(clinicsLoader, "/clinics?page=999&sort=name")) as { page: number; rows: unknown[]; total: number };
    expect(everything.rows.length).toBeGreaterThan(0);
    expect(everything.page).toBe(Math.ceil(everything.total / 50));
  });
});

describe("alerts: bulk acknowledge, who acknowledged; timeline names; apply region resolves (issue 11)", () => {
  let fixture: Awaited<ReturnType<typeof startDemoConsole>>;
  let services: TestServices;
  beforeAll(async () => {
    fixture = await startDemoConsole();
    services = fixture.services;
  });
  afterAll(async () => {
    await fixture?.stop();
  });
  const actor = () => ({ userId: fixture.who.agent.id, label: fixture.who.agent.email });
  const live = () => ({
    db: services.db,
    keyring: services.keyring,
    vendors: services.vendors,
    vendorSettings: services.vendor,
    alerts: services.alerts,
    probes: services.queues.probe,
  });
  const connectionOf = async (id: string) => (await services.db.select().from(connections).where(eq(connections.clinicId, id)))[0]!;
  const openAlerts = async (id: string) =>
    services.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.clinicId, id), ne(alerts.status, "resolved")));
  const clinicAct = async (id: string, form: Record<string, string>) =>
    settle(async () => clinicAction(args(services, await requestAs(services, fixture.who.agent.id, `/clinics/${id}`, { form }), { clinicId: id })));

  it.each(["Leeds Movement Studio", "Auckland Kinetics"])(
    "apply suggested region resolves the open alert and the key hint follows the region (%s)",
    async (name) => {
      const id = await fixture.clinicIdOf(name);
      await probeNow({ clinicId: id, connectionId: (await connectionOf(id)).id, actor: actor() }, live());
      const wrong = await connectionOf(id);
      expect(wrong).toMatchObject({ state: "action_required", failureCode: "wrong_region" });
      expect((await openAlerts(id)).map((a) => a.kind)).toEqual(["connection_needs_action"]);
      expect((await clinicAct(id, { intent: "apply-region" })).status).toBe(302);
      const fixed = await connectionOf(id);
      expect(fixed).toMatchObject({ state: "healthy", region: wrong.suggestedRegion });
      expect(await openAlerts(id)).toEqual([]);
      expect(fixed.keyHint).toMatch(new RegExp(`\\((${wrong.suggestedRegion}|${wrong.suggestedRegion!.toUpperCase()})\\)$`));
    },
  );

  it("a vendor-side move of a healthy clinic (wrong region after a healthy history) recovers with apply region", async () => {
    const control = (path: string, body: unknown) =>
      fetch(`${fixture.sim.url}/_control${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<{ id: string; keys: { key: string }[] }>,
      );
    const account = await control("/cliniko/accounts", { shard: "au1", businessName: "Moved Shard Physio", patients: 40, keyWithSuffix: false });
    const added = await addClinicByHand(
      {
        input: AddClinicSchema.parse({
          name: "Moved Shard Physio",
          timeZone: "Europe/London",
          country: "GB",
          adminName: "Mo",
          adminEmail: "mo@moved.example",
          vendor: "cliniko",
          key: account.keys[0]!.key,
        }),
        actor: actor(),
      },
      { db: services.db, keyring: services.keyring, vendors: services.vendors },
    );
    if (!added.ok) throw new Error(`not added: ${added.verdict.title}`);
    const id = added.clinicId;
    await control(`/accounts/${account.id}/move`, { shard: "uk2" });
    for (let i = 0; i < 3 && (await connectionOf(id)).state !== "action_required"; i++)
      await probeNow({ clinicId: id, connectionId: (await connectionOf(id)).id, actor: actor() }, live());
    const wrong = await connectionOf(id);
    expect(wrong).toMatchObject({ state: "action_required", failureCode: "wrong_region", suggestedRegion: "uk2" });
    expect((await clinicAct(id, { intent: "apply-region" })).status).toBe(302);
    const fixed = await connectionOf(id);
    expect(fixed).toMatchObject({ state: "healthy", region: "uk2" });
    expect(await openAlerts(id)).toEqual([]);
  });

  it("resume is a recovery path too: alerts opened before the pause close when the resumed key works", async () => {
    const id = await fixture.clinicIdOf("Hobart Hand Therapy");
    const key = DEMO_FLEET.find((d) => d.clinicName === "Hobart Hand Therapy")!.key;
    await probeNow({ clinicId: id, connectionId: (await connectionOf(id)).id, actor: actor() }, live());
    expect((await openAlerts(id)).map((a) => a.kind)).toEqual(["connection_needs_action"]);
    expect((await clinicAct(id, { intent: "pause" })).status).toBe(302);
    // the clinic re-enables its key while support has the connection paused
    await fetch(`${fixture.sim.url}/_control/nookal/keys/enable`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key }),
    });
    expect((await clinicAct(id, { intent: "resume" })).status).toBe(302);
    expect((await connectionOf(id)).state).toBe("healthy");
    expect(await openAlerts(id)).toEqual([]);
    const told = await services.db
      .select()
      .from(alertNotifications)
      .where(and(eq(alertNotifications.clinicId, id), eq(alertNotifications.event, "recovered")));
    expect(told.length).toBeGreaterThan(0);
  });

  it("bulk acknowledge records who and when; the inbox shows the name", async () => {
    const ids: string[] = [];
    for (const name of ["Bondi Beach Podiatry", "Fremantle Allied Health"]) {
      const id = await fixture.clinicIdOf(name);
      await probeNow({ clinicId: id, connectionId: (await connectionOf(id)).id, actor: actor() }, live());
      ids.push(...(await openAlerts(id)).map((a) => a.id));
    }
    expect(ids).toHaveLength(2);
    const none = await settle(async () =>
      alertsAction(args(services, await requestAs(services, fixture.who.agent.id, "/alerts", { form: { intent: "acknowledge-many" } }))),
    );
    expect(none.status).toBe(400);
    const viewer = await settle(async () =>
      alertsAction(args(services, await requestAs(services, fixture.who.viewer.id, "/alerts", { form: { intent: "acknowledge-many", alertId: ids } }))),
    );
    expect(viewer.status).toBe(403);
    const done = await settle(async () =>
      alertsAction(args(services, await requestAs(services, fixture.who.agent.id, "/alerts", { form: { intent: "acknowledge-many", alertId: ids } }))),
    );
    expect(done.status).toBe(302);
    const rows = await services.db.select().from(alerts).where(ne(alerts.status, "resolved"));
    const acked = rows.filter((a) => ids.includes(a.id));
    expect(acked.map((a) => [a.status, a.acknowledgedBy])).toEqual(ids.map(() => ["acknowledged", fixture.who.agent.id]));
    const inbox = await settle(async () => alertsLoader(args(services, await requestAs(services, fixture.who.viewer.id, "/alerts?status=acknowledged"))));
    const listed = (inbox.data as { rows: { id: string; acknowledgedByName: string | null; acknowledgedAt: Date | null }[] }).rows.filter((r) =>
      ids.includes(r.id),
    );
    expect(listed.map((r) => r.acknowledgedByName)).toEqual(["Test agent", "Test agent"]);
    expect(listed.every((r) => r.acknowledgedAt !== null)).toBe(true);
  });

  it("the timeline names people, not user:<uuid>", async () => {
    const id = await fixture.clinicIdOf("Camden Sports Clinic");
    expect((await clinicAct(id, { intent: "note", note: "Rang the clinic" })).status).toBe(302);
    const page = await settle(async () => clinicLoader(args(services, await requestAs(services, fixture.who.viewer.id, `/clinics/${id}`), { clinicId: id })));
    const rows = (page.data as { timeline: { rows: { kind: string; actor: string }[] } }).timeline.rows;
    expect(rows.find((r) => r.kind === "note")?.actor).toBe("Test agent");
    expect(rows.some((r) => r.actor.startsWith("user:"))).toBe(false);
  });
});
