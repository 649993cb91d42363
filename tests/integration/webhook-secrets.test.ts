import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSigningTarget } from "../../db/queries/webhooks.ts";
import { webhookSubscriptions } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { generateMasterKey, KeyCryptoError } from "../../domain/secrets/key-crypto.ts";
import { openWebhookSecret, resealWebhookSecrets } from "../../domain/webhooks/secrets.ts";
import { createSubscription } from "../../domain/webhooks/subscriptions.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { makeUser } from "./alerts-fixtures.ts";

// Security item 9: webhook signing secrets are encrypted at rest like API keys, bound to their row,
// and keys:rotate re-encrypts them (docs/decisions/0024, 0048).

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
  return (await getSigningTarget({ id }, t.db))!;
}

describe("webhook signing secrets at rest", () => {
  it("are Standard Webhooks secrets stored sealed, open with the keyring, and do not open in another row", async () => {
    const agent = await makeUser(t);
    const a = await createSubscription({ input: { url: "https://93.184.216.34/a" }, actor: agent, keyring: k1, targets }, t.db);
    const b = await createSubscription({ input: { url: "https://93.184.216.34/b" }, actor: agent, keyring: k1, targets }, t.db);
    expect(a.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const rowA = await signingTarget(a.id);
    expect(rowA.secretCiphertext.toString("utf8")).not.toContain(a.secret.slice(6));
    expect(openWebhookSecret(k1, rowA)).toBe(a.secret);
    // a ciphertext copied into another subscription's row fails instead of signing with the wrong secret
    const rowB = await signingTarget(b.id);
    expect(() => openWebhookSecret(k1, { ...rowA, id: rowB.id })).toThrow(KeyCryptoError);
  });

  it("keys:rotate re-encrypts every secret under the new master key", async () => {
    const before = await t.db.select({ id: webhookSubscriptions.id }).from(webhookSubscriptions);
    const plain = new Map(await Promise.all(before.map(async ({ id }) => [id, openWebhookSecret(k1, await signingTarget(id))] as const)));
    const report = await resealWebhookSecrets({ keyring: k2 }, t.db);
    expect(report).toEqual({ reencrypted: before.length, unreadable: [] });
    const onlyNew = keyringFromConfig(newKey, "k2");
    for (const [id, secret] of plain) {
      const row = await signingTarget(id);
      expect(row.secretKeyId).toBe("k2");
      expect(openWebhookSecret(onlyNew, row)).toBe(secret);
    }
    expect(await t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.secretKeyId, "k1"))).toHaveLength(0);
    expect(await resealWebhookSecrets({ keyring: k2 }, t.db)).toEqual({ reencrypted: 0, unreadable: [] });
  });
});
