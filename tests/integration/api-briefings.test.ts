import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { briefings, clinics } from "../../db/schema/index.ts";
import { addDays } from "../../domain/briefings/calendar.ts";
import { composeBriefing } from "../../domain/briefings/compose.ts";
import { nextBriefingWeekStart } from "../../domain/briefings/preview.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { seedBriefingData } from "../support/briefing-data.ts";
import { startRoleConsole } from "../support/services.ts";
import { expectDocumented, expectProblem } from "./api-fixtures.ts";

/** The briefing endpoints of the JSON API (issue 14/15): the preview as JSON from the same composition, and the latest week as sent. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let read: string;
let clinicId: string;
let weekStart: string;
let timeZone: string;
let lonelyId: string;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ token: read } = await createTestApiToken(fixture.services, { scope: "read", createdBy: fixture.who.admin.id }));
  const seeded = await seedBriefingData(fixture.t.db, { name: "Api Briefing Physio", practitioners: 3, weeks: 5, appointmentsPerPractitionerPerWeek: 20 });
  clinicId = seeded.clinics[0]!.clinicId;
  ({ weekStart, timeZone } = seeded);
  const [lonely] = await fixture.t.db
    .insert(clinics)
    .values({ name: "Api No Connection Physio", timeZone: "Australia/Sydney", country: "AU" })
    .returning({ id: clinics.id });
  lonelyId = lonely!.id;
});
afterAll(async () => {
  await fixture?.stop();
});

describe("GET /clinics/{clinicId}/briefings/preview", () => {
  it("composes the week as the console's preview does: metrics and three actions, as JSON", async () => {
    const r = await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/preview?week=${weekStart}`, { token: read });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expectDocumented("previewBriefing", r);
    const expected = await composeBriefing({ db: fixture.services.db }, { clinicId, weekStart });
    if (!expected.ok) throw new Error(expected.message);
    const { report } = r.json as { report: typeof expected.report };
    expect(report.week.start).toBe(weekStart);
    expect(report.totals).toEqual(expected.report.totals);
    expect(report.actions.map((a) => a.rule)).toEqual(expected.report.actions.map((a) => a.rule));
    expect(report.actions.length + (report.fewerActionsReason ? 1 : 0)).toBeGreaterThan(0);
  });

  it("previews next Monday's week when none is asked for", async () => {
    const r = await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/preview`, { token: read });
    expect(r.status).toBe(200);
    expect((r.json as { report: { week: { start: string } } }).report.week.start).toBe(nextBriefingWeekStart(timeZone, new Date()));
  });

  it("answers 409 when there is nothing to compose, 400 for a week that is not a Monday, 404 for an unknown clinic", async () => {
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${lonelyId}/briefings/preview?week=${weekStart}`, { token: read }), 409, "no_connection");
    const tuesday = await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/preview?week=${addDays(weekStart, 1)}`, { token: read });
    expectProblem(tuesday, 400, "invalid_query");
    expect(tuesday.json).toMatchObject({ errors: [{ field: "query.week" }] });
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/preview?format=html`, { token: read }), 400);
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${UNKNOWN}/briefings/preview`, { token: read }), 404, "clinic_not_found");
  });
});

describe("GET /clinics/{clinicId}/briefings/latest", () => {
  it("answers 404 before any week was decided, then the newest week with its report as sent", async () => {
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/latest`, { token: read }), 404, "no_briefing");
    const composed = await composeBriefing({ db: fixture.services.db }, { clinicId, weekStart });
    if (!composed.ok) throw new Error(composed.message);
    const sentAt = new Date();
    const previous = addDays(weekStart, -7);
    await fixture.t.db.insert(briefings).values([
      { clinicId, weekStart: previous, state: "skipped", skippedReason: "no data that week", dueAt: new Date(sentAt.getTime() - 7 * 86_400_000) },
      { clinicId, weekStart, state: "sent", dueAt: sentAt, sentAt, report: composed.report, recipients: ["owner@example.test"] },
    ]);
    const r = await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/latest`, { token: read });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expectDocumented("getLatestBriefing", r);
    expect(r.json).toMatchObject({ weekStart, state: "sent", sentAt: sentAt.toISOString(), recipients: ["owner@example.test"] });
    expect((r.json as { report: unknown }).report).toEqual(composed.report);
  });

  it("answers 404 for an unknown clinic, and 401 without a token", async () => {
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${UNKNOWN}/briefings/latest`, { token: read }), 404, "clinic_not_found");
    expectProblem(await callApi(fixture.services, "GET", `/clinics/${clinicId}/briefings/latest`), 401);
  });
});
