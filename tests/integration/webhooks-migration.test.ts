import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { getSigningTarget, getSubscription } from "../../db/queries/webhooks.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { encryptWebhookSecret, generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { openWebhookSecret, webhookSigningKey } from "../../domain/webhooks/secrets.ts";

// The data migration of 0038_webhook_subscriptions (docs/decisions/0048): alert webhook receivers
// become subscriptions, keeping their id and sealed secret. Applied on a fresh database: every
// migration before it, an old receiver inserted, then this one.

const MIGRATION = "0038_webhook_subscriptions";
const drizzleDir = path.resolve(import.meta.dirname, "../../drizzle");
let before: string;
let name: string;
let adminUrl: string;
let handle: DbHandle;

function migrationsBefore(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relink-migrations-"));
  fs.cpSync(drizzleDir, dir, { recursive: true });
  const journalPath = path.join(dir, "meta/_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

beforeAll(async () => {
  adminUrl = inject("pgAdminUrl");
  name = `relink_m_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  handle = openDb(u.toString(), { max: 2 });
  before = migrationsBefore(MIGRATION);
}, 120_000);
afterAll(async () => {
  await handle?.close();
  if (before) fs.rmSync(before, { recursive: true, force: true });
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
});

describe(`migration ${MIGRATION}`, () => {
  it("turns each alert webhook receiver into a subscription whose sealed secret still opens", async () => {
    await migrate(handle.db, { migrationsFolder: before });
    const keyring = keyringFromConfig(generateMasterKey(), "k1");
    const active = randomUUID();
    const inactive = randomUUID();
    // the secret format of the alert receivers: whsec_ + base64url
    const secret = `whsec_${randomBytes(32).toString("base64url")}`;
    for (const [id, on] of [
      [active, true],
      [inactive, false],
    ] as const) {
      const sealed = encryptWebhookSecret(keyring, id, secret);
      await handle.sql`insert into webhook_endpoints (id, url, description, secret_ciphertext, secret_iv, secret_tag, secret_key_id, active)
        values (${id}, ${`https://hooks.example.com/${id}`}, 'ops', ${sealed.ciphertext}, ${sealed.iv}, ${sealed.tag}, ${sealed.keyId}, ${on})`;
    }

    await migrate(handle.db, { migrationsFolder: drizzleDir });

    const sub = await getSubscription({ id: active }, handle.db);
    expect(sub).toMatchObject({
      url: `https://hooks.example.com/${active}`,
      description: "ops",
      enabled: true,
      disabledReason: null,
      eventTypes: ["alert.opened", "alert.resolved", "connection.recovered"],
    });
    expect(openWebhookSecret(keyring, (await getSigningTarget({ id: active }, handle.db))!)).toBe(secret);
    // the same key bytes the receiver already holds, read from the base64url form
    expect(webhookSigningKey(secret)).toEqual(Buffer.from(secret.slice(6), "base64url"));
    expect(await getSubscription({ id: inactive }, handle.db)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("Disabled") });
    const [{ exists }] = (await handle.sql`select to_regclass('public.webhook_endpoints') is not null as exists`) as unknown as [{ exists: boolean }];
    expect(exists).toBe(false);
  });
});
