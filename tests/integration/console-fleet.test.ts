import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader as clinicsLoader } from "../../app/routes/clinics._index/route.tsx";
import { loader as dashboardLoader } from "../../app/routes/dashboard.tsx";
import { alerts, connectionEvents } from "../../db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
const args = (request: Request) => ({ request, params: {}, context: { services } });
const hour = 3600_000;

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  who = await createRoleUsers(services);
  const now = Date.now();
  await insertClinic(t.db, { name: "Alpha Physio", state: "healthy", lastSuccessAt: new Date(now - hour), visiblePatientCount: 120 });
  const beta = await insertClinic(t.db, {
    name: "Beta Chiro",
    state: "action_required",
    failureCode: "auth_rejected",
    firstFailureAt: new Date(now - 48 * hour),
    visiblePatientCount: 40,
  });
  await insertClinic(t.db, {
    name: "Gamma Osteo",
    vendor: "nookal",
    region: "eu",
    apiVersion: "v3",
    state: "degraded",
    failureCode: "vendor_unavailable",
    firstFailureAt: new Date(now - 2 * hour),
  });
  for (let i = 0; i < 55; i++) await insertClinic(t.db, { name: `Zed Clinic ${String(i).padStart(2, "0")}`, state: "healthy", visiblePatientCount: i });
  await t.db.insert(alerts).values({
    connectionId: beta.connectionId,
    clinicId: beta.clinicId,
    kind: "connection_needs_action",
    firstSeenAt: new Date(now - 47 * hour),
    lastSeenAt: new Date(now - hour),
    packet: {} as never,
  });
  // a recovery 3 h after a failure, 2 days ago
  const alpha = await insertClinic(t.db, { name: "Delta Dental", state: "healthy" });
  await t.db.insert(connectionEvents).values([
    {
      connectionId: alpha.connectionId,
      clinicId: alpha.clinicId,
      kind: "state_changed",
      fromState: "healthy",
      toState: "action_required",
      failureCode: "auth_rejected",
      actor: "probe",
      message: "x",
      at: new Date(now - 51 * hour),
    },
    {
      connectionId: alpha.connectionId,
      clinicId: alpha.clinicId,
      kind: "recovered",
      fromState: "action_required",
      toState: "healthy",
      actor: "probe",
      message: "y",
      at: new Date(now - 48 * hour),
    },
  ]);
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

type ClinicsData = { rows: { name: string; openAlerts: number; state: string | null }[]; total: number };
async function clinics(query: string, role: "viewer" | "agent" | "admin" = "viewer") {
  const r = await settle(async () => clinicsLoader(args(await requestAs(services, who[role].id, `/clinics${query}`))));
  expect(r.status).toBe(200);
  return r.data as ClinicsData;
}

describe("clinics table loader", () => {
  it("puts the oldest problem first by default and pages 50 at a time", async () => {
    const d = await clinics("");
    expect(d.total).toBe(59);
    expect(d.rows).toHaveLength(50);
    expect(d.rows[0]!.name).toBe("Beta Chiro");
    expect(d.rows[0]!.openAlerts).toBe(1);
    const p2 = await clinics("?page=2");
    expect(p2.rows).toHaveLength(9);
  });

  it.each([
    ["?state=action_required", ["Beta Chiro"]],
    ["?failure=vendor_unavailable", ["Gamma Osteo"]],
    ["?vendor=nookal", ["Gamma Osteo"]],
    ["?region=eu", ["Gamma Osteo"]],
    ["?q=chiro", ["Beta Chiro"]],
    ["?q=admin%40alphaphysio", ["Alpha Physio"]],
    ["?q=100%25", []],
  ])("filters %s", async (query, names) => {
    expect((await clinics(query)).rows.map((r) => r.name)).toEqual(names);
  });

  it("sorts by any column, both ways, with nulls last", async () => {
    expect((await clinics("?sort=name")).rows[0]!.name).toBe("Alpha Physio");
    expect((await clinics("?sort=name&dir=desc")).rows[0]!.name).toBe("Zed Clinic 54");
    expect((await clinics("?sort=patients&dir=desc")).rows[0]!.name).toBe("Alpha Physio");
    expect((await clinics("?sort=state")).rows[0]!.state).toBe("action_required");
    expect((await clinics("?sort=alerts&dir=desc")).rows[0]!.name).toBe("Beta Chiro");
    for (const sort of ["vendor", "region", "failure", "lastSuccess", "failingSince"]) expect((await clinics(`?sort=${sort}&dir=desc`)).rows).toHaveLength(50);
  });

  it("ignores nonsense in the URL instead of failing", async () => {
    expect((await clinics("?state=bogus&sort=drop&dir=sideways&page=-3")).total).toBe(59);
  });
});

describe("dashboard loader", () => {
  it("counts by state and problem, open alerts, oldest problem, recovery medians and the 30-day chart", async () => {
    const r = await settle(async () => dashboardLoader(args(await requestAs(services, who.viewer.id, "/dashboard"))));
    expect(r.status).toBe(200);
    const d = r.data as {
      counts: { byState: { state: string; n: number }[]; byFailure: { failureCode: string; n: number }[]; total: number };
      alerts: { open: number };
      oldest: { name: string };
      recovery: { median7: number; n7: number };
      chart: { day: string; broken: number }[];
    };
    expect(d.counts.total).toBe(59);
    expect(d.counts.byState.find((s) => s.state === "healthy")?.n).toBe(57);
    expect(d.counts.byFailure).toEqual(expect.arrayContaining([{ failureCode: "auth_rejected", n: 1 }]));
    expect(d.alerts.open).toBe(1);
    expect(d.oldest.name).toBe("Beta Chiro");
    expect(d.recovery.n7).toBe(1);
    expect(d.recovery.median7).toBeCloseTo(3 * 3600, -1);
    expect(d.chart).toHaveLength(30);
    expect(d.chart.at(-1)!.broken).toBe(2);
  });

  it("sends a signed-out visitor to sign in", async () => {
    const r = await settle(() => dashboardLoader(args(new Request("http://localhost/dashboard"))));
    expect(r.status).toBe(302);
  });
});
