import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { classifyProbe } from "../../domain/health/classifier.ts";
import type { VendorClientDeps } from "../../domain/vendors/client.ts";
import { VendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient, isKeyRejection } from "../../domain/vendors/factory.ts";
import { createMemoryTokenStore } from "../../domain/vendors/nookal-token-store.ts";
import type { VendorSettings } from "../../domain/vendors/types.ts";
import { controlClient, simulatorVendorSettings, type ControlClient } from "../../simulator/control-client.ts";
import { parseOperation, type Field } from "../../simulator/graphql.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { datasetOf, DEFAULT_SETTINGS, type NookalAccount, type WorldSettings } from "../../simulator/world.ts";

/**
 * Contract tests for issue 12: the Nookal clients against the simulator in its default (attested)
 * behaviour and in each alternative setting, one describe per requirement.
 */
let sim: SimulatorHandle;
let control: ControlClient;
let settings: VendorSettings;

beforeAll(async () => {
  sim = await startSimulator({ seed: 12, anchor: Date.UTC(2025, 5, 2), demo: false });
  control = controlClient(sim.url);
  settings = simulatorVendorSettings(sim.url, { timeoutMs: 3000 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await control.setSettings(DEFAULT_SETTINGS);
});

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function recording() {
  const sent: Sent[] = [];
  const f: typeof fetch = (input, init) => {
    sent.push({ url: String(input).replace(sim.url, ""), headers: { ...(init?.headers as Record<string, string>) }, body: String(init?.body ?? "") });
    return fetch(input, init);
  };
  return { sent, fetch: f };
}

function nookal(key: string, opts: { region?: string; apiVersion?: "v2" | "v3"; timeZone?: string; deps?: VendorClientDeps } = {}) {
  return createVendorClient(
    { vendor: "nookal", key, region: opts.region ?? "au", apiVersion: opts.apiVersion ?? "v3", ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) },
    settings,
    { tokenStore: createMemoryTokenStore(), retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...opts.deps },
  );
}

async function failure(promise: Promise<unknown>): Promise<VendorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VendorError);
  return err as VendorError;
}

function classify(err: VendorError) {
  return classifyProbe({
    vendor: "nookal",
    region: "au",
    keyCheck: { status: "ok" },
    outcome: { ok: false, error: err },
    history: {
      state: "healthy",
      lastSuccessAt: null,
      everHadPatients: true,
      expectsPatients: true,
      consecutiveFailures: 0,
      firstFailureAt: null,
      paused: false,
    },
    now: new Date(),
  });
}

function livePatients(accountId: string): number {
  return datasetOf(sim.world, sim.world.nookal.accounts.get(accountId) as NookalAccount).patients.filter((p) => p.deletedAt === null).length;
}

/** Every field a GraphQL request selects, as `parent.field` paths (top level: `Query.field`). */
function selected(body: string): string[] {
  const op = parseOperation((JSON.parse(body) as { query: string }).query);
  const out: string[] = [];
  const walk = (fields: Field[], parent: string) => {
    for (const f of fields) {
      out.push(`${parent}.${f.name}`);
      if (f.selection) walk(f.selection, f.name);
    }
  };
  walk(op.fields, "Query");
  return out;
}

const ATTESTED = new Set([
  "Query.clients",
  "Query.locations",
  "Query.treatmentNotes",
  "Query.cases",
  ...["clientID", "DOB", "dateCreated", "dateModified", "title", "firstName", "middleName", "lastName", "fullName", "locationID", "active", "deceased"].map(
    (f) => `clients.${f}`,
  ),
  ...["noteID", "clientID", "caseID", "apptID", "practitionerID", "date", "status", "templateID"].map((f) => `treatmentNotes.${f}`),
  ...["locationID", "name", "addr1", "suburb", "state", "country"].map((f) => `locations.${f}`),
]);
// why: the wrapper is tolerated, never assumed; its fields are asked only after a bare list failed
const WRAPPER = new Set([
  "clients.totalItems",
  "clients.items",
  "items.clientID",
  "locations.totalItems",
  "locations.items",
  "items.locationID",
  "items.name",
  "treatmentNotes.totalItems",
  "treatmentNotes.items",
  "items.noteID",
]);

describe("probe and verify ask only for attested v3 queries and fields", () => {
  for (const schema of ["attested", "extended"] as const) {
    it(`verifies with clients, locations and treatmentNotes only (simulator schema: ${schema})`, async () => {
      await control.setSettings({ nookalV3Schema: schema });
      const account = await control.createNookalAccount({
        region: "au",
        timeZone: "Australia/Perth",
        locations: [
          { name: "Subiaco", patients: 40 },
          { name: "Cottesloe", patients: 10 },
        ],
      });
      const rec = recording();
      const result = await nookal(account.keys[0]!.key, { timeZone: "Australia/Perth", deps: { fetch: rec.fetch } }).verify();
      const fields = rec.sent.filter((s) => s.url.endsWith("/graphql")).flatMap((s) => selected(s.body));
      expect(fields.filter((f) => !ATTESTED.has(f))).toEqual([]);
      // identity from the key's locations; the time zone from configuration
      expect(result.user).toEqual({
        id: `locations:${account.locations
          .map((l) => l.id)
          .sort()
          .join(",")}`,
        name: "Subiaco, Cottesloe",
      });
      expect(result.locations.map((l) => l.timeZone)).toEqual(["Australia/Perth", "Australia/Perth"]);
      expect(result.visiblePatients).toBe(livePatients(account.id));
    });
  }

  it("is served by a simulator that, like public clients show, has no practice query, location timezone or client email", async () => {
    const account = await control.createNookalAccount({ region: "au" });
    const key = account.keys[0]!.key;
    const token = (
      (await (
        await fetch(`${sim.url}/nookal/au/oauth/token`, {
          method: "POST",
          headers: { Authorization: `Basic ${key}`, "Content-Type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        })
      ).json()) as { accessToken: string }
    ).accessToken;
    const ask = async (query: string) =>
      (await (
        await fetch(`${sim.url}/nookal/au/graphql`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ query }),
        })
      ).json()) as { errors?: { message: string }[] };
    expect((await ask("{ practice { practiceID } }")).errors?.[0]?.message).toMatch(/Cannot query field "practice"/);
    expect((await ask("{ locations { timezone } }")).errors?.[0]?.message).toMatch(/Cannot query field "timezone"/);
    expect((await ask("{ clients { email } }")).errors?.[0]?.message).toMatch(/Cannot query field "email"/);
  });
});

describe("lists come back bare; a wrapper is accepted; patients are counted by paging", () => {
  for (const shape of ["array", "page"] as const) {
    for (const firstPage of ["zero", "one_clamped", "one_empty", "one_strict"] as const) {
      it(`counts and lists every patient once (list shape ${shape}, first page ${firstPage})`, async () => {
        await control.setSettings({ nookalListShape: shape, nookalFirstPage: firstPage });
        const account = await control.createNookalAccount({ region: "au", patientsOnly: true, locations: [{ name: "Main", patients: 520 }] });
        const live = livePatients(account.id);
        const client = nookal(account.keys[0]!.key);
        expect(await client.countPatients()).toBe(live);
        const ids: string[] = [];
        for await (const page of client.patients()) ids.push(...page.items.map((p) => p.id));
        expect(ids).toHaveLength(live);
        expect(new Set(ids).size).toBe(live);
      });
    }
  }

  it("asks for a bare list first and for the wrapper only when the bare list is refused", async () => {
    const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 30 }] });
    for (const shape of ["array", "page"] as const) {
      await control.setSettings({ nookalListShape: shape });
      const rec = recording();
      await nookal(account.keys[0]!.key, { deps: { fetch: rec.fetch } }).countPatients();
      const queries = rec.sent.filter((s) => s.url.endsWith("/graphql")).map((s) => selected(s.body));
      expect(queries[0]).toEqual(["Query.clients", "clients.clientID"]);
      const wrapped = queries.filter((q) => q.some((f) => WRAPPER.has(f)));
      expect(wrapped.length > 0).toBe(shape === "page");
    }
  });

  it("stops counting at the cap and says 'at least', unless a wrapper gives the total", async () => {
    const account = await control.createNookalAccount({ region: "au", patientsOnly: true, locations: [{ name: "Main", patients: 2600 }] });
    const live = livePatients(account.id);
    expect(live).toBeGreaterThan(2000);
    const capped = await nookal(account.keys[0]!.key).verify({ requireClinicalNotes: false });
    expect(capped).toMatchObject({ visiblePatients: 2000, visiblePatientsAtLeast: true });
    const wider = await nookal(account.keys[0]!.key).verify({ requireClinicalNotes: false, maxPatientPages: 20 });
    expect(wider.visiblePatients).toBe(live);
    expect(wider.visiblePatientsAtLeast).toBeUndefined();
    await control.setSettings({ nookalListShape: "page" });
    const totals = await nookal(account.keys[0]!.key).verify({ requireClinicalNotes: false });
    expect(totals.visiblePatients).toBe(live);
    expect(totals.visiblePatientsAtLeast).toBeUndefined();
  });
});

describe("GraphQL errors are errors on 200 and 4xx alike", () => {
  for (const badToken of ["graphql_errors", "oauth_401"] as const) {
    it(`refreshes the token once and retries when the vendor says it expired (${badToken})`, async () => {
      await control.setSettings({ nookalBadToken: badToken });
      const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 20 }] });
      const rec = recording();
      const client = nookal(account.keys[0]!.key, { deps: { fetch: rec.fetch } });
      const before = await client.countPatients();
      await control.expireNookalTokens();
      expect(await client.countPatients()).toBe(before);
      expect(rec.sent.filter((s) => s.url.endsWith("/oauth/token"))).toHaveLength(2);
    });
  }

  for (const refused of ["partial_error", "http_403", "status_failure"] as const) {
    it(`reports a refused query as permission_denied naming it (${refused})`, async () => {
      await control.setSettings({ nookalRefusedQuery: refused });
      const account = await control.createNookalAccount({ region: "eu" });
      const key = await control.addNookalKey(account.id, { clinicalNotes: false });
      const err = await failure(nookal(key.key, { region: "eu" }).verify());
      const c = classify(err);
      expect(c.failureCode).toBe("permission_denied");
      if (refused === "status_failure") expect(err.vendorMessage).toBe("API key is not permitted to read Clinical Notes");
      else {
        expect(err).toMatchObject({ kind: "refused", field: "treatmentNotes", status: refused === "http_403" ? 403 : 200 });
        expect(c).toMatchObject({ rule: "vendor_refused_query", evidence: { refusedQuery: "treatmentNotes" } });
        expect(c.reason).toContain("treatmentNotes");
      }
    });
  }
});

describe("the Clinical Notes check works on v2", () => {
  for (const all of ["no_arguments", "needs_patient", "absent"] as const) {
    it(`checks notes with a call valid for the key (getAllTreatmentNotes: ${all})`, async () => {
      await control.setSettings({ nookalV2AllTreatmentNotes: all });
      const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", locations: [{ name: "Main", patients: 30 }] });
      const rec = recording();
      const ok = await nookal(account.keys[0]!.key, { apiVersion: "v2", deps: { fetch: rec.fetch } }).verify();
      expect(ok.visiblePatients).toBe(livePatients(account.id));
      const notes = rec.sent.filter((s) => /TreatmentNotes$/.test(s.url));
      if (all === "no_arguments") expect(notes.map((s) => s.url.split("/").pop())).toEqual(["getAllTreatmentNotes"]);
      else expect(new URLSearchParams(notes.at(-1)!.body).get("patient_id")).toMatch(/^\d+$/);
      const noNotes = await control.addNookalKey(account.id, { apiVersion: "v2", clinicalNotes: false });
      const err = await failure(nookal(noNotes.key, { apiVersion: "v2" }).verify());
      expect(classify(err).failureCode).toBe("permission_denied");
    });
  }

  it("also works where getTreatmentNotes needs no patient (the earlier guess)", async () => {
    await control.setSettings({ nookalV2AllTreatmentNotes: "absent", nookalV2TreatmentNotesPatient: "optional" });
    const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", locations: [{ name: "Main", patients: 10 }] });
    expect((await nookal(account.keys[0]!.key, { apiVersion: "v2" }).verify()).visiblePatients).toBe(livePatients(account.id));
  });

  it("classifies a 'Missing variable' failure as ours (engineering), not the clinic's key", async () => {
    await control.setSettings({ nookalV2AllTreatmentNotes: "absent" });
    const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", locations: [{ name: "Main", patients: 10 }] });
    // why: stands in for a bug of ours that loses a variable on the way out
    const dropping =
      (name: string): typeof fetch =>
      (input, init) => {
        const body = new URLSearchParams(String(init?.body ?? ""));
        body.delete(name);
        return fetch(input, { ...init, body: body.toString() });
      };
    const noPatient = await failure(nookal(account.keys[0]!.key, { apiVersion: "v2", deps: { fetch: dropping("patient_id") } }).verify());
    expect(noPatient).toMatchObject({ kind: "vendor_failure", vendorMessage: "Missing variable: patient_id", vendorCode: "L000_1" });
    expect(classify(noPatient)).toMatchObject({ failureCode: "vendor_response_invalid", rule: "vendor_failure_request" });
    const noKey = await failure(nookal(account.keys[0]!.key, { apiVersion: "v2", deps: { fetch: dropping("api_key") } }).verify());
    expect(noKey).toMatchObject({ vendorMessage: "Missing variable: api_key", vendorCode: "L000_1" });
    expect(classify(noKey)).toMatchObject({ failureCode: "vendor_response_invalid", rule: "vendor_failure_request" });
    expect(isKeyRejection(noKey)).toBe(false);
  });
});

describe("v2 details", () => {
  it("sends api_key as a form field, page_length at most 200, and pages until nextPage is null", async () => {
    const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", patientsOnly: true, locations: [{ name: "Main", patients: 430 }] });
    const key = account.keys[0]!.key;
    const rec = recording();
    const pages: number[] = [];
    for await (const page of nookal(key, { apiVersion: "v2", deps: { fetch: rec.fetch } }).patients()) pages.push(page.items.length);
    const live = livePatients(account.id);
    expect(pages).toEqual([200, 200, live - 400]);
    for (const s of rec.sent) {
      expect(s.headers["Content-Type"]).toBe("application/x-www-form-urlencoded");
      expect(new URLSearchParams(s.body).get("api_key")).toBe(key);
      expect(s.url).not.toContain(key);
      expect(Number(new URLSearchParams(s.body).get("page_length") ?? 0)).toBeLessThanOrEqual(200);
    }
  });

  for (const numbers of ["string", "number"] as const) {
    it(`reads ids and flags as strings and currentPage/nextPage as ${numbers}s`, async () => {
      await control.setSettings({ nookalV2Numbers: numbers });
      const account = await control.createNookalAccount({ region: "au", apiVersion: "v2", locations: [{ name: "Main", patients: 260 }] });
      const truth = datasetOf(sim.world, sim.world.nookal.accounts.get(account.id) as NookalAccount).patients.filter((p) => p.deletedAt === null);
      const client = nookal(account.keys[0]!.key, { apiVersion: "v2" });
      const patients: { id: string; archived: boolean }[] = [];
      for await (const page of client.patients()) patients.push(...page.items);
      expect(patients).toHaveLength(truth.length);
      expect(patients.every((p) => typeof p.id === "string")).toBe(true);
      expect(patients.filter((p) => p.archived)).toHaveLength(truth.filter((p) => p.archivedAt !== null).length);
      expect(await client.countPatients()).toBe(truth.length);
    });
  }

  for (const shape of ["alerts", "error_message"] as const) {
    it(`reads a failure body in the ${shape} shape; a disabled key is still the key`, async () => {
      await control.setSettings({ nookalV2FailureShape: shape });
      const account = await control.createNookalAccount({ region: "au", apiVersion: "v2" });
      const key = account.keys[0]!.key;
      await control.disableNookalKey(key);
      const err = await failure(nookal(key, { apiVersion: "v2" }).verify());
      expect(err).toMatchObject({ kind: "vendor_failure", status: 200, vendorMessage: "This API key has been disabled", vendorCode: "1002" });
      expect(classify(err).failureCode).toBe("auth_rejected");
    });
  }

  it("reads an unknown function's HTML 404 page as our problem, not the key", async () => {
    const account = await control.createNookalAccount({ region: "au", apiVersion: "v2" });
    const err = await failure(
      createVendorClient(
        { vendor: "nookal", key: account.keys[0]!.key, region: "au", apiVersion: "v2" },
        { ...settings, nookalV2BaseUrl: `${sim.url}/nookal-v2/production/v2/nothingHere` },
      ).countPatients(),
    );
    expect(err).toMatchObject({ kind: "http", status: 404 });
    expect(classify(err)).toMatchObject({ failureCode: "vendor_response_invalid", rule: "http_404_unknown_endpoint" });
  });
});

describe("v3 token", () => {
  it("sends the Basic Key verbatim with grant_type=client_credentials and reads accessToken", async () => {
    const account = await control.createNookalAccount({ region: "us" });
    const key = account.keys[0]!.key;
    const rec = recording();
    await nookal(key, { region: "us", deps: { fetch: rec.fetch } }).authenticate();
    expect(rec.sent).toHaveLength(1);
    expect(rec.sent[0]).toMatchObject({ url: "/nookal/us/oauth/token", body: "grant_type=client_credentials" });
    expect(rec.sent[0]!.headers).toMatchObject({ Authorization: `Basic ${key}`, "Content-Type": "application/x-www-form-urlencoded" });
  });

  for (const perKey of ["one", "many"] as const) {
    it(`keeps working when a new token ${perKey === "one" ? "invalidates" : "leaves valid"} the older ones`, async () => {
      await control.setSettings({ nookalTokensPerKey: perKey });
      const account = await control.createNookalAccount({ region: "au", locations: [{ name: "Main", patients: 15 }] });
      const store = createMemoryTokenStore();
      const a = nookal(account.keys[0]!.key, { deps: { tokenStore: store } });
      const b = nookal(account.keys[0]!.key, { deps: { tokenStore: store } });
      const [x, y] = await Promise.all([a.countPatients(), b.countPatients()]);
      expect(x).toBe(y);
      expect(await control.nookalTokens(account.keys[0]!.key)).toEqual({ live: 1, issued: 1 });
    });
  }
});

describe("the simulator's defaults", () => {
  it("are the attested behaviour, with the earlier guesses selectable", async () => {
    const expected: Partial<WorldSettings> = {
      nookalListShape: "array",
      nookalBadToken: "graphql_errors",
      nookalTokensPerKey: "one",
      nookalRefusedQuery: "partial_error",
      nookalV3Schema: "attested",
      nookalV2FailureShape: "alerts",
      nookalV2AllTreatmentNotes: "no_arguments",
      nookalV2TreatmentNotesPatient: "required",
    };
    expect(await control.getSettings()).toMatchObject(expected);
    expect(await control.setSettings({ nookalListShape: "page", nookalBadToken: "oauth_401", nookalV3Schema: "extended" })).toMatchObject({
      nookalListShape: "page",
      nookalBadToken: "oauth_401",
      nookalV3Schema: "extended",
    });
  });
});
