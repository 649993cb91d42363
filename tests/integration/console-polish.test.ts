import { and, eq, inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as bulkAction } from "../../app/routes/bulk._index.tsx";
import { action as usersAction } from "../../app/routes/users.tsx";
import { action as campaignAction, loader as campaignLoader } from "../../app/routes/campaigns.$campaignId/route.tsx";
import { getBulkProgress, listCampaignChoices } from "../../db/queries/bulk-operations.ts";
import { listProbeTicks, PROBE_HISTORY_KEEP, recordProbeTick } from "../../db/queries/probe-history.ts";
import { auditLog, bulkOperations, clinics, connectionEvents, connections, users } from "../../db/schema/index.ts";
import { addClinicsToCampaign, createCampaign } from "../../domain/campaigns/campaigns.ts";
import { removeClinicFromCampaign } from "../../domain/campaigns/withdraw.ts";
import { insertClinic } from "../support/fleet.ts";
import { requestAs, settle, startRoleConsole } from "../support/services.ts";

/** Issue 11: confirm steps enforced on the server, "all N matching" resolved from the filter, campaign remove and cancel, probe ticks. */

let fx: Awaited<ReturnType<typeof startRoleConsole>>;
const agent = () => ({ userId: fx.who.agent.id, label: fx.who.agent.email });
const PREFIX = "Polish Fixture";
const own: string[] = [];
let other: string;

beforeAll(async () => {
  fx = await startRoleConsole();
  for (let i = 1; i <= 6; i++) own.push((await insertClinic(fx.t.db, { name: `${PREFIX} ${i}`, state: "healthy" })).clinicId);
  // a clinic outside the filter: posting its id with scope=matching must not pull it in
  other = (await insertClinic(fx.t.db, { name: "Somewhere Else Physio", state: "healthy" })).clinicId;
});
afterAll(async () => {
  await fx?.stop();
});

async function bulk(form: Record<string, string | string[]>) {
  const request = await requestAs(fx.services, fx.who.agent.id, "/bulk?index", { form: { returnTo: "/clinics", ...form } });
  return settle(() => bulkAction({ request, params: {}, context: { services: fx.services } }));
}
async function campaign(campaignId: string, form: Record<string, string>) {
  const request = await requestAs(fx.services, fx.who.agent.id, `/campaigns/${campaignId}`, { form });
  return settle(() => campaignAction({ request, params: { campaignId }, context: { services: fx.services } }));
}
type Confirm = { ok: true; confirm: { question: string; count: number; fields: [string, string][] } };
const operationCount = async () => (await fx.t.db.select({ id: bulkOperations.id }).from(bulkOperations)).length;
const stateOf = async (clinicId: string) =>
  (await fx.t.db.select({ state: connections.state }).from(connections).where(eq(connections.clinicId, clinicId)))[0]!.state;

describe("the confirm step before a mass action", () => {
  it("answers an unconfirmed bulk link send with the count and starts nothing", async () => {
    const before = await operationCount();
    const r = await bulk({ intent: "reconnect_link", clinicId: own.slice(0, 3) });
    expect(r.status).toBe(200);
    const d = r.data as Confirm;
    expect(d.confirm.count).toBe(3);
    expect(d.confirm.question).toBe("Email reconnect links to 3 clinic admins?");
    // the step repeats the request, so confirming posts the same selection
    expect(d.confirm.fields.filter(([k]) => k === "clinicId").map(([, v]) => v)).toEqual(own.slice(0, 3));
    expect(await operationCount()).toBe(before);
  });

  it("asks again when confirmed for fewer clinics than would now be touched, and starts once confirmed", async () => {
    const before = await operationCount();
    const low = await bulk({ intent: "pause", clinicId: own.slice(0, 3), confirmed: "2" });
    expect((low.data as Confirm).confirm.count).toBe(3);
    expect(await operationCount()).toBe(before);
    const ok = await bulk({ intent: "pause", clinicId: own.slice(0, 3), confirmed: "3" });
    expect(ok.status).toBe(302);
    expect(await operationCount()).toBe(before + 1);
  });

  it("lets a harmless re-probe of a hand-picked selection start without a step", async () => {
    expect((await bulk({ intent: "probe", clinicId: [own[5]!] })).status).toBe(302);
  });
});

describe("select all N matching", () => {
  it("resolves the filter on the server: every matching clinic, no posted id, and confirmed as a whole", async () => {
    const form = { intent: "probe", scope: ["page", "matching"], matchQuery: `q=${encodeURIComponent(PREFIX)}`, clinicId: [other], pageClinicId: [other] };
    const asked = await bulk(form);
    const d = asked.data as Confirm;
    // even a re-probe over a whole filter is confirmed; the count is the filter's, paused ones left out
    expect(d.confirm.question).toMatch(/^Re-probe \d+ clinics\?$/);
    expect(d.confirm.fields).toContainEqual(["scope", "matching"]);
    expect(d.confirm.fields.some(([k]) => k === "clinicId")).toBe(false);
    const started = await bulk({ ...form, confirmed: String(d.confirm.count) });
    expect(started.status).toBe(302);
    const opId = /\/bulk\/([0-9a-f-]{36})$/.exec(started.response!.headers.get("Location")!)![1]!;
    const progress = await getBulkProgress({ operationId: opId }, fx.t.db);
    const ids = progress!.items.map((i) => i.clinicId).sort();
    expect(ids).toEqual([...own].sort());
    expect(ids).not.toContain(other);
    const [audit] = await fx.t.db.select({ details: auditLog.details }).from(auditLog).where(eq(auditLog.action, "bulk.probe"));
    expect(audit).toBeDefined();
  });

  it("means exactly what the table showed: broken now, failing since and sync failing narrow it too", async () => {
    const broken = (
      await insertClinic(fx.t.db, {
        name: `${PREFIX} Broken`,
        state: "action_required",
        failureCode: "auth_rejected",
        firstFailureAt: new Date(),
        consecutiveFailures: 2,
      })
    ).clinicId;
    const syncFailing = (await insertClinic(fx.t.db, { name: `${PREFIX} Sync Failing`, state: "healthy" })).clinicId;
    await fx.t.db.update(connections).set({ syncState: "failed" }).where(eq(connections.clinicId, syncFailing));
    const count = async (matchQuery: string) => ((await bulk({ intent: "probe", scope: "matching", matchQuery })).data as Confirm).confirm.count;
    // why: a filter left out of "matching" would act on the whole fleet behind a "select all 1 matching" button
    expect(await count(`q=${encodeURIComponent(PREFIX)}&broken=now`)).toBe(1);
    expect(await count(`q=${encodeURIComponent(PREFIX)}&since=today`)).toBe(1);
    expect(await count(`q=${encodeURIComponent(PREFIX)}&sync=failing`)).toBe(1);
    await fx.t.db
      .update(clinics)
      .set({ archivedAt: new Date() })
      .where(inArray(clinics.id, [broken, syncFailing]));
  });

  it("refuses a filter that matches nothing", async () => {
    const r = await bulk({ intent: "probe", scope: "matching", matchQuery: "q=No%20such%20clinic%20anywhere" });
    expect(r.status).toBe(400);
    expect((r.data as { fieldErrors: Record<string, string[]> }).fieldErrors.clinicId?.[0]).toMatch(/No clinic matches/);
  });
});

describe("taking a campaign back", () => {
  let campaignId: string;
  beforeAll(async () => {
    // resume the ones paused above, straight in the table: this block is about campaigns
    await fx.t.db.update(connections).set({ state: "healthy" }).where(inArray(connections.clinicId, own));
    ({ campaignId } = await createCampaign(
      { input: { name: "Shard retirement", vendor: "cliniko", reason: "Cliniko retires this shard", deadline: "2099-01-31" }, actor: agent() },
      fx.t.db,
    ));
    const added = await addClinicsToCampaign({ campaignId, clinicIds: own, actor: agent() }, fx.t.db);
    expect(added.movedToPendingDisconnect).toBe(own.length);
  });

  it("removes one clinic: back to healthy, on its timeline and in the audit log", async () => {
    const r = await campaign(campaignId, { intent: "remove-clinic", clinicId: own[0]! });
    expect(r.status).toBe(302);
    expect(await stateOf(own[0]!)).toBe("healthy");
    const events = await fx.t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.clinicId, own[0]!), like(connectionEvents.message, "Removed from the campaign%")));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ fromState: "pending_disconnect", toState: "healthy", kind: "state_changed" });
    expect(
      await fx.t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "campaign.clinic_removed"), eq(auditLog.clinicId, own[0]!))),
    ).toHaveLength(1);
    // a second removal of the same clinic is refused next to the field
    await expect(removeClinicFromCampaign({ campaignId, clinicId: own[0]!, actor: agent() }, fx.t.db)).rejects.toThrow(/not in this campaign/);
  });

  it("keeps a clinic in pending disconnect while another live campaign holds it", async () => {
    const { campaignId: second } = await createCampaign(
      { input: { name: "Second move", vendor: "cliniko", reason: "Another move", deadline: "2099-02-28" }, actor: agent() },
      fx.t.db,
    );
    await addClinicsToCampaign({ campaignId: second, clinicIds: [own[1]!], actor: agent() }, fx.t.db);
    const r = await removeClinicFromCampaign({ campaignId, clinicId: own[1]!, actor: agent() }, fx.t.db);
    expect(r.movedToHealthy).toBe(false);
    expect(await stateOf(own[1]!)).toBe("pending_disconnect");
  });

  it("cancels only after the confirm step, releases every clinic, and refuses sends and additions afterwards", async () => {
    const asked = await campaign(campaignId, { intent: "cancel", reason: "Cliniko postponed it" });
    const d = asked.data as Confirm;
    expect(d.confirm.count).toBe(own.length - 2);
    expect(d.confirm.question).toBe(`Cancel "Shard retirement" for ${own.length - 2} clinics?`);
    expect(await stateOf(own[2]!)).toBe("pending_disconnect");

    const done = await campaign(campaignId, { intent: "cancel", reason: "Cliniko postponed it", confirmed: String(d.confirm.count) });
    expect(done.status).toBe(302);
    for (const id of own.slice(2)) expect(await stateOf(id)).toBe("healthy");
    const [audit] = await fx.t.db.select({ details: auditLog.details }).from(auditLog).where(eq(auditLog.action, "campaign.cancelled"));
    expect(audit!.details).toMatchObject({ campaignId, reason: "Cliniko postponed it", members: own.length - 2, movedToHealthy: own.length - 2 });
    expect(await fx.t.db.select().from(auditLog).where(eq(auditLog.action, "campaign.clinic_released"))).toHaveLength(own.length - 2);

    // the page says so; nothing more can happen through it
    const request = await requestAs(fx.services, fx.who.agent.id, `/campaigns/${campaignId}`);
    const page = (await settle(() => campaignLoader({ request, params: { campaignId }, context: { services: fx.services } }))).data as {
      campaign: { cancelledAt: unknown; cancelReason: string };
    };
    expect(page.campaign.cancelledAt).not.toBeNull();
    expect(page.campaign.cancelReason).toBe("Cliniko postponed it");
    expect((await campaign(campaignId, { intent: "send-links", confirmed: "100" })).status).toBe(409);
    expect((await campaign(campaignId, { intent: "cancel", confirmed: "100" })).status).toBe(409);
    expect((await listCampaignChoices(fx.t.db)).map((c) => c.id)).not.toContain(campaignId);
    const add = await bulk({ intent: "campaign", campaignId, clinicId: [own[0]!], confirmed: "1" });
    expect(add.status).toBe(409);
  });
});

describe("probe ticks for the clinic page's strip", () => {
  it("keeps the newest PROBE_HISTORY_KEEP per connection and reads them oldest first", async () => {
    const { clinicId, connectionId } = await insertClinic(fx.t.db, { name: "Tick Tock Physio", state: "healthy" });
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < PROBE_HISTORY_KEEP + 5; i++)
      await recordProbeTick(
        {
          connectionId,
          at: new Date(start + i * 60_000),
          ok: i % 7 !== 0,
          failureCode: i % 7 === 0 ? "network" : null,
          state: "healthy",
          httpStatus: null,
          ms: 12,
        },
        fx.t.db,
      );
    const ticks = await listProbeTicks({ clinicId }, fx.t.db);
    expect(ticks).toHaveLength(PROBE_HISTORY_KEEP);
    expect(ticks[0]!.at.getTime()).toBe(start + 5 * 60_000);
    expect(ticks.at(-1)!.at.getTime()).toBe(start + (PROBE_HISTORY_KEEP + 4) * 60_000);
    expect(ticks.filter((t) => !t.ok).every((t) => t.failureCode === "network")).toBe(true);
  });
});

describe("disabling a user", () => {
  it("asks first, and disables only once confirmed", async () => {
    const post = async (form: Record<string, string>) => {
      const request = await requestAs(fx.services, fx.who.admin.id, "/users", { form });
      return settle(() => usersAction({ request, params: {}, context: { services: fx.services } }));
    };
    const asked = await post({ intent: "disable", userId: fx.who.viewer.id });
    expect((asked.data as Confirm).confirm.question).toBe(`Disable Test viewer (${fx.who.viewer.email})?`);
    const [still] = await fx.t.db.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, fx.who.viewer.id));
    expect(still!.disabledAt).toBeNull();
    expect((await post({ intent: "disable", userId: fx.who.viewer.id, confirmed: "1" })).status).toBe(302);
    const [after] = await fx.t.db.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, fx.who.viewer.id));
    expect(after!.disabledAt).not.toBeNull();
  });
});
