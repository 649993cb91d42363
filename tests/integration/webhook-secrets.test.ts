import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getWebhookSigningTarget } from "../../db/queries/alerts.ts";
import { webhookEndpoints } from "../../db/schema/index.ts";
import { createWebhookEndpoint } from "../../domain/alerts/manage.ts";
import { openWebhookSecret, resealWebhookSecrets } from "../../domain/alerts/webhook-secrets.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { generateMasterKey, KeyCryptoError } from "../../domain/secrets/key-crypto.ts";
import { createTestDatabase, pgErrorOf, type TestDatabase } from "../support/db.ts";
import { makeUser } from "./alerts-fixtures.ts";

// Security item 9: webhook signing secrets are encrypted at rest like API keys, bound to their row,
// old plaintext rows are sealed at start, and keys:rotate re-encrypts them.

let t: TestDatabase;
const oldKey = generateMasterKey();
const newKey = generateMasterKey();
const k1 = keyringFromConfig(oldKey, "k1");
const k2 = keyringFromConfig(newKey, "k2", `k1:${oldKey}`);
const targets = { allowPrivate: false, requireHttps: true };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function signingTarget(id: string) {
  return (await getWebhookSigningTarget({ endpointId: id }, t.db))!;
}

describe("webhook signing secrets at rest", () => {
  it("are stored sealed, open with the keyring, and do not open in another row", async () => {
    const agent = await makeUser(t);
    const a = await createWebhookEndpoint({ input: { url: "https://93.184.216.34/a" }, actor: agent, keyring: k1, targets }, t.db);
    const b = await createWebhookEndpoint({ input: { url: "https://93.184.216.34/b" }, actor: agent, keyring: k1, targets }, t.db);
    const rowA = await signingTarget(a.id);
    expect(rowA.legacySecret).toBeNull();
    expect(openWebhookSecret(k1, rowA)).toBe(a.secret);
    // a ciphertext copied into another endpoint's row fails instead of signing with the wrong secret
    const rowB = await signingTarget(b.id);
    expect(() => openWebhookSecret(k1, { ...rowA, id: rowB.id })).toThrow(KeyCryptoError);
  });

  it("a plaintext secret from before sealing is sealed at start, and the database refuses a row with neither form", async () => {
    const id = randomUUID();
    const legacy = `whsec_${"L".repeat(43)}`;
    await t.db.insert(webhookEndpoints).values({ id, url: "https://93.184.216.34/legacy", legacySecret: legacy });
    expect(openWebhookSecret(k1, await signingTarget(id))).toBe(legacy);
    const report = await resealWebhookSecrets({ keyring: k1, rotate: false }, t.db);
    expect(report.sealed).toBe(1);
    const row = await signingTarget(id);
    expect(row.legacySecret).toBeNull();
    expect(row.secretKeyId).toBe("k1");
    expect(openWebhookSecret(k1, row)).toBe(legacy);
    expect((await resealWebhookSecrets({ keyring: k1, rotate: false }, t.db)).sealed).toBe(0);
    expect(await pgErrorOf(t.db.insert(webhookEndpoints).values({ url: "https://93.184.216.34/none" }))).toMatch(/webhook_endpoints_one_secret/);
  });

  it("keys:rotate re-encrypts every secret under the new master key", async () => {
    const before = await t.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints);
    const plain = new Map(await Promise.all(before.map(async ({ id }) => [id, openWebhookSecret(k1, await signingTarget(id))] as const)));
    const report = await resealWebhookSecrets({ keyring: k2, rotate: true }, t.db);
    expect(report).toEqual({ sealed: 0, reencrypted: before.length, unreadable: [] });
    const onlyNew = keyringFromConfig(newKey, "k2");
    for (const [id, secret] of plain) {
      const row = await signingTarget(id);
      expect(row.secretKeyId).toBe("k2");
      expect(openWebhookSecret(onlyNew, row)).toBe(secret);
    }
    expect(await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.secretKeyId, "k1"))).toHaveLength(0);
  });
});
