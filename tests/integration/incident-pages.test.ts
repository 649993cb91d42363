import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vendorIncidents, vendorIncidentTimeline, vendorRegionHealth } from "../../db/schema/index.ts";
import { loadClinicPage } from "../../domain/clinics/clinic-page.ts";
import { INCIDENT_PAGE, loadConnectionIncident, loadIncidentBanners, loadIncidentList, loadIncidentPage } from "../../domain/incidents/incident-pages.ts";
import type { IncidentEvidence } from "../../domain/vocabulary.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";

/**
 * The incident read models behind the banner, /incidents and /incidents/:id (issue 16) on a real
 * Postgres: open first with live counts, the resolved history paged by `before`, the detail's
 * resolved summary, and the clinic page's banner only for a connection in the failing region.
 */

let t: TestDatabase;
const NOW = new Date("2026-12-03T10:00:00Z");
const evidence = (clinicId: string): IncidentEvidence => ({
  failureCode: "vendor_unavailable",
  httpStatus: 503,
  vendorMessage: "Scheduled maintenance",
  at: "2026-12-03T09:14:00.000Z",
  clinicId,
});

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("vendor incident pages", () => {
  it("with no incident, the list is empty and nothing is bannered", async () => {
    expect(await loadIncidentList({ now: NOW }, t.db)).toMatchObject({ open: [], history: [], older: null });
    expect(await loadIncidentBanners(t.db)).toEqual([]);
  });

  it("lists the open incident first with its region's live counts, then resolved history newest first, a page at a time", async () => {
    const failing = await insertClinic(t.db, {
      name: "Failing Physio",
      vendor: "cliniko",
      region: "au1",
      apiVersion: "v1",
      state: "degraded",
      transientFailing: true,
    });
    const elsewhere = await insertClinic(t.db, { name: "Elsewhere Physio", vendor: "cliniko", region: "au2", apiVersion: "v1", state: "healthy" });
    await t.db.insert(vendorRegionHealth).values({ vendor: "cliniko", region: "au1", connections: 430, transientFailing: 412 });
    const openedAt = new Date("2026-12-03T09:14:00Z");
    const [open] = await t.db
      .insert(vendorIncidents)
      .values({
        vendor: "cliniko",
        region: "au1",
        openedAt,
        firstEvidence: evidence(failing.clinicId),
        fleetSize: 430,
        affectedAtOpen: 130,
        peakAffected: 412,
        peakAt: openedAt,
        lastNoticeAt: openedAt,
        lastNoticeAffected: 130,
      })
      .returning();
    // 27 resolved incidents of au3, one a day, each 41 minutes long
    const resolved = Array.from({ length: INCIDENT_PAGE + 2 }, (_, n) => {
      const at = new Date(openedAt.getTime() - (n + 1) * 86_400_000);
      return {
        vendor: "cliniko" as const,
        region: "au3",
        openedAt: at,
        resolvedAt: new Date(at.getTime() + 41 * 60_000),
        firstEvidence: evidence(elsewhere.clinicId),
        fleetSize: 500,
        affectedAtOpen: 150,
        peakAffected: 498,
        peakAt: at,
        recovered: 498,
        affectedAtResolve: 0,
        lastNoticeAt: at,
        lastNoticeAffected: 150,
      };
    });
    const rows = await t.db.insert(vendorIncidents).values(resolved).returning();
    await t.db.insert(vendorIncidentTimeline).values([
      { incidentId: rows[0]!.id, at: rows[0]!.openedAt, kind: "opened", affected: 150, connections: 500, message: "opened" },
      { incidentId: rows[0]!.id, at: rows[0]!.resolvedAt!, kind: "resolved", affected: 0, connections: 500, message: "resolved" },
    ]);

    const first = await loadIncidentList({ now: NOW }, t.db);
    expect(first.open).toHaveLength(1);
    expect(first.open[0]).toMatchObject({
      id: open!.id,
      name: "Cliniko au1",
      open: true,
      duration: null,
      sinceOpened: "46 min",
      failing: 412,
      connections: 430,
    });
    expect(first.history).toHaveLength(INCIDENT_PAGE);
    expect(first.history.every((r) => !r.open && r.duration === "41 min")).toBe(true);
    const openedTimes = first.history.map((r) => r.openedAt);
    expect(openedTimes).toEqual([...openedTimes].sort().reverse());
    expect(first.older).toBe(first.history[INCIDENT_PAGE - 1]!.openedAt);

    const second = await loadIncidentList({ before: new Date(first.older!), now: NOW }, t.db);
    expect(second.open).toEqual([]);
    expect(second.history).toHaveLength(2);
    expect(second.older).toBeNull();

    expect(await loadIncidentBanners(t.db)).toEqual([
      { id: open!.id, vendor: "cliniko", region: "au1", openedAt: openedAt.toISOString(), failing: 412, connections: 430 },
    ]);

    const detail = await loadIncidentPage({ id: rows[0]!.id, now: NOW }, t.db);
    expect(detail).toMatchObject({
      banner: null,
      resolvedSummary: "Resolved after 41 min; 498 recovered",
      heldAlerts: 0,
      groupedAlerts: 0,
      affected: null,
      affectedAtResolve: 0,
    });
    expect(detail!.evidence).toMatchObject({ title: "Vendor unavailable", httpStatus: 503, vendorMessage: "Scheduled maintenance" });
    expect(detail!.timeline.map((r) => r.kind)).toEqual(["opened", "resolved"]);
    expect((await loadIncidentPage({ id: open!.id, now: NOW }, t.db))!.banner).toMatchObject({ failing: 412, connections: 430 });
    expect(await loadIncidentPage({ id: "00000000-0000-4000-8000-000000000000" }, t.db)).toBeNull();

    // the clinic page: the banner for the failing region only, with this connection's own flag
    expect(await loadConnectionIncident({ connectionId: failing.connectionId }, t.db)).toMatchObject({
      id: open!.id,
      thisConnectionFailing: true,
      failing: 412,
    });
    expect(await loadConnectionIncident({ connectionId: elsewhere.connectionId }, t.db)).toBeNull();
    const failingPage = (await loadClinicPage({ clinicId: failing.clinicId, page: 1 }, t.db))!;
    expect(failingPage.incident).toMatchObject({ id: open!.id, thisConnectionFailing: true });
    // the escalation packet support copies names the incident, so the vendor does not debug one clinic's key
    expect(failingPage.packet).toMatch(
      new RegExp(
        `^Vendor incident: Cliniko \\S+ is failing for \\d+ of \\d+ clinics since \\d\\d:\\d\\d UTC; a new key will not help\\. \\(Relink incident ${open!.id}\\)$`,
        "m",
      ),
    );
    const elsewherePage = (await loadClinicPage({ clinicId: elsewhere.clinicId, page: 1 }, t.db))!;
    expect(elsewherePage.incident).toBeNull();
    expect(elsewherePage.packet).not.toContain("Vendor incident");
  });
});
