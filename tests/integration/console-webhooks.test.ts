import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as listAction, headers as listHeaders, loader as listLoader } from "../../app/routes/webhooks._index.tsx";
import { action as detailAction, headers as detailHeaders, loader as detailLoader } from "../../app/routes/webhooks.$subscriptionId/route.tsx";
import { auditLog, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../../db/schema/index.ts";
import { requestAs, settle, startRoleConsole } from "../support/services.ts";

/** The console's webhook pages (docs/webhooks.md): admins manage, every role reads, no secret after its one showing. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
type Role = "viewer" | "agent" | "admin";
const args = (request: Request, params: Record<string, string> = {}) => ({ request, params, context: { services: fixture.services } });
const create = async (role: Role, form: Record<string, string | string[]>) =>
  settle(async () => listAction(args(await requestAs(fixture.services, fixture.who[role].id, "/webhooks", { form: { intent: "create", ...form } }))));
const act = async (role: Role, id: string, form: Record<string, string | string[]>) =>
  settle(async () => detailAction(args(await requestAs(fixture.services, fixture.who[role].id, `/webhooks/${id}`, { form }), { subscriptionId: id })));
const view = async (role: Role, id: string) =>
  settle(async () => detailLoader(args(await requestAs(fixture.services, fixture.who[role].id, `/webhooks/${id}`), { subscriptionId: id })));
const fieldErrors = (r: { data: unknown }) => (r.data as { fieldErrors: Record<string, string[]> }).fieldErrors;

beforeAll(async () => {
  fixture = await startRoleConsole();
});
afterAll(async () => {
  await fixture?.stop();
});

describe("webhook pages", () => {
  let id: string;
  let secret: string;

  it("lets only an admin subscribe, shows the secret once with no-store, and audits without it", async () => {
    expect((await create("agent", { url: "https://93.184.216.34/hook", eventTypes: ["alert.opened"] })).status).toBe(403);
    expect(fieldErrors(await create("admin", { url: "not a url", eventTypes: ["alert.opened"] })).url?.[0]).toMatch(/full URL/);
    expect(fieldErrors(await create("admin", { url: "https://93.184.216.34/hook" })).eventTypes?.[0]).toBe("Choose at least one event type");
    const ssrf = await create("admin", { url: "https://169.254.169.254/latest", eventTypes: ["alert.opened"] });
    expect(ssrf.status).toBe(400);
    expect(fieldErrors(ssrf).url?.[0]).toMatch(/loopback, private or link-local/);

    const request = await requestAs(fixture.services, fixture.who.admin.id, "/webhooks", {
      form: { intent: "create", url: "https://93.184.216.34/hook", description: "Ops", eventTypes: ["alert.opened", "alert.resolved"] },
    });
    const raw = (await listAction(args(request))) as unknown as {
      data: { ok: true; created: { id: string; secret: string } };
      init: { headers: Record<string, string> };
    };
    expect(raw.init.headers["Cache-Control"]).toBe("no-store");
    // the HTML document of that answer (a form posted without JavaScript) carries it too
    for (const headers of [listHeaders, detailHeaders]) {
      const h = new Headers(
        headers({ actionHeaders: new Headers(raw.init.headers), loaderHeaders: new Headers(), parentHeaders: new Headers(), errorHeaders: undefined }),
      );
      expect(h.get("Cache-Control")).toBe("no-store");
    }
    ({ id, secret } = raw.data.created);
    expect(secret).toMatch(/^whsec_/);

    for (const role of ["viewer", "agent", "admin"] as const) {
      const page = await settle(async () => listLoader(args(await requestAs(fixture.services, fixture.who[role].id, "/webhooks"))));
      expect(JSON.stringify(page.data)).not.toContain(secret.slice(6));
      expect((page.data as { subscriptions: { id: string; eventTypes: string[] }[] }).subscriptions).toEqual([
        expect.objectContaining({ id, eventTypes: ["alert.opened", "alert.resolved"] }),
      ]);
      expect(JSON.stringify((await view(role, id)).data)).not.toContain(secret.slice(6));
    }
    const audits = await fixture.services.db.select().from(auditLog).where(eq(auditLog.action, "webhook.create"));
    expect(audits).toHaveLength(1);
    expect(JSON.stringify(audits[0]!.details)).not.toContain(secret.slice(6));
  });

  it("shows the delivery log and redelivers; only admins act", async () => {
    const { db } = fixture.services;
    const [d] = await db
      .insert(webhookDeliveries)
      .values({
        subscriptionId: id,
        eventId: crypto.randomUUID(),
        eventType: "alert.opened",
        status: "dead",
        attemptCount: 1,
        nextAttemptAt: new Date(),
        lastHttpStatus: 503,
      })
      .returning();
    await db.insert(webhookAttempts).values({ deliveryId: d!.id, attempt: 1, at: new Date(), ok: false, httpStatus: 503, durationMs: 40, error: "HTTP 503" });
    const page = (await view("viewer", id)).data as { deliveries: { id: string; status: string; attempts: { httpStatus: number }[] }[] };
    expect(page.deliveries).toEqual([expect.objectContaining({ id: d!.id, status: "dead", attempts: [expect.objectContaining({ httpStatus: 503 })] })]);
    expect((await act("agent", id, { intent: "redeliver", deliveryId: d!.id })).status).toBe(403);
    expect((await act("admin", id, { intent: "redeliver", deliveryId: d!.id })).status).toBe(302);
    expect((await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, d!.id)))[0]!.status).toBe("failed");
    expect((await act("admin", id, { intent: "redeliver", deliveryId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
  });

  it("edits the address, description and events (admins only, audited), refusing a bad address at its field", async () => {
    const { db } = fixture.services;
    const url = "https://93.184.216.34/relink-hooks-moved";
    expect((await act("agent", id, { intent: "update", url, eventTypes: ["alert.opened"] })).status).toBe(403);
    const bad = await act("admin", id, { intent: "update", url: "ftp://nowhere", eventTypes: ["alert.opened"] });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad).url?.[0]).toBeTruthy();
    expect(fieldErrors(await act("admin", id, { intent: "update", url }))).toHaveProperty("eventTypes");
    const saved = await act("admin", id, { intent: "update", url, description: "Moved", eventTypes: ["alert.opened", "sync.failed"] });
    expect(saved.status).toBe(302);
    const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    expect(row).toMatchObject({ url, description: "Moved", eventTypes: ["alert.opened", "sync.failed"] });
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.action, "webhook.update"));
    expect(audit?.details).toMatchObject({ subscriptionId: id, url, eventTypes: ["alert.opened", "sync.failed"] });
  });

  it("disables, enables, rotates after a confirm step, and deletes after one", async () => {
    const { db } = fixture.services;
    expect((await act("admin", id, { intent: "disable" })).status).toBe(302);
    expect((await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)))[0]).toMatchObject({ enabled: false });
    expect((await act("admin", id, { intent: "enable" })).status).toBe(302);

    const ask = await act("admin", id, { intent: "rotate" });
    expect((ask.data as { confirm: { confirmLabel: string } }).confirm.confirmLabel).toBe("Rotate the secret");
    const rotated = await act("admin", id, { intent: "rotate", confirmed: "1" });
    const next = (rotated.data as { secret: string }).secret;
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    expect(JSON.stringify((await view("admin", id)).data)).not.toContain(next.slice(6));

    expect((await act("admin", id, { intent: "delete" })).data).toMatchObject({ confirm: { confirmLabel: "Delete the subscription" } });
    expect((await act("admin", id, { intent: "delete", confirmed: "1" })).status).toBe(302);
    expect((await view("admin", id)).status).toBe(404);
    const actions = (await db.select({ action: auditLog.action }).from(auditLog)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["webhook.redeliver", "webhook.disable", "webhook.enable", "webhook.rotate_secret", "webhook.delete"]));
  });
});
