import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VendorClientDeps } from "../../domain/vendors/client.ts";
import { VendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient, findWorkingRegion } from "../../domain/vendors/factory.ts";
import { createMemoryTokenStore } from "../../domain/vendors/nookal-token-store.ts";
import type { VendorSettings } from "../../domain/vendors/types.ts";
import { controlClient, simulatorVendorSettings, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { isoSeconds } from "../../simulator/time.ts";
import { datasetOf, type NookalAccount } from "../../simulator/world.ts";

/** Contract tests: the Nookal clients (v3 GraphQL, v2 REST) against the simulator over real HTTP. */

let sim: SimulatorHandle;
let control: ControlClient;
let settings: VendorSettings;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, anchor: Date.UTC(2025, 2, 14), demo: false });
  control = controlClient(sim.url);
  settings = simulatorVendorSettings(sim.url, { timeoutMs: 2000 });
});
afterAll(async () => {
  await sim.close();
});

function countingFetch() {
  const calls: string[] = [];
  const f: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? "GET"} ${String(input).replace(sim.url, "")}`);
    return fetch(input, init);
  };
  return { calls, fetch: f };
}

function nookal(key: string, region: string, apiVersion: "v2" | "v3" = "v3", deps: VendorClientDeps = {}, s: VendorSettings = settings) {
  // why: a fresh token store per client keeps tests independent of each other's tokens
  return createVendorClient({ vendor: "nookal", key, region, apiVersion }, s, {
    tokenStore: createMemoryTokenStore(),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...deps,
  });
}

async function failure(promise: Promise<unknown>): Promise<VendorError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(VendorError);
    return err as VendorError;
  }
  throw new Error("expected a VendorError, but the call succeeded");
}

/** Patients the simulator holds for an account and does not treat as deleted. */
function livePatients(accountId: string): number {
  return datasetOf(sim.world, sim.world.nookal.accounts.get(accountId) as NookalAccount).patients.filter((p) => p.deletedAt === null).length;
}

async function collect<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page.items);
  return out;
}

describe("Nookal v3 keys and regions", () => {
  it("verifies a key in each region: locations (the account's identity), visible patients", async () => {
    for (const region of ["au", "eu", "us"] as const) {
      const account = await control.createNookalAccount({
        region,
        locations: [
          { name: "North", patients: 120 },
          { name: "South", patients: 30 },
        ],
      });
      const result = await nookal(account.keys[0]!.key, region).verify();
      const ids = account.locations.map((l) => l.id).sort();
      expect(result).toMatchObject({ vendor: "nookal", region, apiVersion: "v3", user: { id: `locations:${ids.join(",")}`, name: "North, South" } });
      expect(result.locations.map((l) => l.name)).toEqual(["North", "South"]);
      expect(result.visiblePatients).toBe(livePatients(account.id));
      expect(result.visiblePatients).toBeGreaterThan(130);
    }
  });

  it("keeps the access token until it expires, then fetches a new one", async () => {
    const account = await control.createNookalAccount({ region: "au" });
    const spy = countingFetch();
    const store = createMemoryTokenStore();
    let now = Date.now();
    const deps = { fetch: spy.fetch, tokenStore: store, now: () => now };
    await control.setSettings({ tokenTtlSeconds: 60 });
    try {
      await nookal(account.keys[0]!.key, "au", "v3", deps).countPatients();
      await control.setSettings({ tokenTtlSeconds: 3600 });
      await nookal(account.keys[0]!.key, "au", "v3", deps).countPatients();
      expect(spy.calls.filter((c) => c.endsWith("/oauth/token"))).toHaveLength(1);
      // why: the first token had 60 s; a minute later (by the client's clock) it is due for renewal
      now += 60_000;
      await nookal(account.keys[0]!.key, "au", "v3", deps).countPatients();
      expect(spy.calls.filter((c) => c.endsWith("/oauth/token"))).toHaveLength(2);
    } finally {
      await control.setSettings({ tokenTtlSeconds: 3600 });
    }
  });

  it("fetches a new token once when the vendor drops the old one", async () => {
    const account = await control.createNookalAccount({ region: "eu" });
    const spy = countingFetch();
    const client = nookal(account.keys[0]!.key, "eu", "v3", { fetch: spy.fetch });
    const before = await client.countPatients();
    await control.expireNookalTokens();
    expect(await client.countPatients()).toBe(before);
    expect(spy.calls.filter((c) => c.endsWith("/oauth/token"))).toHaveLength(2);
  });

  it("recognises a disabled key from the HTTP 200 failure envelope, verbatim", async () => {
    const account = await control.createNookalAccount({ region: "au" });
    const key = account.keys[0]!.key;
    await control.disableNookalKey(key);
    const err = await failure(nookal(key, "au").verify());
    expect(err).toMatchObject({
      kind: "vendor_failure",
      status: 200,
      vendorMessage: "This API key has been disabled",
      vendorCode: "1002",
      request: { method: "POST", path: "/oauth/token" },
    });
    expect(JSON.stringify(err.evidence())).not.toContain(key);
  });

  it("reports a key disabled after its token was issued once its token dies", async () => {
    const account = await control.createNookalAccount({ region: "us" });
    const key = account.keys[0]!.key;
    const client = nookal(key, "us");
    await client.verify();
    await control.disableNookalKey(key);
    const err = await failure(client.countPatients());
    expect(err).toMatchObject({ kind: "vendor_failure", vendorMessage: "This API key has been disabled" });
  });

  it("tolerates an OAuth-style 401 from the token endpoint as well", async () => {
    await control.setSettings({ nookalAuthFailure: "http_401" });
    try {
      const account = await control.createNookalAccount({ region: "au" });
      await control.disableNookalKey(account.keys[0]!.key);
      const err = await failure(nookal(account.keys[0]!.key, "au").verify());
      expect(err).toMatchObject({ kind: "http", status: 401, vendorCode: "invalid_client", vendorMessage: "This API key has been disabled" });
    } finally {
      await control.setSettings({ nookalAuthFailure: "status_failure" });
    }
  });

  it("rejects a key used in the wrong region, and findWorkingRegion finds its region", async () => {
    const account = await control.createNookalAccount({ region: "au", timeZone: "Pacific/Auckland", country: "NZ" });
    const key = account.keys[0]!.key;
    const err = await failure(nookal(key, "us").verify());
    expect(err).toMatchObject({ kind: "vendor_failure", vendorMessage: "Invalid API Key", region: "us" });
    expect(await findWorkingRegion({ vendor: "nookal", key, region: "us", apiVersion: "v3" }, settings, {}, { tokenStore: createMemoryTokenStore() })).toEqual({
      workingRegion: "au",
    });
    await control.disableNookalKey(key);
    expect(
      await findWorkingRegion({ vendor: "nookal", key, region: "us", apiVersion: "v3" }, settings, {}, { tokenStore: createMemoryTokenStore() }),
    ).toBeNull();
  });

  it("follows a region migration of the practice", async () => {
    const account = await control.createNookalAccount({ region: "eu" });
    const key = account.keys[0]!.key;
    const client = nookal(key, "eu");
    await client.verify();
    await control.moveAccount(account.id, { region: "us" });
    expect((await failure(client.countPatients())).vendorMessage).toBe("Invalid API Key");
    await nookal(key, "us").verify();
  });

  it("refuses an empty or broken key locally and reports an unconfigured region without a request", async () => {
    const spy = countingFetch();
    expect((await failure(nookal("", "au", "v3", { fetch: spy.fetch }).verify())).kind).toBe("key_missing");
    expect((await failure(nookal("abc def ghi jkl mno", "au", "v3", { fetch: spy.fetch }).verify())).kind).toBe("key_malformed");
    const noEu = { ...settings, nookalV3BaseUrls: { au: settings.nookalV3BaseUrls.au } };
    expect(await failure(nookal("bmtfMTIzNDU2Nzg5MDpzZWNyZXQ=", "eu", "v3", { fetch: spy.fetch }, noEu).verify())).toMatchObject({
      kind: "network",
      socketCode: "ENOTCONFIGURED",
    });
    expect(spy.calls).toEqual([]);
  });
});

describe("Nookal v3 scopes and permissions", () => {
  it("sees zero patients through a key scoped to a location with none", async () => {
    const account = await control.createNookalAccount({
      region: "au",
      locations: [
        { name: "Main", patients: 300 },
        { name: "New site", patients: 0 },
      ],
    });
    const key = await control.addNookalKey(account.id, { locationIds: [account.locations[1]!.id] });
    const result = await nookal(key.key, "au").verify();
    expect(result.visiblePatients).toBe(0);
    expect(result.locations.map((l) => l.name)).toEqual(["New site"]);
  });

  it("fails verify naming the refused treatmentNotes query when the key lacks Clinical Notes access", async () => {
    const account = await control.createNookalAccount({ region: "eu" });
    const key = await control.addNookalKey(account.id, { clinicalNotes: false });
    const err = await failure(nookal(key.key, "eu").verify());
    expect(err).toMatchObject({ kind: "refused", field: "treatmentNotes", status: 200, vendorMessage: "Access denied.", vendorCode: "FORBIDDEN" });
    const relaxed = await nookal(key.key, "eu").verify({ requireClinicalNotes: false });
    expect(relaxed.visiblePatients).toBeGreaterThan(0);
  });
});

describe("Nookal v3 data", () => {
  it("pages clients across many pages with exact totals, in both list shapes", async () => {
    const account = await control.createNookalAccount({ region: "au", patientsOnly: true, locations: [{ name: "Main", patients: 650 }] });
    for (const shape of ["page", "array"] as const) {
      await control.setSettings({ nookalListShape: shape });
      try {
        const client = nookal(account.keys[0]!.key, "au");
        const live = livePatients(account.id);
        expect(await client.countPatients()).toBe(live);
        const pages: number[] = [];
        const ids = new Set<string>();
        for await (const page of client.patients()) {
          pages.push(page.items.length);
          for (const p of page.items) ids.add(p.id);
        }
        expect(ids.size).toBe(live);
        expect(pages.slice(0, 3)).toEqual([200, 200, 200]);
      } finally {
        await control.setSettings({ nookalListShape: "page" });
      }
    }
  });

  it("resumes from a cursor and sees only what changed", async () => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 200 }] });
    const client = nookal(account.keys[0]!.key, "au");
    let cursor: string | undefined;
    for await (const page of client.invoices()) cursor = page.cursor ?? cursor;
    expect(cursor).toBeDefined();
    const touched = await control.touch(account.id, "invoices", 4);
    const changed = await collect(client.invoices({ since: cursor }));
    expect(changed.filter((i) => i.updatedAt === touched.updatedAt)).toHaveLength(4);
    expect(changed.every((i) => Date.parse(i.updatedAt!) >= Date.parse(cursor!))).toBe(true);
  });

  it("keeps money exact and ids as strings; maps appointments and invoice statuses", async () => {
    const account = await control.createNookalAccount({ region: "us", timeZone: "America/Chicago", locations: [{ name: "Main", patients: 150 }] });
    const client = nookal(account.keys[0]!.key, "us");
    const invoices = await collect(client.invoices());
    expect(invoices.length).toBeGreaterThan(50);
    for (const i of invoices) {
      expect(i.totalAmount).toMatch(/^-?\d+\.\d{2}$/);
      expect(typeof i.id).toBe("string");
    }
    expect(new Set(invoices.map((i) => i.status))).toEqual(new Set(["open", "paid", "closed", "open_credit"]));
    const appointments = await collect(client.appointments());
    expect(new Set(appointments.map((a) => a.status))).toEqual(new Set(["booked", "arrived", "did_not_arrive", "cancelled"]));
    expect((await collect(client.practitioners())).length).toBeGreaterThan(0);
    expect((await collect(client.appointmentTypes())).some((t) => t.archived)).toBe(true);
    const someone = (await collect(client.patients()))[3]!;
    expect((await client.searchPatients(someone.lastName)).map((p) => p.id)).toContain(someone.id);
  });
});

describe("Nookal faults", () => {
  it("retries 5xx and recovers", async () => {
    const account = await control.createNookalAccount({ region: "au", faults: { failNext: 2, errorStatus: 503 } });
    expect(await nookal(account.keys[0]!.key, "au").countPatients()).toBeGreaterThan(0);
  });

  it("times out a request that never gets an answer", async () => {
    const account = await control.createNookalAccount({ region: "au", faults: { hangNext: 1 } });
    const err = await failure(nookal(account.keys[0]!.key, "au", "v3", {}, { ...settings, timeoutMs: 250 }).countPatients());
    expect(err.kind).toBe("timeout");
  });

  it("reports a truncated answer as invalid_response", async () => {
    const account = await control.createNookalAccount({ region: "eu", faults: { malformedNext: 1 } });
    expect((await failure(nookal(account.keys[0]!.key, "eu").countPatients())).kind).toBe("invalid_response");
  });
});

describe("Nookal v2", () => {
  it("verifies a v2 key and pages patients with page_length 200 until nextPage is null", async () => {
    const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", patientsOnly: true, locations: [{ name: "Main", patients: 450 }] });
    const spy = countingFetch();
    const client = nookal(account.keys[0]!.key, "au", "v2", { fetch: spy.fetch });
    const result = await client.verify();
    const live = livePatients(account.id);
    expect(result).toMatchObject({ apiVersion: "v2", visiblePatients: live });
    const pages: number[] = [];
    for await (const page of client.patients()) pages.push(page.items.length);
    expect(pages).toEqual([200, 200, live - 400]);
    expect(spy.calls.every((c) => c.startsWith("POST /nookal-v2/production/v2/"))).toBe(true);
  });

  it("turns the practice's wall-clock timestamps into exact UTC instants", async () => {
    const account = await control.createNookalAccount({
      region: "au",
      apiVersion: "v2",
      timeZone: "Australia/Adelaide",
      locations: [{ name: "Main", patients: 60 }],
    });
    const patients = await collect(nookal(account.keys[0]!.key, "au", "v2").patients());
    const truth = datasetOf(sim.world, sim.world.nookal.accounts.get(account.id) as NookalAccount).patients.filter((p) => p.deletedAt === null);
    expect(patients.map((p) => p.updatedAt)).toEqual(truth.map((p) => isoSeconds(p.updatedAt)));
    const appointments = await collect(nookal(account.keys[0]!.key, "au", "v2").appointments());
    expect(appointments[0]!.startsAt).toMatch(/Z$/);
  });

  it("recognises failures sent with HTTP 200 and an unknown function's HTML 404", async () => {
    const account = await control.createNookalAccount({ region: "eu", apiVersion: "v2" });
    const key = account.keys[0]!.key;
    await control.disableNookalKey(key);
    const err = await failure(nookal(key, "eu", "v2").verify());
    expect(err).toMatchObject({
      kind: "vendor_failure",
      status: 200,
      vendorMessage: "This API key has been disabled",
      vendorCode: "1002",
      request: { method: "POST", path: "/verify" },
    });
    expect(JSON.stringify(err.evidence())).not.toContain(key);
    const wrong = await failure(nookal("nope-nope-nope-nope", "au", "v2").countPatients());
    expect(wrong).toMatchObject({ kind: "vendor_failure", vendorMessage: "Invalid API Key" });
    const bad = await failure(
      nookal(key, "eu", "v2", {}, { ...settings, nookalV2BaseUrl: `${sim.url}/nookal-v2/production/v2/unknownFunction` }).countPatients(),
    );
    expect(bad).toMatchObject({ kind: "http", status: 404 });
  });

  it("resumes from a cursor sent as the practice's local last_modified", async () => {
    const account = await control.createNookalAccount({
      region: "au",
      apiVersion: "v2",
      timeZone: "Australia/Sydney",
      locations: [{ name: "Main", patients: 250 }],
    });
    const client = nookal(account.keys[0]!.key, "au", "v2");
    let cursor: string | undefined;
    for await (const page of client.patients()) cursor = page.cursor ?? cursor;
    const touched = await control.touch(account.id, "patients", 3);
    const changed = await collect(client.patients({ since: cursor }));
    expect(changed.filter((p) => p.updatedAt === touched.updatedAt)).toHaveLength(3);
    expect(changed.length).toBeLessThan(10);
  });

  it("has no other region to try", async () => {
    expect(await findWorkingRegion({ vendor: "nookal", key: "whatever-key-1234", region: "au", apiVersion: "v2" }, settings)).toBeNull();
  });
});
