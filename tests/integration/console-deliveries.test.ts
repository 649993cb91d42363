import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/deliveries/route.tsx";
import { randomUUID } from "node:crypto";
import { alertNotifications } from "../../db/schema/index.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createRoleUsers, createTestServices, requestAs, settle, type TestServices } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
const args = (request: Request) => ({ request, params: {}, context: { services } });

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  who = await createRoleUsers(services);
  const { clinicId, connectionId } = await insertClinic(t.db, { name: "Harbourside Physiotherapy" });
  const base = { clinicId, connectionId, alertIds: [randomUUID()], channel: "email" as const };
  await t.db.insert(alertNotifications).values([
    {
      ...base,
      id: randomUUID(),
      event: "opened",
      audience: "clinic_admin",
      target: "admin@harbour.example",
      content: { kind: "email", subject: "Harbourside Physiotherapy: Key rejected", text: "Your key was rejected.", html: "" },
      status: "queued",
      createdAt: new Date(Date.now() - 1000),
    },
    {
      ...base,
      id: randomUUID(),
      event: "recovered",
      audience: "support",
      target: "support@vendor.example",
      content: { kind: "email", subject: "Recovered: Harbourside", text: "Connected again.", html: "" },
      status: "delivered",
      settledAt: new Date(),
      attempts: 1,
    },
  ]);
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

describe("deliveries page", () => {
  type Page = { outbox: { total: number; rows: { target: string; status: string; text: string | null; subject: string | null }[] } };
  it("shows every message with its status to every role, and filters to not sent", async () => {
    const all = await settle(async () => loader(args(await requestAs(services, who.viewer.id, "/deliveries"))));
    expect((all.data as Page).outbox.total).toBe(2);
    expect((all.data as Page).outbox.rows.map((r) => [r.target, r.status])).toEqual([
      ["support@vendor.example", "delivered"],
      ["admin@harbour.example", "queued"],
    ]);
    const unsent = await settle(async () => loader(args(await requestAs(services, who.viewer.id, "/deliveries?unsent=1"))));
    expect((unsent.data as Page).outbox.rows.map((r) => r.target)).toEqual(["admin@harbour.example"]);
  });

  it("sends message bodies to admins only (issue 10, security 1)", async () => {
    for (const role of ["viewer", "agent"] as const) {
      const page = await settle(async () => loader(args(await requestAs(services, who[role].id, "/deliveries"))));
      expect(JSON.stringify(page.data)).not.toContain("Your key was rejected.");
      expect((page.data as Page).outbox.rows.every((r) => r.text === null)).toBe(true);
    }
    const admin = await settle(async () => loader(args(await requestAs(services, who.admin.id, "/deliveries"))));
    expect((admin.data as Page).outbox.rows.map((r) => r.text)).toContain("Your key was rejected.");
  });
});
