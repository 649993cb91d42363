import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clinics, users } from "../../db/schema/index.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { DEMO_ADMIN, seedDemoFleet } from "../../scripts/seed-demo.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

// Security item 10: the demo admin (a published password) is never seeded in production.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("the demo seed", () => {
  it("refuses in production and writes nothing", async () => {
    await expect(seedDemoFleet({ databaseUrl: t.url, masterKey: generateMasterKey(), masterKeyId: "k1", nodeEnv: "production" })).rejects.toThrow(
      /never seeded in production/,
    );
    expect(await t.db.select({ email: users.email }).from(users)).toEqual([]);
    expect(await t.db.select({ id: clinics.id }).from(clinics)).toEqual([]);
  });

  it("seeds the demo admin and fleet outside production", async () => {
    const seeded = await seedDemoFleet({ databaseUrl: t.url, masterKey: generateMasterKey(), masterKeyId: "k1", nodeEnv: "development" });
    expect(seeded.created).toBe(seeded.clinics);
    expect((await t.db.select({ email: users.email }).from(users)).map((u) => u.email)).toContain(DEMO_ADMIN.email);
  });
});
