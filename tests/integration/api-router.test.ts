import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens } from "../../db/schema/index.ts";
import { FAILURE_CODES } from "../../domain/vocabulary.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { startRoleConsole } from "../support/services.ts";

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let readToken: string;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ token: readToken } = await createTestApiToken(fixture.services, { scope: "read", createdBy: fixture.who.admin.id }));
});
afterAll(async () => {
  await fixture?.stop();
});

describe("the API router", () => {
  it("answers 401 problem details without a token, with a Bearer challenge", async () => {
    const r = await callApi(fixture.services, "GET", "/failure-codes");
    expect(r.status).toBe(401);
    expect(r.headers.get("Content-Type")).toBe("application/problem+json");
    expect(r.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(r.json).toMatchObject({ status: 401, title: "Unauthorized", code: "token_missing" });
  });

  it("refuses a well-formed token that was never issued, and a revoked one", async () => {
    const never = await callApi(fixture.services, "GET", "/failure-codes", { token: `rlk_${"A".repeat(43)}` });
    expect(never.status).toBe(401);
    const { id, token } = await createTestApiToken(fixture.services, { scope: "read", createdBy: fixture.who.admin.id, name: "to revoke" });
    expect((await callApi(fixture.services, "GET", "/failure-codes", { token })).status).toBe(200);
    await fixture.services.db.update(apiTokens).set({ revokedAt: new Date(), revokedBy: fixture.who.admin.id }).where(eq(apiTokens.id, id));
    expect((await callApi(fixture.services, "GET", "/failure-codes", { token })).status).toBe(401);
  });

  it("serves the taxonomy to a read token and stamps its last use", async () => {
    const r = await callApi(fixture.services, "GET", "/failure-codes", { token: readToken });
    expect(r.status).toBe(200);
    expect((r.json as { data: { code: string }[] }).data.map((d) => d.code)).toEqual([...FAILURE_CODES]);
    const rows = await fixture.services.db.select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens);
    expect(rows.some((row) => row.lastUsedAt !== null)).toBe(true);
  });

  it("answers 404 for an unknown path and 405 with Allow for a wrong method", async () => {
    const missing = await callApi(fixture.services, "GET", "/nothing-here", { token: readToken });
    expect(missing.status).toBe(404);
    const wrong = await callApi(fixture.services, "DELETE", "/failure-codes", { token: readToken });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("Allow")).toBe("GET");
  });
});
