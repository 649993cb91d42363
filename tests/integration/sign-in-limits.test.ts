import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import { rateLimitHits } from "../../db/schema/index.ts";
import * as passwords from "../../domain/auth/passwords.ts";
import { signIn } from "../../domain/auth/sign-in.ts";
import { handleMaintenanceSweep, MAINTENANCE_CRON, startMaintenance } from "../../workers/handlers/maintenance.ts";
import type { TestDatabase } from "../support/db.ts";

import { type TestServices, startRoleConsole } from "../support/services.ts";

// why: counts how many attempts reach the (real) password check; the database is real
vi.mock(import("../../domain/auth/passwords.ts"), async (importOriginal) => {
  const real = await importOriginal();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});

let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof startRoleConsole>>["who"];
const PASSWORD = "test-password-123";

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ t, services, who } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

describe("sign-in limits (issue 10, Security 3)", () => {
  it("60 concurrent wrong guesses and the right password: at most the account limit are verified", async () => {
    const verify = vi.mocked(passwords.verifyPassword);
    verify.mockClear();
    const now = new Date("2026-11-23T09:01:00Z");
    const attempts = [...Array.from({ length: 59 }, (_, i) => `wrong-${i}`), PASSWORD];
    const results = await Promise.all(attempts.map((password, i) => signIn({ email: who.agent.email, password, clientAddress: `198.51.100.${i}`, now }, t.db)));
    expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
    expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(verify.mock.calls.length);
    expect(results.filter((r) => !r.ok && r.reason === "rate_limited").length).toBeGreaterThanOrEqual(55);
  });

  it("only failures use up the limit: right passwords are refunded", async () => {
    const now = new Date("2026-11-23T09:20:00Z");
    for (let i = 0; i < 8; i++) expect((await signIn({ email: who.viewer.email, password: PASSWORD, clientAddress: "192.0.2.7", now }, t.db)).ok).toBe(true);
    const rows = await t.db.select().from(rateLimitHits).where(like(rateLimitHits.bucket, "sign-in%"));
    expect(rows.filter((r) => r.bucket.endsWith(who.viewer.email) || r.bucket.endsWith("192.0.2.7"))).toEqual([]);
  });

  it("one address failing over many accounts is stopped by its own limit before it locks them", async () => {
    const now = new Date("2026-11-23T09:40:00Z");
    const emails = ["a", "b", "c", "d"].map((n) => `spray-${n}@tests.relink`);
    const results = [];
    for (const email of emails) for (let i = 0; i < 5; i++) results.push(await signIn({ email, password: "guess", clientAddress: "192.0.2.66", now }, t.db));
    expect(results.slice(10).every((r) => !r.ok && r.reason === "rate_limited" && r.scope === "address")).toBe(true);
    // the admin's account was never touched by that address, so the admin signs in from theirs
    const admin = await signIn({ email: who.admin.email, password: PASSWORD, clientAddress: "192.0.2.10", now }, t.db);
    expect(admin.ok).toBe(true);
    // and the sprayed third account is not locked for anyone else
    const [third] = await t.db
      .select()
      .from(rateLimitHits)
      .where(and(eq(rateLimitHits.bucket, `sign-in:${emails[2]}`)));
    expect(third).toBeUndefined();
  });
});

describe("the rate-limit table is swept on a schedule", () => {
  it("the maintenance sweep drops windows older than a day and keeps today's", async () => {
    const now = new Date("2026-11-23T12:00:00Z");
    await hitRateLimit({ bucket: "sweep:old", limit: 5, windowSeconds: 900, now: new Date("2026-11-21T12:00:00Z") }, t.db);
    await hitRateLimit({ bucket: "sweep:new", limit: 5, windowSeconds: 900, now }, t.db);
    await handleMaintenanceSweep({ db: t.db, logger: services.logger }, now);
    const left = (await t.db.select().from(rateLimitHits).where(like(rateLimitHits.bucket, "sweep:%"))).map((r) => r.bucket);
    expect(left).toEqual(["sweep:new"]);
  });

  it("the worker schedules it as a pg-boss cron queue from the catalog", async () => {
    await startMaintenance(services.boss, { db: t.db, logger: services.logger });
    const schedules = await services.boss.getSchedules();
    expect(schedules.map((s) => [s.name, s.cron])).toContainEqual(["maintenance-sweep", MAINTENANCE_CRON]);
  });
});
