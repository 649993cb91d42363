import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureUser } from "../../db/queries/users.ts";
import { hashPassword } from "../../domain/auth/passwords.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startWebProcess, type WebProcess } from "../support/web-process.ts";

// Security item 8: a failed query's parameters (here a fresh argon2id password hash) must not reach
// stderr, the log or the browser through the server's error handling; the query text and the
// constraint that refused it must.

let t: TestDatabase;
let web: WebProcess;
const ADMIN = { email: "admin@errors.relink", password: "errors-test-password-1" };
const REFUSED_EMAIL = "refused@errors.relink";
const NEW_PASSWORD = "new-user-password-ZQX-4821";

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureUser({ email: ADMIN.email, name: "Admin", role: "admin", passwordHash: await hashPassword(ADMIN.password) }, t.db);
  // why: a constraint the app does not know about makes the insert fail in PostgreSQL itself,
  // exactly like any unexpected database fault would
  await t.sql.unsafe(`alter table users add constraint users_refuse_for_test check (email <> '${REFUSED_EMAIL}') not valid`);
  web = await startWebProcess(t.url);
}, 240_000);

afterAll(async () => {
  await web?.stop();
  await t?.drop();
});

async function signIn(): Promise<string> {
  const res = await fetch(`${web.baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: web.baseUrl, "Sec-Fetch-Site": "same-origin" },
    body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password, redirectTo: "/clinics" }),
  });
  expect(res.status).toBe(302);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");
  expect(cookie).not.toBe("");
  return cookie;
}

describe("server errors", () => {
  it("log the failed query's text and constraint through pino, never its parameters, and show nothing to the browser", async () => {
    const cookie = await signIn();
    const before = web.output().length;
    const res = await fetch(`${web.baseUrl}/users`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie, Origin: web.baseUrl, "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ intent: "create", email: REFUSED_EMAIL, name: "Refused", role: "agent", password: NEW_PASSWORD }),
    });
    expect(res.status).toBe(500);
    const page = await res.text();

    // why: wait for the log line itself, not for a fixed time
    await expect.poll(() => web.output().slice(before), { timeout: 10_000 }).toContain("users_refuse_for_test");
    const logged = web.output().slice(before);
    for (const text of [logged, page]) {
      expect(text).not.toContain("$argon2id$");
      expect(text).not.toContain(NEW_PASSWORD);
      expect(text).not.toMatch(/params:/);
    }
    const line = logged.split("\n").find((l) => l.includes("users_refuse_for_test"))!;
    const entry = JSON.parse(line) as { level: number; msg: string; err: { query?: string; cause?: { constraint?: string; code?: string } } };
    expect(entry.level).toBe(50);
    expect(entry.err.query).toMatch(/^insert into "users"/);
    expect(entry.err.cause).toMatchObject({ constraint: "users_refuse_for_test", code: "23514" });
  });
});
