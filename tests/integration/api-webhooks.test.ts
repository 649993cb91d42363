import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookDeliveries } from "../../db/schema/index.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { startRoleConsole } from "../support/services.ts";
import { auditsOf, expectDocumented, expectProblem } from "./api-fixtures.ts";

/** The webhook subscription endpoints of the JSON API (issue 15): CRUD, secret rotation, the delivery log and redelivery. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let read: string;
let adminWrite: string;
let agentWrite: string;
const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const URL_A = "https://93.184.216.34/relink";

beforeAll(async () => {
  fixture = await startRoleConsole();
  const { services, who } = fixture;
  ({ token: read } = await createTestApiToken(services, { scope: "read", createdBy: who.admin.id }));
  ({ token: adminWrite } = await createTestApiToken(services, { scope: "write", createdBy: who.admin.id, name: "infra" }));
  ({ token: agentWrite } = await createTestApiToken(services, { scope: "write", createdBy: who.agent.id, name: "ops bot" }));
});
afterAll(async () => {
  await fixture?.stop();
});

describe("webhook subscriptions API", () => {
  let id: string;
  let secret: string;

  it("creates a subscription, answering with its secret once (201, no-store)", async () => {
    const { services } = fixture;
    const r = await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: URL_A, description: "infra", eventTypes: ["alert.opened"] } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expectDocumented("createWebhookSubscription", r);
    expect(r.headers.get("Cache-Control")).toBe("no-store");
    const body = r.json as { subscription: { id: string; eventTypes: string[]; enabled: boolean }; secret: string };
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.subscription).toMatchObject({ eventTypes: ["alert.opened"], enabled: true });
    ({ id } = body.subscription);
    secret = body.secret;
    expect(r.headers.get("Location")).toBe(`/api/v1/webhooks/${id}`);

    const all = await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: "https://93.184.216.34/all" } });
    expect((all.json as { subscription: { eventTypes: string[] } }).subscription.eventTypes.length).toBeGreaterThan(5);

    const list = await callApi(services, "GET", "/webhooks", { token: read });
    expectDocumented("listWebhookSubscriptions", list);
    expect((list.json as { data: { id: string }[] }).data.map((s) => s.id)).toContain(id);
    expect(JSON.stringify(list.json)).not.toContain(secret);
    const audits = await auditsOf(services, "webhook.create");
    expect(audits.length).toBe(2);
    expect(JSON.stringify(audits.map((a) => a.details))).not.toContain(secret.slice(6));
  });

  it("refuses bad input with field errors, private targets, and a write token not made by an admin", async () => {
    const { services } = fixture;
    expectProblem(await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: "not a url" } }), 422, "invalid_body");
    expectProblem(await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: URL_A, eventTypes: ["nope"] } }), 422, "invalid_body");
    expectProblem(await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: URL_A, eventTypes: [] } }), 422, "invalid_body");
    const ssrf = await callApi(services, "POST", "/webhooks", { token: adminWrite, body: { url: "https://169.254.169.254/latest" } });
    expectProblem(ssrf, 422, "webhook_target_refused");
    expect((ssrf.json as { errors: { field: string }[] }).errors[0]!.field).toBe("url");
    expectProblem(await callApi(services, "POST", "/webhooks", { token: read, body: { url: URL_A } }), 403, "token_scope");
    expectProblem(await callApi(services, "POST", "/webhooks", { token: agentWrite, body: { url: URL_A } }), 403, "admin_only");
    expectProblem(await callApi(services, "DELETE", `/webhooks/${id}`, { token: agentWrite }), 403, "admin_only");
  });

  it("gets, updates, disables and re-enables a subscription", async () => {
    const { services } = fixture;
    const got = await callApi(services, "GET", `/webhooks/${id}`, { token: read });
    expectDocumented("getWebhookSubscription", got);
    expectProblem(await callApi(services, "GET", `/webhooks/${UNKNOWN}`, { token: read }), 404, "webhook_subscription_not_found");

    const changed = await callApi(services, "PATCH", `/webhooks/${id}`, {
      token: adminWrite,
      body: { eventTypes: ["alert.resolved", "alert.opened"], description: null, enabled: false },
    });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    expectDocumented("updateWebhookSubscription", changed);
    expect(changed.json).toMatchObject({
      eventTypes: ["alert.opened", "alert.resolved"],
      description: null,
      enabled: false,
      disabledReason: "Disabled by API token “infra” (admin@tests.relink)",
    });
    const again = await callApi(services, "PATCH", `/webhooks/${id}`, { token: adminWrite, body: { enabled: true } });
    expect(again.json).toMatchObject({ enabled: true, disabledReason: null });
    expectProblem(await callApi(services, "PATCH", `/webhooks/${UNKNOWN}`, { token: adminWrite, body: { enabled: true } }), 404);
    expectProblem(await callApi(services, "PATCH", `/webhooks/${id}`, { token: adminWrite, body: { secret: "x" } }), 422, "invalid_body");
    expect((await auditsOf(services, "webhook.update")).length).toBe(2);
  });

  it("rotates the secret, answering with the new one only there", async () => {
    const { services } = fixture;
    const r = await callApi(services, "POST", `/webhooks/${id}/rotate-secret`, { token: adminWrite });
    expectDocumented("rotateWebhookSecret", r);
    const next = (r.json as { secret: string }).secret;
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    expect(JSON.stringify((await callApi(services, "GET", `/webhooks/${id}`, { token: read })).json)).not.toContain(next);
    expect(JSON.stringify((await auditsOf(services, "webhook.rotate_secret")).map((a) => a.details))).not.toContain(next.slice(6));
  });

  it("lists deliveries with their attempts and redelivers one", async () => {
    const { services } = fixture;
    const [d] = await services.db
      .insert(webhookDeliveries)
      .values({
        subscriptionId: id,
        eventId: crypto.randomUUID(),
        eventType: "alert.opened",
        status: "dead",
        attemptCount: 1,
        nextAttemptAt: new Date(),
        lastHttpStatus: 500,
      })
      .returning();
    await services.db
      .insert(webhookAttempts)
      .values({ deliveryId: d!.id, attempt: 1, at: new Date(), ok: false, httpStatus: 500, durationMs: 12, error: "HTTP 500" });
    const log = await callApi(services, "GET", `/webhooks/${id}/deliveries?limit=1`, { token: read });
    expectDocumented("listWebhookDeliveries", log);
    expect(log.json).toMatchObject({ data: [{ id: d!.id, status: "dead", nextAttemptAt: null, attempts: [{ attempt: 1, httpStatus: 500 }] }], next: null });
    expectProblem(await callApi(services, "GET", `/webhooks/${id}/deliveries?cursor=bogus`, { token: read }), 400, "invalid_query");
    const got = await callApi(services, "GET", `/webhooks/${id}`, { token: read });
    expectDocumented("getWebhookSubscription", got);
    expect(got.json).toMatchObject({ lastDelivery: { status: "dead", httpStatus: 500 } });

    const r = await callApi(services, "POST", `/webhooks/${id}/deliveries/${d!.id}/redeliver`, { token: adminWrite });
    expect(r.status).toBe(202);
    expectDocumented("redeliverWebhook", r);
    const [row] = await services.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, d!.id));
    expect(row).toMatchObject({ status: "failed", scheduleStartedAt: null });
    expectProblem(await callApi(services, "POST", `/webhooks/${id}/deliveries/${UNKNOWN}/redeliver`, { token: adminWrite }), 404, "webhook_delivery_not_found");
    expect((await auditsOf(services, "webhook.redeliver")).length).toBe(1);
  });

  it("deletes a subscription", async () => {
    const { services } = fixture;
    const r = await callApi(services, "DELETE", `/webhooks/${id}`, { token: adminWrite });
    expect(r.status).toBe(204);
    expectProblem(await callApi(services, "GET", `/webhooks/${id}`, { token: read }), 404);
    expectProblem(await callApi(services, "DELETE", `/webhooks/${id}`, { token: adminWrite }), 404);
  });
});
