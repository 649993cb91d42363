import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/api-tokens/route.tsx";
import { apiTokens, auditLog } from "../../db/schema/index.ts";
import type { UserRole } from "../../domain/vocabulary.ts";
import { callApi } from "../support/api.ts";
import { requestAs, settle, startRoleConsole } from "../support/services.ts";
import { auditsOf, expectProblem } from "./api-fixtures.ts";

/**
 * The console's API token page (issue 15): admins create a token that is shown once and works
 * against the real API router, see it listed by hint, and revoke it (401 from then on); agents and
 * viewers are refused; the audit log names the token without ever holding it.
 */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
});
afterAll(async () => {
  await fixture?.stop();
});

const args = (request: Request) => ({ request, params: {}, context: { services: fixture.services } });
const post = (role: UserRole, form: Record<string, string>) =>
  requestAs(fixture.services, fixture.who[role].id, "/api-tokens", { form }).then((r) => action(args(r)));
const page = async (role: UserRole) => settle(async () => loader(args(await requestAs(fixture.services, fixture.who[role].id, "/api-tokens"))));

/** Remix's data(): the payload and its ResponseInit. */
function unwrap(value: unknown): { data: Record<string, unknown>; status: number; headers: Headers } {
  const d = value as { type?: string; data: Record<string, unknown>; init: ResponseInit | null };
  expect(d.type).toBe("DataWithResponseInit");
  return { data: d.data, status: d.init?.status ?? 200, headers: new Headers(d.init?.headers) };
}

async function create(form: Record<string, string>) {
  const { data, headers } = unwrap(await post("admin", { intent: "create", ...form }));
  const created = data.created as { name: string; scope: string; token: string };
  return { created, headers };
}

describe("/api-tokens", () => {
  it("is for admins only: agents and viewers get 403 on the page and on every action", async () => {
    expect((await page("admin")).status).toBe(200);
    for (const role of ["agent", "viewer"] as const) {
      expect((await page(role)).status).toBe(403);
      expect((await settle(() => post(role, { intent: "create", name: "sneaky", scope: "write", rateLimitPerMinute: "600" }))).status).toBe(403);
    }
    expect(await fixture.services.db.select().from(apiTokens).where(eq(apiTokens.name, "sneaky"))).toHaveLength(0);
  });

  it("creates a token shown once (no-store), which works against the API, and lists only its hint afterwards", async () => {
    const { created, headers } = await create({ name: "Onboarding service", scope: "write", rateLimitPerMinute: "120" });
    expect(headers.get("Cache-Control")).toBe("no-store");
    expect(created).toMatchObject({ name: "Onboarding service", scope: "write" });
    expect(created.token).toMatch(/^rlk_[A-Za-z0-9_-]{43}$/);

    const call = await callApi(fixture.services, "POST", "/clinics", {
      token: created.token,
      body: { name: "Token Page Physio", timeZone: "Australia/Sydney", country: "au" },
    });
    expect(call.status, JSON.stringify(call.json)).toBe(201);
    expect(call.headers.get("RateLimit-Limit")).toBe("120");

    const listed = await page("admin");
    const { tokens } = listed.data as {
      tokens: { name: string; hint: string; scope: string; lastUsedAt: Date | null; revokedAt: Date | null; creatorName: string }[];
    };
    const row = tokens.find((t) => t.name === "Onboarding service")!;
    expect(row).toMatchObject({ hint: created.token.slice(-4), scope: "write", revokedAt: null, creatorName: "Test admin" });
    expect(row.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.data)).not.toContain(created.token);
    expect(JSON.stringify(listed.data)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
  });

  it("audits create and revoke with name, scope and hint, never the token or its hash", async () => {
    const { created } = await create({ name: "Audited token", scope: "read", rateLimitPerMinute: "" });
    const [stored] = await fixture.services.db.select().from(apiTokens).where(eq(apiTokens.name, "Audited token"));
    expect(stored!.rateLimitPerMinute).toBe(600);
    const [entry] = (await auditsOf(fixture.services, "api_token.create")).filter((a) => (a.details as { name: string }).name === "Audited token");
    expect(entry).toMatchObject({
      actorUserId: fixture.who.admin.id,
      actorLabel: fixture.who.admin.email,
      details: { tokenId: stored!.id, name: "Audited token", scope: "read", hint: created.token.slice(-4), rateLimitPerMinute: 600 },
    });

    await settle(() => post("admin", { intent: "revoke", tokenId: stored!.id, confirmed: "1" }));
    const [revoked] = (await auditsOf(fixture.services, "api_token.revoke")).filter((a) => (a.details as { tokenId: string }).tokenId === stored!.id);
    expect(revoked).toMatchObject({ details: { tokenId: stored!.id, name: "Audited token", scope: "read", hint: created.token.slice(-4) } });

    const everything = JSON.stringify(await fixture.services.db.select({ label: auditLog.actorLabel, details: auditLog.details }).from(auditLog));
    expect(everything).not.toContain(created.token);
    expect(everything).not.toContain(stored!.tokenHash);
  });

  it("asks before revoking; once confirmed the token gets 401 and the list says revoked", async () => {
    const { created } = await create({ name: "To revoke", scope: "read", rateLimitPerMinute: "600" });
    expect((await callApi(fixture.services, "GET", "/failure-codes", { token: created.token })).status).toBe(200);
    const [row] = await fixture.services.db.select().from(apiTokens).where(eq(apiTokens.name, "To revoke"));

    const asked = unwrap(await post("admin", { intent: "revoke", tokenId: row!.id }));
    expect(asked.data.confirm).toMatchObject({ question: expect.stringContaining(`rlk_…${created.token.slice(-4)}`), count: 1 });
    expect((await callApi(fixture.services, "GET", "/failure-codes", { token: created.token })).status).toBe(200);

    const done = await settle(() => post("admin", { intent: "revoke", tokenId: row!.id, confirmed: "1" }));
    expect(done.status).toBe(302);
    expectProblem(await callApi(fixture.services, "GET", "/failure-codes", { token: created.token }), 401, "token_unknown");
    const { tokens } = (await page("admin")).data as { tokens: { name: string; revokedAt: Date | null }[] };
    expect(tokens.find((t) => t.name === "To revoke")!.revokedAt).not.toBeNull();

    const again = unwrap(await post("admin", { intent: "revoke", tokenId: row!.id, confirmed: "1" }));
    expect(again.status).toBe(409);
    expect(again.data.fieldErrors).toMatchObject({ form: [expect.stringContaining("already revoked")] });
  });

  it("refuses a bad form with the message next to its field, and refills it", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ name: "  ", scope: "read", rateLimitPerMinute: "600" }, "name"],
      [{ name: "x".repeat(81), scope: "read", rateLimitPerMinute: "600" }, "name"],
      [{ name: "Bad scope", scope: "admin", rateLimitPerMinute: "600" }, "scope"],
      [{ name: "Too slow", scope: "read", rateLimitPerMinute: "0" }, "rateLimitPerMinute"],
      [{ name: "Too fast", scope: "read", rateLimitPerMinute: "100001" }, "rateLimitPerMinute"],
      [{ name: "Fraction", scope: "read", rateLimitPerMinute: "2.5" }, "rateLimitPerMinute"],
      [{ name: "Words", scope: "read", rateLimitPerMinute: "lots" }, "rateLimitPerMinute"],
    ];
    for (const [form, field] of cases) {
      const r = unwrap(await post("admin", { intent: "create", ...form }));
      expect(r.status, JSON.stringify(form)).toBe(400);
      expect(Object.keys(r.data.fieldErrors as object)).toEqual([field]);
      expect(r.data.values).toMatchObject({ name: form.name });
    }
    expect((await callApi(fixture.services, "GET", "/failure-codes")).status).toBe(401);
    expect(await fixture.services.db.select().from(apiTokens).where(eq(apiTokens.name, "Too fast"))).toHaveLength(0);
  });

  it("answers an unknown token id with the not-found page", async () => {
    const r = await settle(() => post("admin", { intent: "revoke", tokenId: "00000000-0000-4000-8000-000000000000", confirmed: "1" }));
    expect(r.status).toBe(404);
  });
});
