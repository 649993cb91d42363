import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { getNookalToken } from "../../db/queries/nookal-tokens.ts";
import { nookalAccessTokens } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { createPostgresTokenStore } from "../../domain/connections/nookal-token-store.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import type { VendorClientDeps } from "../../domain/vendors/client.ts";
import { VendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { createMemoryTokenStore, nookalTokenId } from "../../domain/vendors/nookal-token-store.ts";
import type { VendorSettings } from "../../domain/vendors/types.ts";
import { controlClient, simulatorVendorSettings, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createLogger } from "../../lib/logger.ts";
import { handleMaintenanceSweep } from "../../workers/handlers/maintenance.ts";

/**
 * One Nookal token per key, shared through Postgres by every process: a new token may invalidate
 * older ones (the simulator's default, nookalTokensPerKey "one"), so two processes that each
 * minted their own would keep knocking each other out.
 */
let t: TestDatabase;
let secondProcess: DbHandle;
let sim: SimulatorHandle;
let control: ControlClient;
let settings: VendorSettings;
const keyring = keyringFromConfig(generateMasterKey(), "k1");

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ seed: 9, demo: false })]);
  // why: a second pool on the same database stands in for another process (web vs worker)
  secondProcess = openDb(t.url, { max: 3, applicationName: "relink-test-second" });
  control = controlClient(sim.url);
  settings = simulatorVendorSettings(sim.url, { timeoutMs: 3000 });
});
afterAll(async () => {
  await secondProcess.close();
  await Promise.all([t.drop(), sim.close()]);
});

function tokenCalls() {
  const calls: string[] = [];
  const f: typeof fetch = (input, init) => {
    if (String(input).endsWith("/oauth/token")) calls.push(String(input));
    return fetch(input, init);
  };
  return { calls, fetch: f };
}

function client(key: string, deps: VendorClientDeps) {
  return createVendorClient({ vendor: "nookal", key, region: "au", apiVersion: "v3" }, settings, { retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...deps });
}

describe("the shared Nookal token store", () => {
  it("lets two processes' clients share one token, and refreshes an expired one exactly once", async () => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 450 }] });
    const key = account.keys[0]!.key;
    const spy = tokenCalls();
    let now = Date.now();
    const web = { tokenStore: createPostgresTokenStore({ db: t.db, keyring }), fetch: spy.fetch, now: () => now };
    const worker = { tokenStore: createPostgresTokenStore({ db: secondProcess.db, keyring }), fetch: spy.fetch, now: () => now };
    await control.setSettings({ tokenTtlSeconds: 60 });
    try {
      const first = await client(key, web).verify({ requireClinicalNotes: false });
      await control.setSettings({ tokenTtlSeconds: 3600 });
      const second = await client(key, worker).verify({ requireClinicalNotes: false });
      expect(second.visiblePatients).toBe(first.visiblePatients);
      expect(spy.calls).toHaveLength(1);

      // why: a minute on, by both processes' clocks, the 60 s token is due; everyone wants a new one at once
      now += 60_000;
      const counts = await Promise.all([client(key, web), client(key, worker), client(key, web), client(key, worker)].map((c) => c.countPatients()));
      expect(new Set(counts)).toEqual(new Set([first.visiblePatients]));
      expect(spy.calls).toHaveLength(2);
      expect(await control.nookalTokens(key)).toMatchObject({ live: 1, issued: 2 });

      // the vendor expires the token ("Token has expired", HTTP 400): still exactly one new token
      await control.expireNookalTokens();
      await Promise.all([client(key, web).countPatients(), client(key, worker).countPatients(), client(key, worker).countPatients()]);
      expect(spy.calls).toHaveLength(3);
      expect(await control.nookalTokens(key)).toMatchObject({ live: 1, issued: 3 });
    } finally {
      await control.setSettings({ tokenTtlSeconds: 3600 });
    }
  });

  it("is what separate per-process caches are not: they knock each other's token out", async () => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 50 }] });
    const key = account.keys[0]!.key;
    const spy = tokenCalls();
    const a = { tokenStore: createMemoryTokenStore(), fetch: spy.fetch };
    const b = { tokenStore: createMemoryTokenStore(), fetch: spy.fetch };
    await client(key, a).countPatients();
    await client(key, b).countPatients();
    // why: b's token superseded a's, so a must mint again — the churn the shared store removes
    await client(key, a).countPatients();
    expect(spy.calls).toHaveLength(3);
  });

  it("stores the token sealed and bound to its row, and names the key only by a hash", async () => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 5 }] });
    const key = account.keys[0]!.key;
    const store = createPostgresTokenStore({ db: t.db, keyring });
    await client(key, { tokenStore: store }).countPatients();
    const id = nookalTokenId("au", settings.nookalV3BaseUrls.au!, key);
    const row = await getNookalToken({ id }, t.db);
    const token = (await store.get(id))!.token;
    expect(token.length).toBeGreaterThan(10);
    expect(row!.ciphertext.toString("utf8")).not.toContain(token);
    expect(id).not.toContain(key);
    const rows = await t.db.select().from(nookalAccessTokens);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(key);
    // why: a ciphertext copied under another key's row id does not open there
    await t.db.insert(nookalAccessTokens).values({
      id: "someone-else",
      tokenCiphertext: row!.ciphertext,
      tokenIv: row!.iv,
      tokenTag: row!.tag,
      tokenKeyId: row!.keyId,
      expiresAt: row!.expiresAt,
    });
    expect(await store.get("someone-else")).toBeUndefined();
  });

  it("stores nothing when the key is refused", async () => {
    const account = await control.createNookalAccount({ region: "au" });
    const key = account.keys[0]!.key;
    await control.disableNookalKey(key);
    const err = await client(key, { tokenStore: createPostgresTokenStore({ db: t.db, keyring }) })
      .countPatients()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect((err as VendorError).vendorMessage).toBe("This API key has been disabled");
    expect(await getNookalToken({ id: nookalTokenId("au", settings.nookalV3BaseUrls.au!, key) }, t.db)).toBeUndefined();
  });

  it("the worker's maintenance sweep drops tokens that lapsed over a day ago, and keeps live ones", async () => {
    const live = { tokenCiphertext: Buffer.from("x"), tokenIv: Buffer.alloc(12), tokenTag: Buffer.alloc(16), tokenKeyId: "k1" };
    const now = new Date();
    await t.db.insert(nookalAccessTokens).values([
      { id: "sweep-lapsed", ...live, expiresAt: new Date(now.getTime() - 2 * 86_400_000) },
      { id: "sweep-live", ...live, expiresAt: new Date(now.getTime() + 3600_000) },
    ]);
    const swept = await handleMaintenanceSweep({ db: t.db, logger: createLogger({ name: "test", level: "silent", pretty: false }) }, now);
    expect(swept.nookalTokens).toBeGreaterThanOrEqual(1);
    const ids = (await t.db.select({ id: nookalAccessTokens.id }).from(nookalAccessTokens)).map((r) => r.id);
    expect(ids).toContain("sweep-live");
    expect(ids).not.toContain("sweep-lapsed");
  });
});
