import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/deliveries/route.tsx";
import { randomUUID } from "node:crypto";
import { alertNotifications, auditLog, webhookEndpoints } from "../../db/schema/index.ts";
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

const post = async (role: "viewer" | "agent" | "admin", form: Record<string, string>) =>
  settle(async () => action(args(await requestAs(services, who[role].id, "/deliveries", { form }))));

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

  it("lets only an admin add a webhook receiver, shows its secret once, and audits without the secret", async () => {
    expect((await post("agent", { intent: "add-webhook", url: "https://hooks.example.com/relink" })).status).toBe(403);
    const bad = await post("admin", { intent: "add-webhook", url: "not a url" });
    expect(bad.status).toBe(400);
    expect((bad.data as { fieldErrors: Record<string, string[]> }).fieldErrors.url?.[0]).toBeTruthy();

    const ok = await post("admin", { intent: "add-webhook", url: "https://hooks.example.com/relink", description: "Ops" });
    expect(ok.status).toBe(200);
    const secret = (ok.data as { created: { secret: string } }).created.secret;
    expect(secret).toMatch(/^whsec_/);
    const page = await settle(async () => loader(args(await requestAs(services, who.admin.id, "/deliveries"))));
    expect(JSON.stringify(page.data)).not.toContain(secret);
    const audits = await t.db.select().from(auditLog).where(eq(auditLog.action, "webhook.create"));
    expect(audits).toHaveLength(1);
    expect(JSON.stringify(audits[0]!.details)).not.toContain(secret);
    // the secret is sealed at rest: no column holds it in plaintext
    const [row] = await t.db.select().from(webhookEndpoints);
    expect(row!.legacySecret).toBeNull();
    expect(row!.secretKeyId).toBe(services.env.MASTER_KEY_ID);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row!.secretCiphertext!.toString("latin1")).not.toContain(secret.slice(6));
  });

  it("refuses a receiver at a loopback, private or link-local address with a message next to the URL", async () => {
    for (const url of ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5432/", "http://[::ffff:10.0.0.1]/hook", "http://localhost:8080/"]) {
      const refused = await post("admin", { intent: "add-webhook", url });
      expect(refused.status, url).toBe(400);
      expect((refused.data as { fieldErrors: Record<string, string[]> }).fieldErrors.url?.[0]).toMatch(/loopback, private or link-local/);
    }
    expect(await t.db.select().from(webhookEndpoints)).toHaveLength(1);
  });

  it("disables and re-enables a receiver", async () => {
    const [endpoint] = await t.db.select().from(webhookEndpoints);
    expect((await post("admin", { intent: "disable-webhook", endpointId: endpoint!.id })).status).toBe(302);
    expect((await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint!.id)))[0]!.active).toBe(false);
    expect((await post("admin", { intent: "enable-webhook", endpointId: endpoint!.id })).status).toBe(302);
    expect((await post("admin", { intent: "enable-webhook", endpointId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
  });
});
