import { generateDataset, type Dataset } from "./dataset.ts";
import { DEMO_VENDOR_ACCOUNTS, type DemoFaults, type DemoVendorAccount } from "./demo-fleet.ts";
import { clinikoKey, nookalV2Key, nookalV3Key } from "./keys.ts";
import { hash32 } from "./rng.ts";
import { DAY_MS } from "./time.ts";

/** Injected misbehaviour, globally, for one vendor shard/region, or for one account. Every field is optional; absent = healthy. */
export interface Faults {
  /** Added before every response, in ms. */
  latencyMs?: number;
  /** Fraction (0..1) of requests answered with errorStatus; deterministic per request count. */
  errorRate?: number;
  /** Answer the next N requests with errorStatus, then recover (for "5xx then recovery"). */
  failNext?: number;
  errorStatus?: number;
  /** Outage window in epoch ms; a missing bound is open. Answers `status` (503) with a maintenance page. */
  outage?: { from?: number; until?: number; status?: number } | null;
  /** Fraction of successful answers sent as truncated JSON. */
  malformedRate?: number;
  malformedNext?: number;
  /** Fraction of requests that never get an answer (the connection stays open until the client gives up). */
  hangRate?: number;
  hangNext?: number;
  /** Reset every request's connection before any answer (a firewall or proxy dropping it). */
  reset?: boolean;
  /** A lower per-user rate limit and window (Cliniko) for tests. */
  rateLimit?: number;
  rateWindowMs?: number;
}

export interface WorldSettings {
  /** Cliniko's per-user budget: requests per window. */
  rateLimit: number;
  rateWindowMs: number;
  /** Nookal v3 access-token lifetime. */
  tokenTtlSeconds: number;
  /**
   * How Nookal v3 rejects a key at /oauth/token. Unknown for the real API, so both exist:
   * "status_failure" = HTTP 200 `{status:"failure",details:{errorMessage,errorCode}}`; "http_401" = OAuth-style 401.
   */
  nookalAuthFailure: "status_failure" | "http_401";
  /**
   * Shape of Nookal v3 list fields. "array" (attested: public clients read `data.clients` as a
   * list) or "page" = `{items,totalItems,currentPage,nextPage,pageLength}` (Relink's earlier guess).
   */
  nookalListShape: "page" | "array";
  /**
   * Which v3 `page` is the first. Not public (healthia sends 0 by default): "zero" = page 0 is the
   * first; "one_clamped" = pages start at 1 and 0 is read as 1; "one_empty" = pages start at 1, page 0 is empty;
   * "one_strict" = pages start at 1 and page 0 is a GraphQL error.
   */
  nookalFirstPage: "zero" | "one_clamped" | "one_empty" | "one_strict";
  /**
   * How /graphql answers a bad token. "graphql_errors" (attested: "Token has expired" with HTTP 400,
   * `errors[]`): expired or superseded → 400 "Token has expired", unknown → 400 "Invalid token";
   * "oauth_401" = `401 {error:"invalid_token"}` (the earlier guess).
   */
  nookalBadToken: "graphql_errors" | "oauth_401";
  /** "one" (reported by a public client): a new token invalidates the key's older ones; "many": they stay valid. */
  nookalTokensPerKey: "one" | "many";
  /**
   * How v3 refuses a query the key lacks permission for (not public). "partial_error" = HTTP 200,
   * `data.<field>: null` plus an `errors[]` entry with that path (GraphQL's norm); "status_failure" =
   * the v2-style failure envelope (the earlier guess); "http_403" = 403 with `errors[]`.
   */
  nookalRefusedQuery: "partial_error" | "status_failure" | "http_403";
  /**
   * "attested" = only what public clients show exists: no `practice` query, no location `timezone`,
   * no client `email`; "extended" = also those (the earlier guess).
   */
  nookalV3Schema: "attested" | "extended";
  /**
   * v2 failure bodies. "alerts" (captured live for a missing key): `details:{errorCode, alerts:[…]}`
   * without errorMessage; "error_message" = `details:{errorMessage, errorCode}` (the earlier guess).
   */
  nookalV2FailureShape: "alerts" | "error_message";
  /** v2 `settings`/`details` numbers: "string" ("1", as in one public fixture) or "number" (1, as in another). */
  nookalV2Numbers: "string" | "number";
  /**
   * v2 `getAllTreatmentNotes`: "no_arguments" (public sources: takes none), "needs_patient"
   * (answers Missing variable: patient_id) or "absent" (an unknown function: HTML 404).
   */
  nookalV2AllTreatmentNotes: "no_arguments" | "needs_patient" | "absent";
  /** v2 `getTreatmentNotes`: "required" (public sources) patient_id, or "optional" (the earlier guess). */
  nookalV2TreatmentNotesPatient: "required" | "optional";
  /** Cliniko blocks requests without `User-Agent: name (email)` and without `Accept: application/json`. */
  requireUserAgent: boolean;
  requireAccept: boolean;
  /** Cliniko sometimes answers 403 with an empty body. */
  clinikoForbiddenBody: "text" | "empty";
  /** A careless vendor quotes the credential back in its 401 body (Cliniko). */
  echoKeyInErrors: boolean;
  /**
   * How Nookal words a disabled key: "disabled" ("This API key has been disabled"), or the other
   * texts clinics report, "credentials_not_found" and "integration_disabled" — key problems all.
   */
  nookalDisabledKeyText: "disabled" | "credentials_not_found" | "integration_disabled";
}

export const DEFAULT_SETTINGS: WorldSettings = {
  rateLimit: 200,
  rateWindowMs: 60_000,
  tokenTtlSeconds: 3600,
  nookalAuthFailure: "status_failure",
  nookalListShape: "array",
  nookalFirstPage: "zero",
  nookalBadToken: "graphql_errors",
  nookalTokensPerKey: "one",
  nookalRefusedQuery: "partial_error",
  nookalV3Schema: "attested",
  nookalV2FailureShape: "alerts",
  nookalV2Numbers: "string",
  nookalV2AllTreatmentNotes: "no_arguments",
  nookalV2TreatmentNotesPatient: "required",
  requireUserAgent: true,
  requireAccept: true,
  clinikoForbiddenBody: "text",
  nookalDisabledKeyText: "disabled",
  echoKeyInErrors: false,
};

export interface ClinikoUser {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  role: string;
  active: boolean;
  /** Resources this user's role cannot read: 403, or 404 where Cliniko hides them. */
  denied: Record<string, 403 | 404>;
}

export interface ClinikoAccount {
  vendor: "cliniko";
  id: string;
  label: string;
  shard: string;
  businessName: string;
  timeZone: string;
  country: string;
  patients: number;
  patientsOnly: boolean;
  /** Data scale for benchmarks (see DatasetSpec). */
  practitioners?: number;
  invoiceShare?: number;
  users: ClinikoUser[];
  faults: Faults;
  version: number;
  data?: Dataset;
}

export interface ClinikoKeyRecord {
  id: string;
  key: string;
  accountId: string;
  userId: string;
  status: "active" | "archived";
  /** The control API emptied what this key sees (a fresh key on the wrong account, in effect). */
  hidePatients: boolean;
}

export interface NookalLocation {
  id: string;
  name: string;
  patients: number;
}

export interface NookalAccount {
  vendor: "nookal";
  id: string;
  label: string;
  region: string;
  practiceName: string;
  timeZone: string;
  country: string;
  locations: NookalLocation[];
  patientsOnly: boolean;
  faults: Faults;
  version: number;
  data?: Dataset;
}

export interface NookalKeyRecord {
  id: string;
  key: string;
  name: string;
  apiVersion: "v2" | "v3";
  accountId: string;
  status: "enabled" | "disabled";
  locationIds: string[];
  clinicalNotes: boolean;
  hidePatients: boolean;
}

export interface World {
  seed: number;
  anchor: number;
  settings: WorldSettings;
  globalFaults: Faults;
  /** Faults of one vendor shard or region, keyed by `regionFaultKey` (`cliniko:au1`, `nookal:au`). */
  regionFaults: Map<string, Faults>;
  cliniko: { accounts: Map<string, ClinikoAccount>; keys: Map<string, ClinikoKeyRecord> };
  nookal: {
    accounts: Map<string, NookalAccount>;
    keys: Map<string, NookalKeyRecord>;
    /** Issued tokens; `superseded` once a newer token of the same key replaced it (nookalTokensPerKey "one"). */
    tokens: Map<string, { keyId: string; region: string; expiresAt: number; superseded?: boolean }>;
  };
  /** Per-user fixed windows for the Cliniko rate limit. */
  rateWindows: Map<string, { start: number; count: number }>;
  /**
   * Per user: when each request was admitted and when each was refused with 429 (epoch ms, the
   * last 5,000 of each), so tests count what arrived in any window, not only the vendor's own.
   */
  rateLog: Map<string, { admitted: number[]; limited: number[] }>;
  /** Counters that drive rate-based faults deterministically. */
  faultCounters: Map<string, number>;
  stats: { requests: number; byStatus: Record<string, number> };
  sequence: number;
}

export interface WorldOptions {
  seed?: number;
  /** The data's "now" in epoch ms; defaults to the start of the current UTC day. */
  anchor?: number;
  /** Include the demo fleet's accounts (default true). */
  demo?: boolean;
  settings?: Partial<WorldSettings>;
}

export function createWorld(opts: WorldOptions = {}): World {
  const world: World = {
    seed: opts.seed ?? 1,
    anchor: opts.anchor ?? Math.floor(Date.now() / DAY_MS) * DAY_MS,
    settings: { ...DEFAULT_SETTINGS, ...opts.settings },
    globalFaults: {},
    regionFaults: new Map(),
    cliniko: { accounts: new Map(), keys: new Map() },
    nookal: { accounts: new Map(), keys: new Map(), tokens: new Map() },
    rateWindows: new Map(),
    rateLog: new Map(),
    faultCounters: new Map(),
    stats: { requests: 0, byStatus: {} },
    sequence: 0,
  };
  if (opts.demo !== false) for (const account of DEMO_VENDOR_ACCOUNTS) addDemoAccount(world, account);
  return world;
}

export type Vendor = "cliniko" | "nookal";

/** Where a vendor serves from: a Cliniko shard (`au1`) or a Nookal region (`au`). */
export function regionFaultKey(vendor: Vendor, region: string): string {
  return `${vendor}:${region}`;
}

/** The faults of the shard/region a request went to ({} when none are set). */
export function regionFaultsOf(world: World, vendor: Vendor, region: string | undefined): Faults {
  return (region === undefined ? undefined : world.regionFaults.get(regionFaultKey(vendor, region))) ?? {};
}

// why: ids must exceed 2^53 like Cliniko's, and be stable for a given label
const CLINIKO_ID_BASE = 1_600_000_000_000_000_000n;
export function clinikoId(accountLabel: string, kind: number, index: number): string {
  return (CLINIKO_ID_BASE + BigInt(hash32(accountLabel)) * 1_000_000_000n + BigInt(kind) * 100_000_000n + BigInt(index)).toString();
}
export const KIND = {
  account: 0,
  business: 1,
  user: 2,
  patient: 3,
  practitioner: 4,
  appointmentType: 5,
  appointment: 6,
  invoice: 7,
  key: 8,
  dailyAvailability: 9,
  availabilityBlock: 10,
  unavailableBlock: 11,
} as const;

export interface NewClinikoAccount {
  label?: string;
  shard: string;
  businessName?: string;
  timeZone?: string;
  country?: string;
  patients?: number;
  patientsOnly?: boolean;
  practitioners?: number;
  invoiceShare?: number;
  user?: Partial<Omit<ClinikoUser, "id">>;
  faults?: Faults;
}

export function addClinikoAccount(world: World, spec: NewClinikoAccount): ClinikoAccount {
  const label = spec.label ?? `cliniko-${++world.sequence}`;
  if ([...world.cliniko.accounts.values()].some((a) => a.label === label)) throw new Error(`account label ${label} exists`);
  const id = clinikoId(label, KIND.account, 0);
  const user: ClinikoUser = {
    id: clinikoId(label, KIND.user, 0),
    firstName: spec.user?.firstName ?? "Alex",
    lastName: spec.user?.lastName ?? "Admin",
    email: spec.user?.email ?? `admin@${label}.example`,
    role: spec.user?.role ?? "administrator",
    active: spec.user?.active ?? true,
    denied: spec.user?.denied ?? {},
  };
  const account: ClinikoAccount = {
    vendor: "cliniko",
    id,
    label,
    shard: spec.shard,
    businessName: spec.businessName ?? `Clinic ${label}`,
    timeZone: spec.timeZone ?? "Australia/Sydney",
    country: spec.country ?? "AU",
    patients: spec.patients ?? 250,
    patientsOnly: spec.patientsOnly ?? false,
    ...(spec.practitioners !== undefined ? { practitioners: spec.practitioners } : {}),
    ...(spec.invoiceShare !== undefined ? { invoiceShare: spec.invoiceShare } : {}),
    users: [user],
    faults: spec.faults ?? {},
    version: 0,
  };
  world.cliniko.accounts.set(id, account);
  return account;
}

export function addClinikoUser(world: World, account: ClinikoAccount, spec: Partial<Omit<ClinikoUser, "id">> = {}): ClinikoUser {
  const n = account.users.length;
  const user: ClinikoUser = {
    id: clinikoId(account.label, KIND.user, n),
    firstName: spec.firstName ?? "Sam",
    lastName: spec.lastName ?? `User${n}`,
    email: spec.email ?? `user${n}@${account.label}.example`,
    role: spec.role ?? "practitioner",
    active: spec.active ?? true,
    denied: spec.denied ?? {},
  };
  account.users.push(user);
  return user;
}

export function addClinikoKey(
  world: World,
  account: ClinikoAccount,
  spec: { key?: string; userId?: string; status?: "active" | "archived"; withSuffix?: boolean } = {},
): ClinikoKeyRecord {
  const n = [...world.cliniko.keys.values()].filter((k) => k.accountId === account.id).length;
  // why: au1 keys from before sharding carry no suffix; new keys name their shard
  const key = spec.key ?? clinikoKey(`${account.label}:key:${n}:${world.seed}`, spec.withSuffix === false ? undefined : account.shard);
  const record: ClinikoKeyRecord = {
    id: clinikoId(account.label, KIND.key, n),
    key,
    accountId: account.id,
    userId: spec.userId ?? account.users[0]!.id,
    status: spec.status ?? "active",
    hidePatients: false,
  };
  world.cliniko.keys.set(key, record);
  return record;
}

export interface NewNookalAccount {
  label?: string;
  region: string;
  practiceName?: string;
  timeZone?: string;
  country?: string;
  locations?: { name: string; patients: number }[];
  patientsOnly?: boolean;
  faults?: Faults;
}

export function addNookalAccount(world: World, spec: NewNookalAccount): NookalAccount {
  const label = spec.label ?? `nookal-${++world.sequence}`;
  const number = 1000 + (hash32(label) % 90_000);
  const id = String(number);
  if (world.nookal.accounts.has(id)) throw new Error(`account ${label} collides with an existing practice id`);
  const account: NookalAccount = {
    vendor: "nookal",
    id,
    label,
    region: spec.region,
    practiceName: spec.practiceName ?? `Practice ${label}`,
    timeZone: spec.timeZone ?? "Australia/Brisbane",
    country: spec.country ?? "AU",
    locations: (spec.locations ?? [{ name: "Main", patients: 250 }]).map((l, i) => ({ id: String(number * 10 + i + 1), name: l.name, patients: l.patients })),
    patientsOnly: spec.patientsOnly ?? false,
    faults: spec.faults ?? {},
    version: 0,
  };
  world.nookal.accounts.set(id, account);
  return account;
}

export function addNookalKey(
  world: World,
  account: NookalAccount,
  spec: { key?: string; name?: string; apiVersion?: "v2" | "v3"; status?: "enabled" | "disabled"; locationIds?: string[]; clinicalNotes?: boolean } = {},
): NookalKeyRecord {
  const n = [...world.nookal.keys.values()].filter((k) => k.accountId === account.id).length;
  const apiVersion = spec.apiVersion ?? "v3";
  const label = `${account.label}:key:${n}:${world.seed}`;
  const record: NookalKeyRecord = {
    id: String(Number(account.id) * 100 + n + 1),
    key: spec.key ?? (apiVersion === "v3" ? nookalV3Key(label) : nookalV2Key(label)),
    name: spec.name ?? "Relink",
    apiVersion,
    accountId: account.id,
    status: spec.status ?? "enabled",
    locationIds: spec.locationIds ?? account.locations.map((l) => l.id),
    clinicalNotes: spec.clinicalNotes ?? true,
    hidePatients: false,
  };
  world.nookal.keys.set(record.key, record);
  return record;
}

/** A demo account's misbehaviour as simulator faults (the demo fleet names them in vendor terms). */
function demoFaults(f: DemoFaults | undefined): Faults {
  if (!f) return {};
  return {
    ...(f.outage ? { outage: { status: 503 } } : {}),
    // why: a zero budget over ten minutes answers 429 with a reset far beyond the client's 65 s wait budget
    ...(f.budgetExhausted ? { rateLimit: 0, rateWindowMs: 10 * 60_000 } : {}),
    ...(f.truncated ? { malformedRate: 1 } : {}),
    ...(f.connectionReset ? { reset: true } : {}),
  };
}

function addDemoAccount(world: World, demo: DemoVendorAccount): void {
  if (demo.vendor === "cliniko") {
    const account = addClinikoAccount(world, {
      label: demo.label,
      shard: demo.shard,
      businessName: demo.businessName,
      timeZone: demo.timeZone,
      country: demo.country,
      patients: demo.patients,
      user: { ...demo.user, active: true, denied: demo.user.denied ?? {} },
      faults: demoFaults(demo.faults),
    });
    for (const k of demo.keys) addClinikoKey(world, account, { key: k.key, status: k.status });
  } else {
    const account = addNookalAccount(world, {
      label: demo.label,
      region: demo.region,
      practiceName: demo.practiceName,
      timeZone: demo.timeZone,
      country: demo.country,
      locations: demo.locations,
      faults: demoFaults(demo.faults),
    });
    for (const k of demo.keys) {
      addNookalKey(world, account, {
        key: k.key,
        apiVersion: k.apiVersion,
        status: k.status,
        clinicalNotes: k.clinicalNotes,
        locationIds: k.locations.map((i) => account.locations[i]!.id),
      });
    }
  }
}

/** The account's records, generated on first use and kept until the account changes. */
export function datasetOf(world: World, account: ClinikoAccount | NookalAccount): Dataset {
  if (!account.data) {
    account.data = generateDataset({
      seed: world.seed,
      label: account.label,
      timeZone: account.timeZone,
      patientsPerLocation: account.vendor === "cliniko" ? [account.patients] : account.locations.map((l) => l.patients),
      anchor: world.anchor,
      patientsOnly: account.patientsOnly,
      ...(account.vendor === "cliniko" && account.practitioners !== undefined ? { practitioners: account.practitioners } : {}),
      ...(account.vendor === "cliniko" && account.invoiceShare !== undefined ? { invoiceShare: account.invoiceShare } : {}),
    });
  }
  return account.data;
}

/** Drop generated data and render caches after a control-API change. */
export function invalidate(account: ClinikoAccount | NookalAccount): void {
  account.version++;
  account.data = undefined;
}

export function findAccount(world: World, id: string): ClinikoAccount | NookalAccount | undefined {
  return (
    world.cliniko.accounts.get(id) ??
    world.nookal.accounts.get(id) ??
    [...world.cliniko.accounts.values(), ...world.nookal.accounts.values()].find((a) => a.label === id)
  );
}
