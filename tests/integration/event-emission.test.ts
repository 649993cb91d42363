import { randomUUID } from "node:crypto";
import { and, eq, ne, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionEvents, events } from "../../db/schema/index.ts";
import { deliverBriefing } from "../../domain/briefings/deliver.ts";
import { briefingDueAt } from "../../domain/briefings/schedule.ts";
import { archiveClinic } from "../../domain/clinics/clinic-details.ts";
import { pauseConnection, resumeConnection } from "../../domain/clinics/console-actions.ts";
import { EventEnvelopeSchema, eventEnvelope, type EventEnvelope } from "../../domain/events/catalog.ts";
import { probeConnection } from "../../domain/health/probe.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { seedBriefingWeek } from "../support/briefing-seams.ts";
import { briefingClinic, briefingDeps } from "../support/briefing-world.ts";
import { createRoleUsers } from "../support/services.ts";
import { clinikoClinic, startSyncWorld, type SyncWorld } from "./sync-fixtures.ts";

/**
 * Every event type through the code path that causes it (docs/events.md): exactly one event per
 * cause, in the cause's transaction, with a payload that validates and carries no secret.
 */

let w: SyncWorld;
let agent: { userId: string; label: string };
beforeAll(async () => {
  w = await startSyncWorld();
  const users = await createRoleUsers(w.services);
  agent = { userId: users.agent.id, label: users.agent.email };
});
afterAll(async () => {
  await w?.close();
});

/** The connection's events in stream order, each validated as the envelope consumers receive. */
async function eventsOf(connectionId: string): Promise<EventEnvelope[]> {
  const rows = await w.t.db.select().from(events).where(eq(events.connectionId, connectionId)).orderBy(events.txid, events.seq);
  return rows.map((r) => EventEnvelopeSchema.parse(eventEnvelope(r)) as EventEnvelope);
}
const typesOf = async (connectionId: string) => (await eventsOf(connectionId)).map((e) => e.type);
const probe = (connectionId: string) => probeConnection(w.ctx.health, { connectionId, probeId: randomUUID(), reason: "schedule" });

/** The timeline's state changes: every one of them must have had its event, and no other. */
async function timelineStateChanges(connectionId: string): Promise<number> {
  const [row] = await w.t.db
    .select({ n: sql<number>`count(*)::int` })
    .from(connectionEvents)
    .where(and(eq(connectionEvents.connectionId, connectionId), ne(connectionEvents.fromState, connectionEvents.toState)));
  return row!.n;
}

describe("connection and alert events from probes", () => {
  it("a rejected key: state changes, one alert opened; repeats record nothing; recovery says from what and for how long", async () => {
    const c = await clinikoClinic(w, "Harbour Physio", { patients: 20, practitioners: 1 });
    expect((await probe(c.connectionId)).state).toBe("healthy");
    // a healthy probe that changes nothing records nothing
    expect(await typesOf(c.connectionId)).toEqual([]);

    await w.control.archiveClinikoKey(c.key);
    expect((await probe(c.connectionId)).state).toBe("degraded");
    expect((await probe(c.connectionId)).state).toBe("action_required");
    await probe(c.connectionId);
    await probe(c.connectionId);
    expect(await typesOf(c.connectionId)).toEqual(["connection.state_changed", "connection.state_changed", "alert.opened"]);

    await w.control.activateClinikoKey(c.key);
    expect((await probe(c.connectionId)).state).toBe("healthy");
    const all = await eventsOf(c.connectionId);
    expect(all.map((e) => e.type)).toEqual([
      "connection.state_changed",
      "connection.state_changed",
      "alert.opened",
      "connection.state_changed",
      "connection.recovered",
      "alert.resolved",
    ]);
    const [degraded, actionRequired, opened, healthy, recovered, resolved] = all;
    expect(degraded!.data).toMatchObject({
      clinicId: c.clinicId,
      clinicName: "Harbour Physio",
      connectionId: c.connectionId,
      vendor: "cliniko",
      from: "healthy",
      to: "degraded",
      failure: { code: "auth_rejected", title: expect.any(String), summary: expect.any(String) },
    });
    expect(actionRequired!.data).toMatchObject({ from: "degraded", to: "action_required" });
    expect(opened!.data).toMatchObject({ kind: "connection_needs_action", reopenedFromId: null, failure: { code: "auth_rejected" } });
    expect(healthy!.data).toMatchObject({ from: "action_required", to: "healthy", failure: null });
    expect(recovered!.data).toMatchObject({ recoveredFrom: "action_required", failure: { code: "auth_rejected" } });
    const r = recovered!.data as { brokenSince: string; brokenForSeconds: number };
    expect(Date.parse(r.brokenSince)).toBeLessThanOrEqual(Date.parse(recovered!.timestamp));
    expect(r.brokenForSeconds).toBeGreaterThanOrEqual(0);
    expect(resolved!.data).toMatchObject({ alertId: (opened!.data as { alertId: string }).alertId, reason: "recovered" });
    expect(await timelineStateChanges(c.connectionId)).toBe(3);
    // never the key, in any payload
    expect(JSON.stringify(all)).not.toContain(c.key);
  });

  it("a recurrence after resolution is alert.opened again, naming the alert it reopens", async () => {
    const c = await clinikoClinic(w, "Flapping Physio", { patients: 5, practitioners: 1 });
    for (let round = 0; round < 2; round++) {
      await w.control.archiveClinikoKey(c.key);
      await probe(c.connectionId);
      await probe(c.connectionId);
      await w.control.activateClinikoKey(c.key);
      await probe(c.connectionId);
    }
    const opened = (await eventsOf(c.connectionId)).filter((e) => e.type === "alert.opened");
    expect(opened).toHaveLength(2);
    const [first, second] = opened.map((e) => e.data as { alertId: string; reopenedFromId: string | null });
    expect(second!.reopenedFromId).toBe(first!.alertId);
    expect((await eventsOf(c.connectionId)).filter((e) => e.type === "connection.recovered")).toHaveLength(2);
  });
});

describe("connection events from the console and the reconnect link", () => {
  it("pause and resume each record one state change; pausing again is refused and records nothing", async () => {
    const c = await clinikoClinic(w, "Paused Physio", { patients: 5, practitioners: 1 });
    await pauseConnection({ clinicId: c.clinicId, reason: "clinic asked", actor: agent }, w.t.db);
    await expect(pauseConnection({ clinicId: c.clinicId, actor: agent }, w.t.db)).rejects.toThrow(/already paused/);
    await resumeConnection({ clinicId: c.clinicId, actor: agent }, w.t.db);
    const all = await eventsOf(c.connectionId);
    expect(all.map((e) => [e.type, (e.data as { from: string }).from, (e.data as { to: string }).to])).toEqual([
      ["connection.state_changed", "healthy", "paused"],
      ["connection.state_changed", "paused", "setup_pending"],
    ]);
    expect(all[0]!.data).toMatchObject({ failure: { code: "integration_paused" } });
    // the probe after resume: setup_pending → healthy is a state change, and not a recovery
    expect((await probe(c.connectionId)).state).toBe("healthy");
    expect(await typesOf(c.connectionId)).toEqual(["connection.state_changed", "connection.state_changed", "connection.state_changed"]);
    expect(await timelineStateChanges(c.connectionId)).toBe(3);
  });

  it("sending a reconnect link moves a broken connection to reconnect_pending; the event carries no link", async () => {
    const c = await clinikoClinic(w, "Link Physio", { patients: 5, practitioners: 1 });
    await w.control.archiveClinikoKey(c.key);
    await probe(c.connectionId);
    await probe(c.connectionId);
    const before = (await eventsOf(c.connectionId)).length;
    const link = await createReconnectLink({ clinicId: c.clinicId, purpose: "Your key was archived", createdBy: agent.userId }, w.t.db);
    const after = (await eventsOf(c.connectionId)).slice(before);
    expect(after.map((e) => e.type)).toEqual(["connection.state_changed"]);
    expect(after[0]!.data).toMatchObject({ from: "action_required", to: "reconnect_pending", failure: { code: "auth_rejected" } });
    const token = link.path.slice("/reconnect/".length);
    expect(JSON.stringify(after)).not.toContain(token);
    expect(JSON.stringify(after)).not.toContain("/reconnect/");
  });

  it("archiving a clinic resolves its open alerts with reason clinic_archived", async () => {
    const c = await clinikoClinic(w, "Archived Physio", { patients: 5, practitioners: 1 });
    await w.control.archiveClinikoKey(c.key);
    await probe(c.connectionId);
    await probe(c.connectionId);
    await archiveClinic({ clinicId: c.clinicId, actor: agent }, w.t.db);
    const resolved = (await eventsOf(c.connectionId)).filter((e) => e.type === "alert.resolved");
    expect(resolved.map((e) => (e.data as { reason: string }).reason)).toEqual(["clinic_archived"]);
  });
});

describe("sync.failed", () => {
  it("a 401 mid-sync: one sync.failed with the code the health engine gave it, beside the state change it caused", async () => {
    const c = await clinikoClinic(w, "Sync Fails Physio", { patients: 50, practitioners: 1 });
    let archived = false;
    const report = await syncConnection(
      {
        ...w.ctx,
        onPage: async ({ pagesDone }) => {
          if (pagesDone >= 1 && !archived) {
            archived = true;
            await w.control.archiveClinikoKey(c.key);
          }
        },
      },
      { connectionId: c.connectionId, jobId: randomUUID(), trigger: "manual" },
    );
    expect(report.outcome).toBe("failed");
    const all = await eventsOf(c.connectionId);
    expect(all.map((e) => e.type)).toEqual(["connection.state_changed", "sync.failed"]);
    expect(all[1]!.data).toMatchObject({
      syncRunId: report.runId,
      clinicName: "Sync Fails Physio",
      vendor: "cliniko",
      trigger: "manual",
      resource: report.failedResource,
      failure: { code: "auth_rejected" },
    });
  });

  it("a sync that succeeds records nothing", async () => {
    const c = await clinikoClinic(w, "Sync Works Physio", { patients: 10, practitioners: 1 });
    expect((await syncConnection(w.ctx, { connectionId: c.connectionId, jobId: randomUUID(), trigger: "schedule" })).outcome).toBe("succeeded");
    expect(await typesOf(c.connectionId)).toEqual([]);
  });
});

describe("briefing events", () => {
  const ZONE = "Australia/Sydney";
  const WEEK = "2026-11-23";
  const DUE = briefingDueAt(ZONE, WEEK);
  const at = (minutes: number) => new Date(DUE.getTime() + minutes * 60_000);
  const deliver = (clinicId: string, now: Date) => deliverBriefing(briefingDeps(w.services, { now: () => now }), { clinicId, weekStart: WEEK });

  it("held once per clinic-week however often it is re-checked, then sent (late) once", async () => {
    const c = await briefingClinic(w.t, {
      name: "Held Briefing Physio",
      timeZone: ZONE,
      state: "action_required",
      failureCode: "auth_rejected",
      firstFailureAt: at(-600),
      syncedAt: at(-60),
      createdAt: new Date("2026-10-01T00:00:00Z"),
    });
    await seedBriefingWeek(w.t, c, WEEK);
    expect((await deliver(c.clinic.id, at(1))).outcome).toBe("held");
    expect((await deliver(c.clinic.id, at(6))).outcome).toBe("held");
    expect((await deliver(c.clinic.id, at(11))).outcome).toBe("held");
    const held = (await eventsOf(c.connection.id)).filter((e) => e.type === "briefing.held");
    expect(held).toHaveLength(1);
    expect(held[0]!.data).toMatchObject({
      clinicId: c.clinic.id,
      clinicName: "Held Briefing Physio",
      connectionId: c.connection.id,
      vendor: "cliniko",
      weekStart: WEEK,
      reason: expect.stringContaining("action required"),
    });

    await w.t.sql`update connections set state = 'healthy', failure_code = null, first_failure_at = null where id = ${c.connection.id}`;
    expect((await deliver(c.clinic.id, at(240))).outcome).toBe("sent");
    expect((await deliver(c.clinic.id, at(245))).outcome).toBe("already_done");
    const types = await typesOf(c.connection.id);
    expect(types).toEqual(["alert.opened", "briefing.held", "briefing.sent", "alert.resolved"]);
    const sent = (await eventsOf(c.connection.id)).find((e) => e.type === "briefing.sent")!;
    expect(sent.data).toMatchObject({ weekStart: WEEK, late: true, recipientCount: 1 });
    const resolved = (await eventsOf(c.connection.id)).find((e) => e.type === "alert.resolved")!;
    expect(resolved.data).toMatchObject({ kind: "briefing_held", reason: "cleared" });
  });
});
