import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pageClinicIds } from "../../db/queries/clinic-paging.ts";
import { fleetCounts } from "../../db/queries/dashboard.ts";
import { CLINIC_SORTS, listClinics, type ClinicListFilters, type ClinicSort } from "../../db/queries/clinics.ts";
import { alerts, clinics, connections } from "../../db/schema/index.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { CONNECTION_STATES, type ConnectionState } from "../../domain/vocabulary.ts";

/**
 * The index-served paging (db/queries/clinic-paging.ts) against a plain JavaScript sort of the
 * whole fleet: every sort, both directions, a few filters, every page at a small page size — so
 * segment boundaries, the read-from-the-other-end path and clinics without a connection all show.
 */

let t: TestDatabase;
const SEVERITY: ConnectionState[] = ["action_required", "degraded", "reconnect_pending", "pending_disconnect", "setup_pending", "paused", "healthy"];

interface Row {
  id: string;
  name: string;
  archived: boolean;
  conn: null | {
    vendor: string;
    region: string;
    state: ConnectionState;
    failureCode: string | null;
    lastSuccessAt: Date | null;
    lastSyncSuccessAt: Date | null;
    firstFailureAt: Date | null;
    patients: number | null;
  };
  alerts: number;
}
const fleet: Row[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  // a fixed pseudo-random draw, so a failure reproduces
  let seed = 7;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const day = 86_400_000;
  for (let i = 0; i < 90; i++) {
    // why: duplicate names (i % 60) exercise the id tie-break
    const name = `Clinic ${String(i % 60).padStart(3, "0")}`;
    const state = pick(CONNECTION_STATES);
    const failing = !["healthy", "setup_pending", "pending_disconnect"].includes(state);
    const nookal = rnd() < 0.3;
    const conn = {
      vendor: nookal ? ("nookal" as const) : ("cliniko" as const),
      region: nookal ? pick(["au", "eu", "us"]) : pick(["au1", "au2", "uk1"]),
      apiVersion: nookal ? "v3" : "v1",
      state,
      failureCode: failing ? pick(["auth_rejected", "wrong_region", "network"] as const) : null,
      lastSuccessAt: rnd() < 0.2 ? null : new Date(Date.now() - Math.floor(rnd() * 30) * day),
      firstFailureAt: failing ? new Date(Date.now() - Math.floor(rnd() * 10) * day) : null,
      lastSyncSuccessAt: rnd() < 0.3 ? null : new Date(Date.now() - Math.floor(rnd() * 20) * 3_600_000),
      visiblePatientCount: rnd() < 0.25 ? null : Math.floor(rnd() * 5) * 10,
    };
    const { clinicId, connectionId } = await insertClinic(t.db, { name, ...conn });
    const archived = rnd() < 0.08;
    if (archived) await t.db.update(clinics).set({ archivedAt: new Date() }).where(eq(clinics.id, clinicId));
    const n = failing && rnd() < 0.6 ? 1 + Math.floor(rnd() * 3) : 0;
    const kinds = ["connection_needs_action", "no_patients_visible", "degraded_too_long"] as const;
    for (let k = 0; k < n; k++)
      await t.db
        .insert(alerts)
        .values({ connectionId, clinicId, kind: kinds[k]!, status: "open", firstSeenAt: new Date(), lastSeenAt: new Date(), packet: {} as never });
    fleet.push({
      id: clinicId,
      name,
      archived,
      alerts: n,
      conn: {
        vendor: conn.vendor,
        region: conn.region,
        state,
        failureCode: conn.failureCode,
        lastSuccessAt: conn.lastSuccessAt,
        lastSyncSuccessAt: conn.lastSyncSuccessAt,
        firstFailureAt: conn.firstFailureAt,
        patients: conn.visiblePatientCount,
      },
    });
  }
  // clinics without a connection sort last in every connection sort
  for (const name of ["Clinic 900", "Clinic 901", "Clinic 900"]) {
    const id = randomUUID();
    await t.db.insert(clinics).values({ id, name, timeZone: "Australia/Sydney", country: "AU" });
    fleet.push({ id, name, archived: false, conn: null, alerts: 0 });
  }
});
afterAll(async () => {
  await t?.drop();
});

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
const byNameId = (a: Row, b: Row) => cmp(a.name, b.name) || cmp(a.id, b.id);

function keyOf(sort: ClinicSort, r: Row): string | number | null {
  const c = r.conn!;
  switch (sort) {
    case "vendor":
      return c.vendor;
    case "region":
      return c.region;
    case "state":
      return SEVERITY.indexOf(c.state);
    case "failure":
      return c.failureCode;
    case "lastSuccess":
      return c.lastSuccessAt?.getTime() ?? null;
    case "failingSince":
      return c.firstFailureAt?.getTime() ?? null;
    case "patients":
      return c.patients;
    case "lastSync":
      return c.lastSyncSuccessAt?.getTime() ?? null;
    default:
      throw new Error(sort);
  }
}

/** Broken now (db/queries/broken-now.ts), in the band when one is given: rolling days from now. */
function brokenSince(r: Row, band: ClinicListFilters["failingSince"]): boolean {
  const at = r.conn?.firstFailureAt?.getTime();
  if (at === undefined || r.conn!.state === "paused") return false;
  const day = 86_400_000;
  if (band === "today") return at > Date.now() - day;
  if (band === "yesterday") return at > Date.now() - 2 * day;
  if (band === "week") return at <= Date.now() - 7 * day;
  return true;
}

/** The documented order (docs/decisions/0015-console-indexes.md), computed the slow way. */
function expected(sort: ClinicSort, desc: boolean, filters: ClinicListFilters): string[] {
  const rows = fleet.filter(
    (r) =>
      !r.archived &&
      (!filters.state || r.conn?.state === filters.state) &&
      (!filters.vendor || r.conn?.vendor === filters.vendor) &&
      (!filters.failureCode || r.conn?.failureCode === filters.failureCode) &&
      (!(filters.brokenNow || filters.failingSince) || brokenSince(r, filters.failingSince)) &&
      (!filters.clinicIds || filters.clinicIds.includes(r.id)) &&
      // every admin email here is admin@clinic.test: the terms below only match names
      (!filters.q || r.name.toLowerCase().includes(filters.q.toLowerCase())),
  );
  const dir = desc ? -1 : 1;
  if (sort === "name") return rows.sort((a, b) => dir * byNameId(a, b)).map((r) => r.id);
  if (sort === "alerts") {
    const alerted = rows.filter((r) => r.alerts > 0).sort((a, b) => dir * (a.alerts - b.alerts) || byNameId(a, b));
    const quiet = rows.filter((r) => r.alerts === 0).sort(byNameId);
    return (desc ? [...alerted, ...quiet] : [...quiet, ...alerted]).map((r) => r.id);
  }
  const keyed = rows.filter((r) => r.conn && keyOf(sort, r) !== null).sort((a, b) => dir * (cmp(keyOf(sort, a)!, keyOf(sort, b)!) || cmp(a.id, b.id)));
  const unkeyed = rows.filter((r) => r.conn && keyOf(sort, r) === null).sort((a, b) => cmp(a.id, b.id));
  const none = rows.filter((r) => !r.conn).sort(byNameId);
  return [...keyed, ...unkeyed, ...none].map((r) => r.id);
}

/**
 * With TEXT_MAX 20: "Clinic 00" (about 15 clinics), "nic 9" (3, none connected) and "c 0" with
 * action_required are paged as their clinics' ids; "c 0" (about 90, any case) alone and with
 * Cliniko (about 60) are walked in index order with the text as a filter.
 */
const TEXT_MAX = 20;
const FILTERS: ClinicListFilters[] = [
  {},
  { state: "action_required" },
  { vendor: "nookal" },
  { failureCode: "auth_rejected" },
  { q: "Clinic 00" },
  { q: "nic 9" },
  { q: "C 0" },
  { q: "c 0", state: "action_required" },
  { q: "clinic 0", vendor: "nookal" },
  { q: "c 0", vendor: "cliniko" },
  // broken now and failing since: sparse views whose filter and sort keys go together or exclude each other
  { brokenNow: true },
  { brokenNow: true, vendor: "cliniko" },
  { failingSince: "week" },
  { failingSince: "today", vendor: "nookal" },
];

describe("index-served paging of the clinics table", () => {
  for (const sort of CLINIC_SORTS)
    for (const desc of [false, true])
      it(`sort=${sort} ${desc ? "desc" : "asc"}: every page matches the full sort, for each filter, read through or counted`, async () => {
        // why: a shallow page of a dense view reads through what it skips, a deep one counts its
        // segment; 0 counts every time, 20 switches between the two within one walk; the defaults
        // find this small fleet sparse, so every later page counts (and a page past the end reads nothing)
        for (const { shallowSkip, denseView } of [{ shallowSkip: 0, denseView: 0 }, { shallowSkip: 20, denseView: 0 }, {}])
          // a selection (what "select all that match" and a few-match term become) with and without a connection filter
          for (const filters of [
            ...FILTERS,
            { clinicIds: fleet.filter((_, i) => i % 3 === 0).map((f) => f.id) },
            { clinicIds: fleet.filter((_, i) => i % 2 === 0).map((f) => f.id), state: "action_required" as const },
          ]) {
            const want = expected(sort, desc, filters);
            const pageSize = 7;
            const got: string[] = [];
            for (let page = 1; page <= Math.ceil(want.length / pageSize) + 1; page++) {
              const r = await pageClinicIds({ filters, sort, desc, page, pageSize, textListMax: TEXT_MAX, shallowSkip, denseView }, t.db);
              expect(r.total, JSON.stringify(filters)).toBe(want.length);
              got.push(...r.ids);
            }
            expect(got, `${JSON.stringify(filters)} shallowSkip=${shallowSkip} denseView=${denseView}`).toEqual(want);
          }
      });

  it("free text: both ways agree on the rows and the total; a common term's total is capped at the text cap", async () => {
    const common = fleet.filter((f) => !f.archived && f.name.toLowerCase().includes("c 0")).length;
    expect(common).toBeGreaterThan(TEXT_MAX);
    for (const sort of ["name", "failingSince", "alerts"] as const) {
      const walked = await pageClinicIds({ filters: { q: "c 0" }, sort, desc: false, page: 1, pageSize: 10, textListMax: TEXT_MAX }, t.db);
      const listed = await pageClinicIds({ filters: { q: "c 0" }, sort, desc: false, page: 1, pageSize: 10, textListMax: 1_000 }, t.db);
      expect(walked.ids).toEqual(listed.ids);
      expect([walked.total, listed.total]).toEqual([common, common]);
    }
    const capped = await pageClinicIds({ filters: { q: "c 0" }, sort: "name", desc: false, page: 1, pageSize: 10, countCap: 50, textListMax: TEXT_MAX }, t.db);
    expect([capped.total, capped.totalCapped]).toEqual([TEXT_MAX, true]);
    // with another filter the lookup covers the whole view: few matches are counted exactly
    const filtered = { q: "c 0", state: "action_required" as const };
    const few = await pageClinicIds({ filters: filtered, sort: "name", desc: false, page: 1, pageSize: 10, countCap: 50, textListMax: TEXT_MAX }, t.db);
    expect(few.total).toBe(expected("name", false, filtered).length);
    expect(few.total).toBeLessThan(TEXT_MAX);
    // a selection and a term together: only the selected clinics that match
    const some = fleet.filter((f) => !f.archived).slice(0, 30);
    const r = await listClinics({ filters: { q: "Clinic 00", clinicIds: some.map((f) => f.id) }, sort: "name" }, t.db);
    expect(r.rows.map((x) => x.id).sort()).toEqual(
      some
        .filter((f) => f.name.startsWith("Clinic 00"))
        .map((f) => f.id)
        .sort(),
    );
    // LIKE wildcards in the term are literal text
    expect((await listClinics({ filters: { q: "Clinic_0%" } }, t.db)).total).toBe(0);
  });

  it("listClinics returns the page's rows in the paged order with their open alerts", async () => {
    const r = await listClinics({ sort: "alerts", desc: true, page: 1, pageSize: 5 }, t.db);
    expect(r.rows.map((x) => x.id)).toEqual(expected("alerts", true, {}).slice(0, 5));
    const byId = new Map(fleet.map((f) => [f.id, f.alerts]));
    for (const row of r.rows) expect(row.openAlerts).toBe(byId.get(row.id));
    const ids = r.rows.map((x) => x.id);
    expect((await t.db.select({ id: connections.clinicId }).from(connections).where(inArray(connections.clinicId, ids))).length).toBe(5);
  });

  it("with a count cap, a page within the cap gets a capped total and a page past it the exact total (both query paths)", async () => {
    const active = fleet.filter((f) => !f.archived).length;
    const cap = 20;
    expect(active).toBeGreaterThan(cap + 10);
    for (const filters of [{}, { q: "Clinic" }] as ClinicListFilters[]) {
      const first = await listClinics({ filters, sort: "name", page: 1, pageSize: 10, countCap: cap }, t.db);
      expect([first.total, first.totalCapped]).toEqual([cap, true]);
      expect(first.rows.map((r) => r.id)).toEqual((await listClinics({ filters, sort: "name", page: 1, pageSize: 10 }, t.db)).rows.map((r) => r.id));
      const past = await listClinics({ filters, sort: "name", page: 3, pageSize: 10, countCap: cap }, t.db);
      expect([past.total, past.totalCapped]).toEqual([(await listClinics({ filters, sort: "name", pageSize: 10 }, t.db)).total, false]);
    }
    // a view smaller than the cap is counted exactly
    const few = await listClinics({ filters: { state: "paused" }, sort: "name", page: 1, pageSize: 10, countCap: 10_000 }, t.db);
    expect(few.totalCapped).toBe(false);
    expect(few.total).toBe(fleet.filter((f) => !f.archived && f.conn?.state === "paused").length);
  });

  it("the dashboard's fleet counts leave archived clinics out and count clinics without a connection", async () => {
    const active = fleet.filter((f) => !f.archived);
    const counts = await fleetCounts(t.db);
    expect(counts.total).toBe(active.length);
    const states = new Map<string | null, number>();
    for (const f of active) states.set(f.conn?.state ?? null, (states.get(f.conn?.state ?? null) ?? 0) + 1);
    expect(new Map(counts.byState.map((r) => [r.state, r.n]))).toEqual(states);
    const failures = new Map<string, number>();
    for (const f of active) if (f.conn?.failureCode) failures.set(f.conn.failureCode, (failures.get(f.conn.failureCode) ?? 0) + 1);
    expect(new Map(counts.byFailure.map((r) => [r.failureCode, r.n]))).toEqual(failures);
  });
});
