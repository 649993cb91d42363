import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts } from "../../db/schema/index.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { insertClinic } from "../support/fleet.ts";
import { startRoleConsole } from "../support/services.ts";
import { auditsOf, expectDocumented, expectProblem } from "./api-fixtures.ts";

/** The alerts endpoints of the JSON API (issue 15): the inbox's list with a cursor, and acknowledge as the console does it. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let read: string;
let write: string;
let alpha: { clinicId: string; connectionId: string };
const ids: Record<string, string> = {};
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  fixture = await startRoleConsole();
  const { services, who } = fixture;
  ({ token: read } = await createTestApiToken(services, { scope: "read", createdBy: who.admin.id, name: "pager" }));
  ({ token: write } = await createTestApiToken(services, { scope: "write", createdBy: who.agent.id, name: "ops bot" }));
  alpha = await insertClinic(services.db, { name: "Alpha", state: "action_required", failureCode: "auth_rejected" });
  const beta = await insertClinic(services.db, {
    name: "Beta",
    vendor: "nookal",
    region: "au",
    apiVersion: "v3",
    state: "action_required",
    failureCode: "no_patients_visible",
  });
  const now = Date.now();
  // why one first-seen instant for three alerts: the cursor must not lose rows that tie on time
  const tie = new Date(now - 3 * 3600_000);
  const rows = [
    { key: "alpha-needs-action", c: alpha, kind: "connection_needs_action" as const, firstSeenAt: tie },
    { key: "alpha-degraded", c: alpha, kind: "degraded_too_long" as const, firstSeenAt: tie },
    { key: "beta-no-patients", c: beta, kind: "no_patients_visible" as const, firstSeenAt: tie },
    { key: "beta-needs-action", c: beta, kind: "connection_needs_action" as const, firstSeenAt: new Date(now - 3600_000) },
  ];
  for (const r of rows) {
    const [row] = await services.db
      .insert(alerts)
      .values({
        connectionId: r.c.connectionId,
        clinicId: r.c.clinicId,
        kind: r.kind,
        firstSeenAt: r.firstSeenAt,
        lastSeenAt: new Date(now),
        packet: {} as never,
      })
      .returning({ id: alerts.id });
    ids[r.key] = row!.id;
  }
  const [old] = await services.db
    .insert(alerts)
    .values({
      connectionId: beta.connectionId,
      clinicId: beta.clinicId,
      kind: "degraded_too_long",
      status: "resolved",
      firstSeenAt: new Date(now - 9 * 86_400_000),
      lastSeenAt: new Date(now - 8 * 86_400_000),
      resolvedAt: new Date(now - 8 * 86_400_000),
      packet: {} as never,
    })
    .returning({ id: alerts.id });
  ids.resolved = old!.id;
});
afterAll(async () => {
  await fixture?.stop();
});

describe("GET /alerts", () => {
  it("lists unresolved alerts oldest first, page by page, none lost to a tie in time", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await callApi(fixture.services, "GET", `/alerts?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: read });
      expect(r.status).toBe(200);
      expectDocumented("listAlerts", r);
      const body = r.json as { data: { id: string }[]; next: string | null };
      seen.push(...body.data.map((a) => a.id));
      cursor = body.next;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect(seen.at(-1)).toBe(ids["beta-needs-action"]);
    expect(seen).not.toContain(ids.resolved);
  });

  it("filters by status and clinic", async () => {
    const resolved = await callApi(fixture.services, "GET", "/alerts?status=resolved", { token: read });
    expectDocumented("listAlerts", resolved);
    expect((resolved.json as { data: { id: string; resolvedAt: string }[] }).data.map((a) => a.id)).toEqual([ids.resolved]);
    const mine = await callApi(fixture.services, "GET", `/alerts?clinic=${alpha.clinicId}`, { token: read });
    const data = (mine.json as { data: { clinic: { name: string }; connection: { failureCode: string } }[] }).data;
    expect(data).toHaveLength(2);
    expect(data.every((a) => a.clinic.name === "Alpha" && a.connection.failureCode === "auth_rejected")).toBe(true);
  });

  it("answers 400 for a bad status, clinic, unknown parameter or forged cursor", async () => {
    for (const qs of ["status=closed", "clinic=alpha", "page=2", "cursor=xyz"])
      expectProblem(await callApi(fixture.services, "GET", `/alerts?${qs}`, { token: read }), 400, "invalid_query");
  });
});

describe("POST /alerts/{alertId}/acknowledge", () => {
  it("acknowledges through the console's function, audited as the token", async () => {
    const id = ids["alpha-needs-action"]!;
    const r = await callApi(fixture.services, "POST", `/alerts/${id}/acknowledge`, { token: write });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expectDocumented("acknowledgeAlert", r);
    expect(r.json).toMatchObject({ id, status: "acknowledged", acknowledgedBy: fixture.who.agent.email });
    const [row] = await fixture.services.db.select().from(alerts).where(eq(alerts.id, id));
    expect(row).toMatchObject({ status: "acknowledged", acknowledgedBy: fixture.who.agent.id });
    const [audit] = await auditsOf(fixture.services, "alert.acknowledge", alpha.clinicId);
    expect(audit).toMatchObject({
      actorUserId: fixture.who.agent.id,
      actorLabel: `API token “ops bot” (${fixture.who.agent.email})`,
      details: { alertId: id },
    });
  });

  it("answers 404 for a resolved or unknown alert, and for an id that cannot be one; 403 for a read token", async () => {
    expectProblem(await callApi(fixture.services, "POST", `/alerts/${ids.resolved}/acknowledge`, { token: write }), 404, "alert_not_found");
    expectProblem(await callApi(fixture.services, "POST", `/alerts/${UNKNOWN}/acknowledge`, { token: write }), 404, "alert_not_found");
    expectProblem(await callApi(fixture.services, "POST", "/alerts/nope/acknowledge", { token: write }), 404);
    expectProblem(await callApi(fixture.services, "POST", `/alerts/${ids["beta-needs-action"]}/acknowledge`, { token: read }), 403, "token_scope");
  });

  it("writes only while the token's creator may: a write token of a viewer is refused (403)", async () => {
    const { token } = await createTestApiToken(fixture.services, { scope: "write", createdBy: fixture.who.viewer.id, name: "demoted" });
    expectProblem(await callApi(fixture.services, "POST", `/alerts/${ids["beta-needs-action"]}/acknowledge`, { token }), 403, "token_scope");
    expect((await callApi(fixture.services, "GET", "/alerts", { token })).status).toBe(200);
  });

  it("takes no body (422)", async () => {
    expectProblem(await callApi(fixture.services, "POST", `/alerts/${ids["beta-needs-action"]}/acknowledge`, { token: write, body: { note: "x" } }), 422);
  });
});
