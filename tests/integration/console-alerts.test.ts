import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as alertsAction, loader as alertsLoader } from "../../app/routes/alerts.tsx";
import { alerts, auditLog } from "../../db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
let clinikoAlert: string;
let nookalAlert: string;
const args = (request: Request) => ({ request, params: {}, context: { services } });

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  who = await createRoleUsers(services);
  const now = Date.now();
  const a = await insertClinic(t.db, { name: "Alpha", state: "action_required", failureCode: "auth_rejected" });
  const b = await insertClinic(t.db, {
    name: "Beta",
    vendor: "nookal",
    region: "au",
    apiVersion: "v3",
    state: "action_required",
    failureCode: "no_patients_visible",
  });
  const [x] = await t.db
    .insert(alerts)
    .values({
      connectionId: a.connectionId,
      clinicId: a.clinicId,
      kind: "connection_needs_action",
      firstSeenAt: new Date(now - 7200_000),
      lastSeenAt: new Date(now),
      packet: {} as never,
    })
    .returning();
  const [y] = await t.db
    .insert(alerts)
    .values({
      connectionId: b.connectionId,
      clinicId: b.clinicId,
      kind: "no_patients_visible",
      firstSeenAt: new Date(now - 3600_000),
      lastSeenAt: new Date(now),
      packet: {} as never,
    })
    .returning();
  clinikoAlert = x!.id;
  nookalAlert = y!.id;
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

const inbox = async (query: string) => {
  const r = await settle(async () => alertsLoader(args(await requestAs(services, who.viewer.id, `/alerts${query}`))));
  expect(r.status).toBe(200);
  return r.data as { rows: { id: string; clinicName: string }[]; tabs: Record<string, number> };
};
const act = async (role: "viewer" | "agent", form: Record<string, string>) =>
  settle(async () => alertsAction(args(await requestAs(services, who[role].id, "/alerts", { form }))));

describe("alerts inbox", () => {
  it("lists open alerts oldest first, filters by vendor and kind", async () => {
    expect((await inbox("")).rows.map((r) => r.clinicName)).toEqual(["Alpha", "Beta"]);
    expect((await inbox("?vendor=nookal")).rows.map((r) => r.clinicName)).toEqual(["Beta"]);
    expect((await inbox("?kind=connection_needs_action")).rows.map((r) => r.clinicName)).toEqual(["Alpha"]);
  });

  it("a viewer cannot acknowledge or mute (403)", async () => {
    expect((await act("viewer", { intent: "acknowledge", alertId: clinikoAlert })).status).toBe(403);
    expect((await act("viewer", { intent: "mute", alertId: clinikoAlert, until: "2099-01-01" })).status).toBe(403);
  });

  it("an agent acknowledges, with an audit row; the alert moves tab", async () => {
    expect((await act("agent", { intent: "acknowledge", alertId: clinikoAlert })).status).toBe(302);
    expect((await inbox("?status=acknowledged")).rows.map((r) => r.id)).toEqual([clinikoAlert]);
    expect(
      await t.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "alert.acknowledge"))),
    ).toHaveLength(1);
  });

  it("mutes until a date; refuses a past date next to the field", async () => {
    const past = await act("agent", { intent: "mute", alertId: nookalAlert, until: "2020-01-01" });
    expect(past.status).toBe(400);
    expect((past.data as { fieldErrors: Record<string, string[]> }).fieldErrors.until).toBeDefined();
    const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect((await act("agent", { intent: "mute", alertId: nookalAlert, until })).status).toBe(302);
    const [row] = await t.db.select().from(alerts).where(eq(alerts.id, nookalAlert));
    expect(row?.status).toBe("muted");
    expect((await act("agent", { intent: "unmute", alertId: nookalAlert })).status).toBe(302);
  });

  it("answers 404 for an unknown alert", async () => {
    expect((await act("agent", { intent: "acknowledge", alertId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
  });
});
