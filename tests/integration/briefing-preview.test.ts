import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/clinics.$clinicId_.briefing.preview.tsx";
import { clinics } from "../../db/schema/index.ts";
import { addDays } from "../../domain/briefings/calendar.ts";
import { formatWeek } from "../../domain/briefings/format.ts";
import { BRIEFING_PREVIEW_CSP, nextBriefingWeekStart } from "../../domain/briefings/preview.ts";
import { seedBriefingData } from "../support/briefing-data.ts";
import { requestAs, settle, startRoleConsole, type TestServices } from "../support/services.ts";

/** The console's briefing preview (issue 14): staff only, the real composed report, served to be framed by the console alone. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let services: TestServices;
let clinicId: string;
let weekStart: string;
let timeZone: string;
const path = (id: string, q = "") => `/clinics/${id}/briefing/preview${q}`;
const get = async (userId: string | null, id: string, q = "") =>
  settle(async () => loader({ request: await requestAs(services, userId, path(id, q)), params: { clinicId: id }, context: { services } }));

beforeAll(async () => {
  fixture = await startRoleConsole();
  services = fixture.services;
  const seeded = await seedBriefingData(fixture.t.db, { name: "Preview <Physio>", practitioners: 3, weeks: 5, appointmentsPerPractitionerPerWeek: 20 });
  clinicId = seeded.clinics[0]!.clinicId;
  ({ weekStart, timeZone } = seeded);
});
afterAll(async () => {
  await fixture?.stop();
});

describe("GET /clinics/:id/briefing/preview", () => {
  it("sends a signed-out visitor to sign in", async () => {
    const r = await get(null, clinicId);
    expect(r.status).toBe(302);
    expect(r.response!.headers.get("Location")).toMatch(/^\/login\?redirectTo=/);
  });

  it("shows staff the briefing email under a policy that runs nothing and lets only the console frame it", async () => {
    const r = await get(fixture.who.viewer.id, clinicId, `?week=${weekStart}`);
    expect(r.status).toBe(200);
    const headers = r.response!.headers;
    expect(headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(headers.get("Content-Security-Policy")).toBe(BRIEFING_PREVIEW_CSP);
    expect(headers.get("Content-Security-Policy")).toContain("frame-ancestors 'self'");
    expect(headers.get("Content-Security-Policy")).toMatch(/(^|; )sandbox(;|$)/);
    expect(headers.get("Cache-Control")).toBe("private, no-store");
    const html = await r.response!.text();
    // why booleans: a failing toContain on the whole email would print 40 KB of HTML
    expect(html.includes("<h1")).toBe(true);
    expect(html.includes("Your week at Preview &lt;Physio&gt;")).toBe(true);
    expect(/>(Three actions|Actions) for this week</.test(html)).toBe(true);
    expect(html.includes("How these figures are defined")).toBe(true);
    expect(/relink/i.test(html)).toBe(false);
  });

  it("previews next Monday's week when none is asked for", async () => {
    const start = nextBriefingWeekStart(timeZone, new Date());
    const r = await get(fixture.who.agent.id, clinicId);
    expect(r.status).toBe(200);
    expect((await r.response!.text()).includes(formatWeek({ start, end: addDays(start, 6) }))).toBe(true);
  });

  it("says why when there is nothing to preview, and refuses a week that is not a Monday", async () => {
    const [lonely] = await fixture.t.db
      .insert(clinics)
      .values({ name: "No Connection Physio", timeZone: "Australia/Sydney", country: "AU" })
      .returning({ id: clinics.id });
    const none = await get(fixture.who.viewer.id, lonely!.id, `?week=${weekStart}`);
    expect(none.status).toBe(409);
    expect(await none.response!.text()).toContain("has no practice-system connection");
    expect((await get(fixture.who.viewer.id, clinicId, "?week=2026-12-01")).status).toBe(400);
    expect((await get(fixture.who.viewer.id, "00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });
});
