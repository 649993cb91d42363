import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/deliveries.tsx";
import { auditLog, emailOutbox, webhookEndpoints } from "../../db/schema/index.ts";
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
  await t.db.insert(emailOutbox).values([
    { to: "admin@harbour.example", subject: "Harbourside Physiotherapy: Key rejected", text: "Your key was rejected." },
    { to: "support@vendor.example", subject: "Recovered: Harbourside", text: "Connected again.", sentAt: new Date() },
  ]);
});
afterAll(async () => {
  await services?.stop();
  await t?.drop();
});

const post = async (role: "viewer" | "agent" | "admin", form: Record<string, string>) =>
  settle(async () => action(args(await requestAs(services, who[role].id, "/deliveries", { form }))));

describe("deliveries page", () => {
  it("shows the outbox to every role, and filters to unsent", async () => {
    const all = await settle(async () => loader(args(await requestAs(services, who.viewer.id, "/deliveries"))));
    expect((all.data as { outbox: { total: number } }).outbox.total).toBe(2);
    const unsent = await settle(async () => loader(args(await requestAs(services, who.viewer.id, "/deliveries?unsent=1"))));
    expect((unsent.data as { outbox: { rows: { to: string }[] } }).outbox.rows.map((r) => r.to)).toEqual(["admin@harbour.example"]);
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
