import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertIncidentTimeline } from "../../db/queries/incidents.ts";
import { vendorIncidents, vendorRegionHealth } from "../../db/schema/index.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { startRoleConsole } from "../support/services.ts";
import { expectDocumented, expectProblem } from "./api-fixtures.ts";

/** The vendor-incident endpoints of the JSON API (issue 16): the list with a cursor, and one incident with its timeline. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let read: string;
const ids: Record<string, string> = {};
const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const evidence = (at: Date) => ({
  failureCode: "vendor_unavailable" as const,
  httpStatus: 503,
  vendorMessage: "Down for maintenance",
  at: at.toISOString(),
  clinicId: UNKNOWN,
});

beforeAll(async () => {
  fixture = await startRoleConsole();
  const { services, who } = fixture;
  ({ token: read } = await createTestApiToken(services, { scope: "read", createdBy: who.viewer.id, name: "status page" }));
  const now = Date.now();
  const tie = new Date(now - 2 * 3600_000);
  const rows = [
    { key: "au1-open", vendor: "cliniko" as const, region: "au1", openedAt: new Date(now - 600_000), resolvedAt: null },
    // why two openings at one instant: the cursor must not lose rows that tie on time
    { key: "uk1-resolved", vendor: "cliniko" as const, region: "uk1", openedAt: tie, resolvedAt: new Date(now - 3600_000) },
    { key: "au-resolved", vendor: "nookal" as const, region: "au", openedAt: tie, resolvedAt: new Date(now - 3000_000) },
  ];
  for (const r of rows) {
    const [row] = await services.db
      .insert(vendorIncidents)
      .values({
        vendor: r.vendor,
        region: r.region,
        openedAt: r.openedAt,
        resolvedAt: r.resolvedAt,
        firstEvidence: evidence(r.openedAt),
        fleetSize: 430,
        affectedAtOpen: 129,
        peakAffected: 412,
        peakAt: new Date(r.openedAt.getTime() + 60_000),
        recovered: r.resolvedAt ? 410 : 0,
        affectedAtResolve: r.resolvedAt ? 2 : null,
        lastNoticeAt: r.openedAt,
        lastNoticeAffected: 129,
      })
      .returning({ id: vendorIncidents.id });
    ids[r.key] = row!.id;
  }
  await services.db.insert(vendorRegionHealth).values({ vendor: "cliniko", region: "au1", connections: 430, transientFailing: 412, recomputedAt: new Date() });
  await insertIncidentTimeline(
    {
      incidentId: ids["au1-open"]!,
      at: rows[0]!.openedAt,
      kind: "opened",
      affected: 129,
      connections: 430,
      message: "Cliniko au1 is failing for 129 of 430 clinics",
    },
    services.db,
  );
});
afterAll(async () => {
  await fixture?.stop();
});

describe("GET /incidents", () => {
  it("lists incidents newest first, page by page, none lost to a tie in time; open ones show the live count", async () => {
    const seen: { id: string; status: string; affected: number | null }[] = [];
    let cursor: string | null = null;
    do {
      const r = await callApi(fixture.services, "GET", `/incidents?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { token: read });
      expect(r.status).toBe(200);
      expectDocumented("listIncidents", r);
      const body = r.json as { data: { id: string; status: string; affected: number | null }[]; next: string | null };
      seen.push(...body.data);
      cursor = body.next;
    } while (cursor);
    expect(seen.map((i) => i.id)[0]).toBe(ids["au1-open"]);
    expect(new Set(seen.map((i) => i.id))).toEqual(new Set(Object.values(ids)));
    expect(seen[0]).toMatchObject({ status: "open", affected: 412 });
    expect(seen.slice(1).every((i) => i.status === "resolved" && i.affected === 2)).toBe(true);
  });

  it("filters by status; refuses a bad status or a forged cursor (400)", async () => {
    const open = await callApi(fixture.services, "GET", "/incidents?status=open", { token: read });
    expectDocumented("listIncidents", open);
    expect((open.json as { data: { id: string }[] }).data.map((i) => i.id)).toEqual([ids["au1-open"]]);
    for (const qs of ["status=closed", "cursor=xyz", "page=2"])
      expectProblem(await callApi(fixture.services, "GET", `/incidents?${qs}`, { token: read }), 400, "invalid_query");
  });
});

describe("GET /incidents/{incidentId}", () => {
  it("answers the incident with its evidence and timeline", async () => {
    const r = await callApi(fixture.services, "GET", `/incidents/${ids["au1-open"]}`, { token: read });
    expect(r.status).toBe(200);
    expectDocumented("getIncident", r);
    expect(r.json).toMatchObject({
      vendor: "cliniko",
      region: "au1",
      status: "open",
      firstEvidence: { failureCode: "vendor_unavailable", httpStatus: 503, vendorMessage: "Down for maintenance" },
      connections: 430,
      affected: 412,
      timeline: [{ kind: "opened", affected: 129, connections: 430 }],
    });
  });

  it("answers 404 for an unknown incident or an id that cannot be one", async () => {
    expectProblem(await callApi(fixture.services, "GET", `/incidents/${UNKNOWN}`, { token: read }), 404, "incident_not_found");
    expectProblem(await callApi(fixture.services, "GET", "/incidents/nope", { token: read }), 404);
  });
});
