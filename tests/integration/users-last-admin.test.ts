import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureUser } from "../../db/queries/users.ts";
import { users } from "../../db/schema/index.ts";
import { changeUser } from "../../domain/users/manage.ts";
import { isDomainError } from "../../domain/errors.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { waitFor } from "./alerts-fixtures.ts";

// Security item 10: the last-admin rule holds when the last two admins are demoted at the same time.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function activeAdmins() {
  return t.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt)));
}

describe("the last active admin", () => {
  it.each([
    ["demoted", { role: "agent" as const }],
    ["disabled", { disabled: true }],
  ])("cannot be lost to two concurrent changes (%s): one succeeds, the other is refused", async (what, change) => {
    // why: users are kept for the audit log's sake; earlier cases' admins simply stop being admins
    await t.db.update(users).set({ role: "viewer" });
    const a = await ensureUser({ email: `a-${what}@admins.relink`, name: "A", role: "admin", passwordHash: "x" }, t.db);
    const b = await ensureUser({ email: `b-${what}@admins.relink`, name: "B", role: "admin", passwordHash: "x" }, t.db);

    // why: hold the admin rows so both changes are in flight at once before either can write; the
    // old code's count did not wait for this lock, so both counted two admins and both committed
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = t.sql.begin(async (sql) => {
      await sql`select id from users where role = 'admin' for update`;
      locked();
      await held;
    });
    await isLocked;
    const results = Promise.allSettled([
      changeUser({ userId: a, change, actor: { userId: b, label: "b@admins.relink" } }, t.db),
      changeUser({ userId: b, change, actor: { userId: a, label: "a@admins.relink" } }, t.db),
    ]);
    await waitFor("both changes to wait on the admin rows", async () => {
      const [row] = await t.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
      return (row!.n as number) >= 2;
    });
    release();
    await holder;
    const [first, second] = await results;
    const outcomes = [first!, second!].map((r) => (r.status === "fulfilled" ? r.value : isDomainError(r.reason) ? "refused" : r.reason));
    expect(outcomes.sort()).toEqual(["refused", true].sort());
    expect(await activeAdmins()).toHaveLength(1);
  });
});
