import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clinics, connections } from "../../db/schema/index.ts";
import { keyringFromConfig, openApiKey, sealApiKey } from "../../domain/connections/key-storage.ts";
import { rotateStoredKeys } from "../../domain/connections/rotate-keys.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("rotating the master key", () => {
  it("re-encrypts every key under the new master key, and the old key no longer opens them", async () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const oldRing = keyringFromConfig(oldKey, "k1");
    const [clinic] = await t.db.insert(clinics).values({ name: "Rotation Physio", timeZone: "Australia/Sydney", country: "AU" }).returning();
    const plaintexts = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const [c] = await t.db
        .insert(clinics)
        .values({ name: `Rotation ${i}`, timeZone: "Europe/London", country: "GB" })
        .returning();
      const id = randomUUID();
      const key = `MS0xMjM0NTY3ODkwYWJjZGVmZ2hp${i}-uk1`;
      plaintexts.set(id, key);
      await t.db.insert(connections).values({
        id,
        clinicId: c!.id,
        vendor: "cliniko",
        region: "uk1",
        apiVersion: "v1",
        ...sealApiKey(oldRing, id, { vendor: "cliniko", key, region: "uk1" }),
      });
    }
    // a connection with no key is left alone
    await t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "nookal", region: "au", apiVersion: "v3" });

    const newRing = keyringFromConfig(newKey, "k2", `k1:${oldKey}`);
    const report = await rotateStoredKeys({ keyring: newRing, pageSize: 2 }, t.db);
    expect(report).toEqual({ examined: 3, reencrypted: 3, unreadable: [] });
    expect((await rotateStoredKeys({ keyring: newRing }, t.db)).reencrypted).toBe(0);

    const rows = await t.db.select().from(connections);
    const onlyNew = keyringFromConfig(newKey, "k2");
    for (const row of rows.filter((r) => r.keyId)) {
      expect(row.keyId).toBe("k2");
      expect(openApiKey(onlyNew, row)).toBe(plaintexts.get(row.id));
      expect(() => openApiKey(oldRing, row)).toThrow();
    }
  });
});
