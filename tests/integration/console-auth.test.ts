import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "../../db/schema/index.ts";
import { action as loginAction } from "../../app/routes/login.tsx";
import { loader as auditLoader } from "../../app/routes/audit.tsx";
import { action as usersAction, loader as usersLoader } from "../../app/routes/users.tsx";
import type { TestDatabase } from "../support/db.ts";

import { requestAs, settle, type TestServices, startRoleConsole } from "../support/services.ts";

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof startRoleConsole>>["who"];
const args = (request: Request) => ({ request, params: {}, context: { services } });

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ t, services, who } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

describe("roles on the users page", () => {
  it("sends a signed-out visitor to sign in", async () => {
    const r = await settle(() => usersLoader(args(new Request("http://localhost/users"))));
    expect(r.status).toBe(302);
    expect(r.response!.headers.get("Location")).toBe("/login?redirectTo=%2Fusers");
  });

  it.each([
    ["viewer", 403],
    ["agent", 403],
    ["admin", 200],
  ] as const)("%s reading users → %i", async (role, status) => {
    const r = await settle(async () => usersLoader(args(await requestAs(services, who[role].id, "/users"))));
    expect(r.status).toBe(status);
  });

  it.each(["viewer", "agent"] as const)("%s cannot create a user (403, nothing written)", async (role) => {
    const form = { intent: "create", email: `new-${role}@tests.relink`, name: "New", role: "agent", password: "a-long-password-1" };
    const r = await settle(async () => usersAction(args(await requestAs(services, who[role].id, "/users", { form }))));
    expect(r.status).toBe(403);
    expect(await t.db.select().from(users).where(eq(users.email, form.email))).toHaveLength(0);
  });

  it("admin creates a user, with an audit row", async () => {
    const form = { intent: "create", email: "New.Person@Tests.Relink", name: "New Person", role: "viewer", password: "a-long-password-1" };
    const r = await settle(async () => usersAction(args(await requestAs(services, who.admin.id, "/users", { form }))));
    expect(r.status).toBe(302);
    const [row] = await t.db.select().from(users).where(eq(users.email, "new.person@tests.relink"));
    expect(row?.role).toBe("viewer");
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.action, "user.create"));
    expect(audit.map((a) => a.actorLabel)).toContain(who.admin.email);
  });

  it("answers 400 with errors next to their fields", async () => {
    const form = { intent: "create", email: "not-an-email", name: "", role: "boss", password: "short" };
    const r = await settle(async () => usersAction(args(await requestAs(services, who.admin.id, "/users", { form }))));
    expect(r.status).toBe(400);
    const errors = (r.data as { fieldErrors: Record<string, string[]> }).fieldErrors;
    expect(Object.keys(errors).sort()).toEqual(["email", "name", "password", "role"]);
  });

  it("refuses an unknown intent", async () => {
    const r = await settle(async () =>
      usersAction(args(await requestAs(services, who.admin.id, "/users", { form: { intent: "delete", userId: who.agent.id } }))),
    );
    expect(r.status).toBe(400);
  });

  it("never demotes the last active admin", async () => {
    const form = { intent: "role", userId: who.admin.id, role: "agent" };
    const r = await settle(async () => usersAction(args(await requestAs(services, who.admin.id, "/users", { form }))));
    expect(r.status).toBe(400);
    expect((r.data as { fieldErrors: { form: string[] } }).fieldErrors.form[0]).toMatch(/last active admin/);
  });

  it("disables an account, which then cannot use its session", async () => {
    const r = await settle(async () =>
      usersAction(args(await requestAs(services, who.admin.id, "/users", { form: { intent: "disable", userId: who.agent.id, confirmed: "1" } }))),
    );
    expect(r.status).toBe(302);
    const after = await settle(async () => auditLoader(args(await requestAs(services, who.agent.id, "/audit"))));
    expect(after.status).toBe(302);
    await settle(async () => usersAction(args(await requestAs(services, who.admin.id, "/users", { form: { intent: "enable", userId: who.agent.id } }))));
  });
});

describe("sign-in", () => {
  const attempt = (email: string, password: string) =>
    settle(async () => loginAction(args(await requestAs(services, null, "/login", { form: { email, password, redirectTo: "/clinics" } }))));

  it("signs in with the right password and audits it", async () => {
    const r = await attempt(who.viewer.email, "test-password-123");
    expect(r.status).toBe(302);
    expect(r.response!.headers.get("Set-Cookie")).toMatch(/__relink=.*HttpOnly.*SameSite=Lax/i);
  });

  it("rate-limits failed sign-ins per account, then refuses even the right password", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(who.agent.email, "wrong-password")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await attempt(who.agent.email, "test-password-123");
    expect(right.status).toBe(429);
    expect((right.data as { formError: string }).formError).toMatch(/Too many failed sign-ins/);
    // another account is unaffected
    expect((await attempt(who.viewer.email, "test-password-123")).status).toBe(302);
  });
});

describe("audit page", () => {
  it("lets every role read the log, newest first, filtered by action", async () => {
    const r = await settle(async () => auditLoader(args(await requestAs(services, who.viewer.id, "/audit?action=user.create"))));
    expect(r.status).toBe(200);
    const data = r.data as { rows: { action: string; actorLabel: string }[] };
    expect(data.rows.length).toBeGreaterThan(0);
    expect(data.rows.every((row) => row.action === "user.create")).toBe(true);
  });
});
