import type { VendorSettings } from "../domain/vendors/types.ts";
import type { ClinikoKeyRecord, ClinikoUser, Faults, NookalKeyRecord, NookalLocation, WorldSettings } from "./world.ts";

/** A typed client for the control API, for tests, benchmarks and scripts. */
export interface ClinikoAccountView {
  vendor: "cliniko";
  id: string;
  label: string;
  shard: string;
  users: ClinikoUser[];
  keys: ClinikoKeyRecord[];
}

export interface NookalAccountView {
  vendor: "nookal";
  id: string;
  label: string;
  region: string;
  locations: NookalLocation[];
  keys: NookalKeyRecord[];
}

export interface NewClinikoAccountBody {
  shard: string;
  label?: string;
  businessName?: string;
  timeZone?: string;
  country?: string;
  patients?: number;
  patientsOnly?: boolean;
  practitioners?: number;
  invoiceShare?: number;
  user?: Partial<Omit<ClinikoUser, "id">>;
  faults?: Faults;
  keys?: number;
  keyWithSuffix?: boolean;
}

export interface NewNookalAccountBody {
  region: "au" | "eu" | "us";
  label?: string;
  practiceName?: string;
  timeZone?: string;
  country?: string;
  locations?: { name: string; patients: number }[];
  patientsOnly?: boolean;
  faults?: Faults;
  keys?: number;
  apiVersion?: "v2" | "v3";
}

export function controlClient(baseUrl: string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}/_control${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`control ${method} ${path} failed: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  return {
    createClinikoAccount: (body: NewClinikoAccountBody) => call<ClinikoAccountView>("POST", "/cliniko/accounts", body),
    addClinikoUser: (accountId: string, body: Partial<Omit<ClinikoUser, "id">>) => call<ClinikoUser>("POST", `/cliniko/accounts/${accountId}/users`, body),
    addClinikoKey: (accountId: string, body: { userId?: string; status?: "active" | "archived"; withSuffix?: boolean } = {}) =>
      call<ClinikoKeyRecord>("POST", `/cliniko/accounts/${accountId}/keys`, body),
    patchClinikoUser: (userId: string, body: Partial<Omit<ClinikoUser, "id">>) => call<ClinikoUser>("PATCH", `/cliniko/users/${userId}`, body),
    archiveClinikoKey: (key: string) => call<ClinikoKeyRecord>("POST", "/cliniko/keys/archive", { key }),
    activateClinikoKey: (key: string) => call<ClinikoKeyRecord>("POST", "/cliniko/keys/activate", { key }),
    createNookalAccount: (body: NewNookalAccountBody) => call<NookalAccountView>("POST", "/nookal/accounts", body),
    addNookalKey: (
      accountId: string,
      body: { apiVersion?: "v2" | "v3"; status?: "enabled" | "disabled"; locationIds?: string[]; clinicalNotes?: boolean } = {},
    ) => call<NookalKeyRecord>("POST", `/nookal/accounts/${accountId}/keys`, body),
    disableNookalKey: (key: string) => call<NookalKeyRecord>("POST", "/nookal/keys/disable", { key }),
    enableNookalKey: (key: string) => call<NookalKeyRecord>("POST", "/nookal/keys/enable", { key }),
    patchNookalKey: (key: string, body: { locationIds?: string[]; clinicalNotes?: boolean; status?: "enabled" | "disabled" }) =>
      call<NookalKeyRecord>("PATCH", "/nookal/keys", { key, ...body }),
    expireNookalTokens: () => call<{ ok: true }>("POST", "/nookal/tokens/expire"),
    /** Tokens issued (and still live: not expired, not superseded), for one key or all. */
    nookalTokens: (key?: string) => call<{ live: number; issued: number }>("POST", "/nookal/tokens/count", { key }),
    hidePatients: (key: string, hidden = true) => call<{ ok: true }>("POST", "/keys/hide-patients", { key, hidden }),
    moveAccount: (accountId: string, to: { shard: string } | { region: string }) => call<unknown>("POST", `/accounts/${accountId}/move`, to),
    setAccountFaults: (accountId: string, faults: Faults) => call<Faults>("POST", `/accounts/${accountId}/faults`, faults),
    clearAccountFaults: (accountId: string) => call<Faults>("DELETE", `/accounts/${accountId}/faults`),
    /** Faults for every request sent to one Cliniko shard (`"au1"`) or Nookal region (`"au"`), replaced as a whole. */
    setRegionFaults: (vendor: "cliniko" | "nookal", region: string, faults: Faults) =>
      call<Faults>("POST", `/regions/${vendor}/${encodeURIComponent(region)}/faults`, faults),
    clearRegionFaults: (vendor: "cliniko" | "nookal", region: string) => call<Faults>("DELETE", `/regions/${vendor}/${encodeURIComponent(region)}/faults`),
    setGlobalFaults: (faults: Faults) => call<Faults>("POST", "/faults", faults),
    clearGlobalFaults: () => call<Faults>("DELETE", "/faults"),
    setSettings: (settings: Partial<WorldSettings>) => call<WorldSettings>("PATCH", "/settings", settings),
    getSettings: async () => (await call<{ settings: WorldSettings }>("GET", "/world")).settings,
    setPatients: (accountId: string, count: number, location?: string) => call<unknown>("POST", `/accounts/${accountId}/patients`, { count, location }),
    touch: (accountId: string, resource: TouchableResource, count: number, at?: number) =>
      call<{ touched: number; updatedAt: string }>("POST", `/accounts/${accountId}/touch`, { resource, count, at }),
    /** Deletes, archives or cancels the first `count` live records (their updated_at moves to `at`). */
    change: (accountId: string, resource: TouchableResource, change: "delete" | "archive" | "cancel", count: number, at?: number) =>
      call<{ changed: number; updatedAt: string }>("POST", `/accounts/${accountId}/change`, { resource, change, count, at }),
    resetRateLimits: () => call<{ ok: true }>("POST", "/rate-limits/reset"),
    /** Per Cliniko user (`cliniko:<account>:<user>`): admitted and 429ed request times, epoch ms. */
    rateLog: () => call<{ buckets: Array<{ bucket: string; admitted: number[]; limited: number[] }> }>("GET", "/rate-limits"),
    reset: (seed?: number) => call<{ ok: true }>("POST", "/reset", { seed }),
    stats: () => call<{ requests: number; byStatus: Record<string, number> }>("GET", "/stats"),
  };
}

export type ControlClient = ReturnType<typeof controlClient>;

type TouchableResource =
  "patients" | "practitioners" | "appointments" | "invoices" | "appointment_types" | "daily_availabilities" | "availability_blocks" | "unavailable_blocks";

/** VendorSettings pointing every vendor URL at a simulator. */
export function simulatorVendorSettings(baseUrl: string, overrides: Partial<VendorSettings> = {}): VendorSettings {
  return {
    clinikoBaseUrlTemplate: `${baseUrl}/cliniko/{shard}/v1`,
    nookalV3BaseUrls: { au: `${baseUrl}/nookal/au`, eu: `${baseUrl}/nookal/eu`, us: `${baseUrl}/nookal/us` },
    nookalV2BaseUrl: `${baseUrl}/nookal-v2/production/v2`,
    appName: "Relink tests",
    contactEmail: "tests@relink.example",
    timeoutMs: 5000,
    ...overrides,
  };
}
