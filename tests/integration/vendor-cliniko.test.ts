import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VendorClientDeps } from "../../domain/vendors/client.ts";
import { VendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient, findWorkingRegion } from "../../domain/vendors/factory.ts";
import { createRateLimiter } from "../../domain/vendors/rate-limiter.ts";
import type { VendorSettings } from "../../domain/vendors/types.ts";
import { controlClient, simulatorVendorSettings, type ControlClient } from "../../simulator/control-client.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";

/** Contract tests: the Cliniko client against the simulator over real HTTP (shared/VENDOR_APIS.md). */

let sim: SimulatorHandle;
let control: ControlClient;
let settings: VendorSettings;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, anchor: Date.UTC(2025, 4, 5), demo: false });
  control = controlClient(sim.url);
  settings = simulatorVendorSettings(sim.url, { timeoutMs: 2000 });
});
afterAll(async () => {
  await sim.close();
});

function countingFetch() {
  const calls: string[] = [];
  const f: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? "GET"} ${String(input)}`);
    return fetch(input, init);
  };
  return { calls, fetch: f };
}

function cliniko(key: string, region = "", deps: VendorClientDeps = {}, s: VendorSettings = settings) {
  return createVendorClient({ vendor: "cliniko", key, region, apiVersion: "v1" }, s, {
    // why: each test gets its own budget; the process-wide limiter would couple tests
    rateLimiter: createRateLimiter({ limit: 100_000, windowMs: 60_000 }),
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

async function collect<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page.items);
  return out;
}

async function firstPage<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  for await (const page of pages) return page.items;
  return [];
}

function expectNoSecret(err: VendorError, key: string) {
  const text = JSON.stringify({ message: err.message, ...err.evidence() });
  expect(text).not.toContain(key);
  expect(text).not.toContain(Buffer.from(`${key}:`).toString("base64"));
}

describe("Cliniko keys and shards", () => {
  it("sends a key without a suffix to au1", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 40, patientsOnly: true, keyWithSuffix: false });
    const key = account.keys[0]!.key;
    expect(key).not.toMatch(/-[a-z]{2}\d+$/);
    const client = cliniko(key);
    expect(client.region).toBe("au1");
    const result = await client.verify();
    expect(result.user.id).toBe(account.users[0]!.id);
    expect(result.visiblePatients).toBeGreaterThan(30);
  });

  it("takes the shard from the key's suffix, with Basic auth, Accept and User-Agent", async () => {
    const account = await control.createClinikoAccount({ shard: "uk2", patients: 10, patientsOnly: true });
    const key = account.keys[0]!.key;
    expect(key.endsWith("-uk2")).toBe(true);
    const spy = countingFetch();
    const client = cliniko(key, "", { fetch: spy.fetch });
    expect(client.region).toBe("uk2");
    const result = await client.verify();
    expect(result.region).toBe("uk2");
    expect(result.locations).toHaveLength(1);
    expect(spy.calls.every((c) => c.includes("/cliniko/uk2/v1/"))).toBe(true);
  });

  it("refuses a malformed suffix and an empty key locally, before any request", async () => {
    const spy = countingFetch();
    const malformed = await failure(cliniko("MS0xMjM0NTY3ODkwMTIzNDU2Nzg5MC1hYmNkZWZn-zz9x", "uk1", { fetch: spy.fetch }).verify());
    expect(malformed.kind).toBe("key_malformed");
    expect(malformed.message).not.toContain("zz9x");
    const missing = await failure(cliniko("", "au1", { fetch: spy.fetch }).countPatients());
    expect(missing.kind).toBe("key_missing");
    expect(spy.calls).toEqual([]);
  });

  it("gets the plain-text 401 for an archived key, and never puts the key in the error", async () => {
    const account = await control.createClinikoAccount({ shard: "au3", patients: 5, patientsOnly: true });
    const key = account.keys[0]!.key;
    await cliniko(key).authenticate();
    await control.archiveClinikoKey(key);
    const spy = countingFetch();
    const err = await failure(cliniko(key, "", { fetch: spy.fetch }).verify());
    expect(err).toMatchObject({
      kind: "http",
      status: 401,
      vendorMessage: "HTTP Basic: Access denied.",
      region: "au3",
      request: { method: "GET", path: "/user" },
    });
    expect(spy.calls).toHaveLength(1);
    expectNoSecret(err, key);
    expect(
      await findWorkingRegion(
        { vendor: "cliniko", key, region: "au3", apiVersion: "v1" },
        settings,
        {},
        { rateLimiter: createRateLimiter({ limit: 1000, windowMs: 1000 }) },
      ),
    ).toBeNull();
  });

  it("gets the same 401 for a key from another shard, and findWorkingRegion finds the right one", async () => {
    const account = await control.createClinikoAccount({ shard: "ca1", patients: 5, patientsOnly: true, keyWithSuffix: false });
    const key = account.keys[0]!.key;
    const err = await failure(cliniko(key, "au1").verify());
    expect(err).toMatchObject({ kind: "http", status: 401, vendorMessage: "HTTP Basic: Access denied." });
    const found = await findWorkingRegion(
      { vendor: "cliniko", key, region: "au1", apiVersion: "v1" },
      settings,
      {},
      { rateLimiter: createRateLimiter({ limit: 1000, windowMs: 1000 }) },
    );
    expect(found).toEqual({ workingRegion: "ca1" });
    expect((await cliniko(key, "ca1").verify()).region).toBe("ca1");
  });

  it("follows a vendor migration: the key stops working on the old shard and works on the new one", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 5, patientsOnly: true });
    const key = account.keys[0]!.key;
    await control.moveAccount(account.id, { shard: "au4" });
    expect((await failure(cliniko(key).authenticate())).status).toBe(401);
    await cliniko(key, "au4").authenticate();
  });

  it("treats a deactivated user's key like any rejected key", async () => {
    const account = await control.createClinikoAccount({ shard: "uk1", patients: 5, patientsOnly: true });
    await control.patchClinikoUser(account.users[0]!.id, { active: false });
    expect((await failure(cliniko(account.keys[0]!.key).authenticate())).status).toBe(401);
  });
});

describe("Cliniko permission gaps", () => {
  it("reports 403 on /patients for a role without access while /user works", async () => {
    const account = await control.createClinikoAccount({
      shard: "au4",
      patients: 20,
      patientsOnly: true,
      user: { role: "bookkeeper", denied: { patients: 403 } },
    });
    const client = cliniko(account.keys[0]!.key);
    await client.authenticate();
    const err = await failure(client.verify());
    expect(err).toMatchObject({ kind: "http", status: 403, request: { method: "GET", path: "/patients?per_page=1" } });
    expect(err.vendorMessage).toBe("You do not have permission to access this page.");
  });

  it("keeps an empty 403 body as no vendor message", async () => {
    await control.setSettings({ clinikoForbiddenBody: "empty" });
    try {
      const account = await control.createClinikoAccount({ shard: "au4", patients: 20, patientsOnly: true, user: { denied: { patients: 403 } } });
      const err = await failure(cliniko(account.keys[0]!.key).countPatients());
      expect(err.status).toBe(403);
      expect(err.vendorMessage).toBeUndefined();
    } finally {
      await control.setSettings({ clinikoForbiddenBody: "text" });
    }
  });

  it("reports a resource the role cannot see as 404", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 30, user: { denied: { invoices: 404 } } });
    const client = cliniko(account.keys[0]!.key);
    expect((await client.verify()).visiblePatients).toBeGreaterThan(0);
    const err = await failure(collect(client.invoices()));
    expect(err).toMatchObject({ kind: "http", status: 404 });
    expect(err.request?.path).toMatch(/^\/invoices\?/);
  });

  it("sees zero patients when the key's view is emptied, without failing", async () => {
    const account = await control.createClinikoAccount({ shard: "ca1", patients: 50, patientsOnly: true });
    const key = account.keys[0]!.key;
    await control.hidePatients(key);
    const result = await cliniko(key).verify();
    expect(result.visiblePatients).toBe(0);
  });
});

describe("Cliniko rate limits", () => {
  it("waits for X-RateLimit-Reset after a 429 and then succeeds", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 5, patientsOnly: true, faults: { rateLimit: 3, rateWindowMs: 300 } });
    const before = (await control.stats()).byStatus["429"] ?? 0;
    // why: a client budget far above the vendor's, so the vendor's 429 is what gets exercised
    const client = cliniko(account.keys[0]!.key);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push(await client.countPatients());
    expect(counts.every((c) => c === counts[0])).toBe(true);
    expect(((await control.stats()).byStatus["429"] ?? 0) - before).toBeGreaterThan(0);
  });

  it("gives up with rate_limited and the reset time when the wait would be too long", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 5, patientsOnly: true, faults: { rateLimit: 1, rateWindowMs: 60_000 } });
    const client = cliniko(account.keys[0]!.key, "", { maxRateLimitWaitMs: 1000 });
    await client.countPatients();
    const err = await failure(client.countPatients());
    expect(err).toMatchObject({ kind: "rate_limited", status: 429 });
    expect(err.retryAfterSeconds).toBeGreaterThan(50);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(62);
  });

  it("keeps under the vendor's budget on its own: zero 429s", async () => {
    const account = await control.createClinikoAccount({ shard: "uk1", patients: 5, patientsOnly: true, faults: { rateLimit: 5, rateWindowMs: 400 } });
    const before = (await control.stats()).byStatus["429"] ?? 0;
    const client = cliniko(account.keys[0]!.key, "", { rateLimiter: createRateLimiter({ limit: 5, windowMs: 400, safetyMs: 50 }) });
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, () => client.countPatients()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(((await control.stats()).byStatus["429"] ?? 0) - before).toBe(0);
  });
});

describe("Cliniko faults", () => {
  it("retries 5xx and recovers", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true, faults: { failNext: 2, errorStatus: 502 } });
    const spy = countingFetch();
    expect(await cliniko(account.keys[0]!.key, "", { fetch: spy.fetch }).countPatients()).toBeGreaterThan(0);
    expect(spy.calls).toHaveLength(3);
  });

  it("gives up after bounded retries with the status and the vendor's page text", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true, faults: { outage: { status: 503 } } });
    const spy = countingFetch();
    const err = await failure(cliniko(account.keys[0]!.key, "", { fetch: spy.fetch, retry: { maxRetries: 2, baseDelayMs: 1 } }).countPatients());
    expect(err).toMatchObject({ kind: "http", status: 503 });
    expect(err.vendorMessage).toContain("maintenance");
    expect(spy.calls).toHaveLength(3);
  });

  it("never retries a 4xx", async () => {
    const spy = countingFetch();
    await failure(cliniko("MS0xMjM0NTY3ODkwMTIzNDU2Nzg5MC11bmtub3du-au1", "", { fetch: spy.fetch }).countPatients());
    expect(spy.calls).toHaveLength(1);
  });

  it("times out a request that never gets an answer", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true, faults: { hangNext: 1 } });
    const started = Date.now();
    const spy = countingFetch();
    const err = await failure(cliniko(account.keys[0]!.key, "", { fetch: spy.fetch }, { ...settings, timeoutMs: 250 }).countPatients());
    expect(err.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(spy.calls).toHaveLength(1);
  });

  it("reports malformed JSON as invalid_response without echoing patient data", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 5, patientsOnly: true, faults: { malformedNext: 1 } });
    const err = await failure(cliniko(account.keys[0]!.key).countPatients());
    expect(err.kind).toBe("invalid_response");
    expect(err.vendorMessage).toBeUndefined();
  });

  it("reports a refused connection as network with the socket code", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const err = await failure(
      cliniko("MS0xMjM0NTY3ODkwMTIzNDU2Nzg5MC1hYmNkZWZn", "au1", {}, simulatorVendorSettings(`http://127.0.0.1:${port}`)).countPatients(),
    );
    expect(err).toMatchObject({ kind: "network", socketCode: "ECONNREFUSED" });
  });
});

describe("Cliniko data", () => {
  it("pages through many pages by following links.next", async () => {
    const account = await control.createClinikoAccount({ shard: "au3", patients: 1234, patientsOnly: true });
    const client = cliniko(account.keys[0]!.key);
    const total = await client.countPatients();
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of client.patients()) {
      pages.push(page.items.length);
      expect(page.totalItems).toBe(total);
      for (const p of page.items) ids.add(p.id);
    }
    expect(pages.length).toBe(Math.ceil(total / 100));
    expect(pages.slice(0, -1).every((n) => n === 100)).toBe(true);
    expect(ids.size).toBe(total);
  });

  it("resumes from a cursor with q[]=updated_at:> and sees only what changed", async () => {
    const account = await control.createClinikoAccount({ shard: "uk1", patients: 300 });
    const spy = countingFetch();
    const client = cliniko(account.keys[0]!.key, "", { fetch: spy.fetch });
    let cursor: string | undefined;
    let all = 0;
    for await (const page of client.invoices()) {
      all += page.items.length;
      cursor = page.cursor;
    }
    expect(all).toBeGreaterThan(100);
    expect(cursor).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const touched = await control.touch(account.id, "invoices", 7);
    spy.calls.length = 0;
    const changed = await collect(client.invoices({ since: cursor }));
    expect(decodeURIComponent(spy.calls[0]!)).toContain(`q[]=updated_at:>${cursor}`);
    const fresh = changed.filter((i) => i.updatedAt === touched.updatedAt);
    expect(fresh).toHaveLength(7);
    // why: the cursor overlaps the newest change by one second; anything else must be that overlap
    const overlap = changed.filter((i) => i.updatedAt !== touched.updatedAt);
    expect(overlap.every((i) => Date.parse(i.updatedAt!) - Date.parse(cursor!) === 1000)).toBe(true);
    expect(overlap.length).toBeLessThan(5);
  });

  it("keeps ids beyond 2^53 exact and money as the vendor's decimal strings", async () => {
    const account = await control.createClinikoAccount({ shard: "au1", patients: 120 });
    const key = account.keys[0]!.key;
    const raw = await fetch(`${sim.url}/cliniko/au1/v1/invoices?per_page=100&sort=updated_at`, {
      headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`, Accept: "application/json", "User-Agent": "test (t@t.example)" },
    });
    const text = await raw.text();
    const rawIds = [...text.matchAll(/"id":"(\d+)","number"/g)].map((m) => m[1]);
    const rawTotals = [...text.matchAll(/"total_amount":"([^"]+)"/g)].map((m) => m[1]);
    const client = cliniko(key);
    const first = await firstPage(client.invoices());
    expect(first.map((i) => i.id)).toEqual(rawIds);
    expect(first.map((i) => i.totalAmount)).toEqual(rawTotals);
    for (const inv of first) {
      expect(BigInt(inv.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      const cents = (s: string) => BigInt(s.replace(".", ""));
      expect(cents(inv.netAmount!) + cents(inv.taxAmount!)).toBe(cents(inv.totalAmount));
    }
    const statuses = new Set<string>();
    for await (const page of client.invoices()) for (const inv of page.items) statuses.add(inv.status);
    expect([...statuses].sort()).toEqual(["closed", "open", "open_credit", "paid"]);
  });

  it("lists practitioners, appointment types and individual appointments with their links resolved", async () => {
    const account = await control.createClinikoAccount({ shard: "ca1", patients: 150, timeZone: "America/Toronto" });
    const client = cliniko(account.keys[0]!.key);
    const practitioners = await collect(client.practitioners());
    const types = await collect(client.appointmentTypes());
    const appointments = await collect(client.appointments());
    expect(practitioners.length).toBeGreaterThan(0);
    expect(types.every((t) => !t.archived)).toBe(true);
    expect(appointments.length).toBeGreaterThan(500);
    const typeIds = new Set(types.map((t) => t.id));
    const a = appointments.find((x) => typeIds.has(x.appointmentTypeId ?? ""));
    expect(a?.patientId).toMatch(/^\d{19}$/);
    expect(new Set(appointments.map((x) => x.status))).toEqual(new Set(["booked", "arrived", "did_not_arrive", "cancelled"]));
    const matches = await client.searchPatients(appointments[0] ? "a" : "");
    expect(Array.isArray(matches)).toBe(true);
  });

  it("searches patients by name", async () => {
    const account = await control.createClinikoAccount({ shard: "au2", patients: 400, patientsOnly: true });
    const client = cliniko(account.keys[0]!.key);
    const all = await collect(client.patients());
    const target = all[17]!;
    const byFull = await client.searchPatients(`${target.firstName} ${target.lastName}`, { limit: 50 });
    expect(byFull.map((p) => p.id)).toContain(target.id);
    expect(byFull.every((p) => p.lastName.toLowerCase().includes(target.lastName.toLowerCase()))).toBe(true);
    const byOne = await client.searchPatients(target.lastName, { limit: 5 });
    expect(byOne.length).toBeGreaterThan(0);
    expect(byOne.length).toBeLessThanOrEqual(5);
  });
});
