import type { VendorClient, VendorClientDeps } from "./client.ts";
import { createClinikoClient } from "./cliniko-client.ts";
import { KNOWN_CLINIKO_SHARDS } from "./cliniko-key.ts";
import { isVendorError, scrubKey, VendorError } from "./errors.ts";
import { createNookalV2Client } from "./nookal-v2-client.ts";
import { createNookalV3Client } from "./nookal-v3-client.ts";
import { type ConnectionTarget, type ListOptions, type Page, type VendorSettings } from "./types.ts";
import { NOOKAL_REGIONS, type NookalRegion } from "../vocabulary.ts";

/**
 * The one way to talk to a vendor. Never throws; every method rejects only with VendorError,
 * including programming slips inside a client (wrapped as invalid_response).
 */
export function createVendorClient(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  let client: VendorClient;
  if (target.vendor === "cliniko") client = createClinikoClient(target, settings, deps);
  else if (target.apiVersion === "v2") client = createNookalV2Client(target, settings, deps);
  else client = createNookalV3Client(target, settings, deps);
  return guard(client, target.key);
}

function wrap(client: VendorClient, err: unknown, key: string): VendorError {
  // why: the one boundary every vendor failure passes; whatever the vendor echoed of the key goes no further
  if (isVendorError(err)) return scrubKey(err, key);
  return new VendorError({
    vendor: client.vendor,
    region: client.region,
    kind: "invalid_response",
    message: `Unexpected failure in the ${client.vendor} client: ${err instanceof Error ? err.name : typeof err}`,
    cause: err,
  });
}

function guardIterable<T>(client: VendorClient, key: string, make: () => AsyncIterable<Page<T>>): AsyncIterable<Page<T>> {
  return {
    [Symbol.asyncIterator]() {
      let it: AsyncIterator<Page<T>>;
      try {
        it = make()[Symbol.asyncIterator]();
      } catch (err) {
        const e = wrap(client, err, key);
        return { next: () => Promise.reject(e) };
      }
      return {
        next: () => it.next().catch((err: unknown) => Promise.reject(wrap(client, err, key))),
        return: (value?: unknown) =>
          it.return
            ? it.return(value).catch((err: unknown) => Promise.reject(wrap(client, err, key)))
            : Promise.resolve({ done: true as const, value: undefined }),
      };
    },
  };
}

function guard(client: VendorClient, key: string): VendorClient {
  const call =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        throw wrap(client, err, key);
      }
    };
  return {
    vendor: client.vendor,
    region: client.region,
    apiVersion: client.apiVersion,
    authenticate: call(client.authenticate),
    verify: call(client.verify),
    countPatients: call(client.countPatients),
    searchPatients: call(client.searchPatients),
    patients: (opts) => guardIterable(client, key, () => client.patients(opts)),
    practitioners: (opts) => guardIterable(client, key, () => client.practitioners(opts)),
    appointmentTypes: (opts) => guardIterable(client, key, () => client.appointmentTypes(opts)),
    appointments: (opts) => guardIterable(client, key, () => client.appointments(opts)),
    invoices: (opts) => guardIterable(client, key, () => client.invoices(opts)),
    locations: (opts) => guardIterable(client, key, () => client.locations(opts)),
    ...optional(client, key, "inactivePractitioners"),
    ...optional(client, key, "dailyAvailabilities"),
    ...optional(client, key, "availabilityBlocks"),
    ...optional(client, key, "unavailableBlocks"),
  };
}

type OptionalList = "inactivePractitioners" | "dailyAvailabilities" | "availabilityBlocks" | "unavailableBlocks";

/** A list only some vendors have, guarded like the rest when the client has it. */
function optional<K extends OptionalList>(client: VendorClient, key: string, name: K): Partial<Pick<VendorClient, K>> {
  const fn = client[name] as ((opts?: ListOptions) => AsyncIterable<Page<unknown>>) | undefined;
  if (!fn) return {};
  return { [name]: (opts?: ListOptions) => guardIterable(client, key, () => fn.call(client, opts)) } as Partial<Pick<VendorClient, K>>;
}

/** Is this failure the vendor refusing the key (as opposed to an outage or our own bug)? */
export function isKeyRejection(err: unknown): boolean {
  if (!isVendorError(err)) return false;
  if (err.kind === "http")
    return err.status === 401 || (err.status === 400 && /invalid_client|invalid_grant/i.test(`${err.vendorCode ?? ""} ${err.vendorMessage ?? ""}`));
  // why: "Missing variable: api_key" names the key but means our request lacked it
  if (err.kind === "vendor_failure")
    return (
      /api[ _-]?key|invalid[ _]client|credential|authenticat|unauthori[sz]ed|disabled/i.test(err.vendorMessage ?? "") &&
      !/permi|not permitted|access to|missing|required/i.test(err.vendorMessage ?? "")
    );
  return false;
}

/** Where else a key could live: every other known shard, or every other configured Nookal region. */
function candidateRegions(target: ConnectionTarget, settings: VendorSettings): string[] {
  if (target.vendor === "cliniko") return KNOWN_CLINIKO_SHARDS.filter((s) => s !== target.region);
  // why: v2 keys have one global host, so there is no other region to try
  if (target.apiVersion === "v2") return [];
  return NOOKAL_REGIONS.filter((r: NookalRegion) => r !== target.region && Boolean(settings.nookalV3BaseUrls[r]));
}

export interface FindRegionOptions {
  /** Regions to try, in order; default candidateRegions(). The configured region is skipped. */
  candidates?: readonly string[];
  /** At most this many attempts (default 12). */
  maxAttempts?: number;
  signal?: AbortSignal;
}

/**
 * Try the key in other shards/regions, one at a time, and return the first that accepts it — the
 * evidence that tells wrong_region from auth_rejected (Cliniko gives both the same 401). Only a
 * success counts; failures of any kind just move on. The shape matches the health classifier's
 * RegionProbeResult.
 */
export async function findWorkingRegion(
  target: ConnectionTarget,
  settings: VendorSettings,
  opts: FindRegionOptions = {},
  deps: VendorClientDeps = {},
): Promise<{ workingRegion: string } | null> {
  const candidates = (opts.candidates ?? candidateRegions(target, settings)).filter((r) => r !== target.region).slice(0, opts.maxAttempts ?? 12);
  for (const region of candidates) {
    if (opts.signal?.aborted) return null;
    const client = createVendorClient({ ...target, region }, settings, deps);
    try {
      await client.authenticate({ signal: opts.signal });
      return { workingRegion: region };
    } catch (err) {
      // why: local key problems are the same everywhere; no point asking more regions
      if (isVendorError(err) && (err.kind === "key_missing" || err.kind === "key_malformed")) return null;
    }
  }
  return null;
}
