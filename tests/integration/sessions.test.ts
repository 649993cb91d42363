import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as loginAction } from "../../app/routes/login.tsx";
import { action as logoutAction } from "../../app/routes/logout.tsx";
import { action as usersAction } from "../../app/routes/users.tsx";
import { getUser, redirectWithFlash, SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS, takeFlash } from "../../app/session.server.ts";
import { sessions } from "../../db/schema/index.ts";
import { handleMaintenanceSweep } from "../../workers/handlers/maintenance.ts";
import type { TestDatabase } from "../support/db.ts";

import { requestAs, settle, type TestServices, startRoleConsole } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof startRoleConsole>>["who"];
const args = (request: Request) => ({ request, params: {}, context: { services, clientAddress: "192.0.2.1" } });

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ t, services, who } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

/** Signs in through the login action; returns the Cookie header value the browser would send back. */
async function signInCookie(email: string): Promise<string> {
  const r = await settle(async () =>
    loginAction(args(await requestAs(services, null, "/login", { form: { email, password: "test-password-123", redirectTo: "/clinics" } }))),
  );
  expect(r.status).toBe(302);
  return r.response!.headers.get("Set-Cookie")!.split(";")[0]!;
}
const withCookie = (cookie: string, path = "/clinics") => new Request(`http://localhost${path}`, { headers: { Cookie: cookie } });
const userOf = (cookie: string) => getUser(withCookie(cookie), services);

describe("server-side sessions (issue 10, Security 6)", () => {
  it("the cookie carries only a random session id; the table stores its hash", async () => {
    const cookie = await signInCookie(who.viewer.email);
    const value = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
    const decoded = Buffer.from(value.split(".")[0]!, "base64").toString("latin1");
    expect(decoded).not.toContain(who.viewer.id);
    expect(decoded).not.toContain("userId");
    expect((await userOf(cookie))?.id).toBe(who.viewer.id);
    const rows = await t.db.select().from(sessions).where(eq(sessions.userId, who.viewer.id));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(decoded).not.toContain(row.id);
  });

  it("logout ends the session on the server, so a copied cookie stops working", async () => {
    const cookie = await signInCookie(who.viewer.email);
    const out = await settle(() => logoutAction(args(new Request("http://localhost/logout", { method: "POST", headers: { Cookie: cookie } }))));
    expect(out.status).toBe(302);
    expect(await userOf(cookie)).toBeNull();
  });

  it("disabling a user and changing a role end that user's sessions; other users keep theirs", async () => {
    const agentCookie = await signInCookie(who.agent.email);
    const viewerCookie = await signInCookie(who.viewer.email);
    const change = (form: Record<string, string>) => settle(async () => usersAction(args(await requestAs(services, who.admin.id, "/users", { form }))));
    expect((await change({ intent: "role", userId: who.agent.id, role: "viewer" })).status).toBe(302);
    expect(await userOf(agentCookie)).toBeNull();
    expect((await userOf(viewerCookie))?.id).toBe(who.viewer.id);
    const again = await signInCookie(who.agent.email);
    expect((await change({ intent: "disable", userId: who.agent.id, confirmed: "1" })).status).toBe(302);
    expect(await userOf(again)).toBeNull();
    await change({ intent: "enable", userId: who.agent.id });
    await change({ intent: "role", userId: who.agent.id, role: "agent" });
    // enabling does not bring the old session back
    expect(await userOf(again)).toBeNull();
  });

  it(`expires after ${SESSION_IDLE_SECONDS / 60} idle minutes and ${SESSION_ABSOLUTE_SECONDS / 3600} hours at most, checked on the server`, async () => {
    // rows are aged directly in PostgreSQL, as time passing would; the cookie itself never changes
    const idle = await signInCookie(who.viewer.email);
    expect(await userOf(idle)).not.toBeNull();
    await t.db.execute(sql`update sessions set last_seen_at = now() - interval '31 minutes' where revoked_at is null and user_id = ${who.viewer.id}`);
    expect(await userOf(idle)).toBeNull();
    const old = await signInCookie(who.viewer.email);
    expect(await userOf(old)).not.toBeNull();
    await t.db.execute(sql`update sessions set expires_at = now() - interval '1 second' where revoked_at is null and user_id = ${who.viewer.id}`);
    expect(await userOf(old)).toBeNull();
    const [row] = await t.db.execute<{ hours: number }>(
      sql`select extract(epoch from max(expires_at - created_at)) / 3600 as hours from sessions where user_id = ${who.viewer.id}`,
    );
    expect(Number(row!.hours)).toBe(12);
  });

  it("a request moves the idle clock on, at most once a minute", async () => {
    const cookie = await signInCookie(who.admin.email);
    await t.db.execute(sql`update sessions set last_seen_at = now() - interval '20 minutes' where revoked_at is null and user_id = ${who.admin.id}`);
    expect(await userOf(cookie)).not.toBeNull();
    const [row] = await t.db.execute<{ age: number }>(
      sql`select extract(epoch from now() - max(last_seen_at))::int as age from sessions where revoked_at is null and user_id = ${who.admin.id}`,
    );
    expect(row!.age).toBeLessThan(5);
  });

  it("flash messages live in the session row and are shown once", async () => {
    const cookie = await signInCookie(who.admin.email);
    await redirectWithFlash(withCookie(cookie), services, "/users", "Saved.");
    expect((await takeFlash(withCookie(cookie), services)).flash).toEqual({ message: "Saved.", tone: "ok" });
    expect((await takeFlash(withCookie(cookie), services)).flash).toBeNull();
  });

  it("in production the cookie is __Host- and Secure", async () => {
    const prod = { ...services, env: { ...services.env, NODE_ENV: "production" as const } };
    const r = await settle(async () =>
      loginAction({
        request: await requestAs(services, null, "/login", { form: { email: who.viewer.email, password: "test-password-123" } }),
        params: {},
        context: { services: prod },
      }),
    );
    expect(r.response!.headers.get("Set-Cookie")).toMatch(/^__Host-relink=[^;]+; .*Path=\/;.*HttpOnly; Secure; SameSite=Lax/);
  });

  it("the maintenance sweep drops sessions that ended more than a day ago", async () => {
    const cookie = await signInCookie(who.viewer.email);
    await t.db.execute(sql`update sessions set expires_at = now() - interval '2 days' where revoked_at is null and user_id = ${who.viewer.id}`);
    const swept = await handleMaintenanceSweep({ db: t.db, logger: services.logger });
    expect(swept.sessions).toBeGreaterThan(0);
    expect(await userOf(cookie)).toBeNull();
  });
});
