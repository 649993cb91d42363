import { createHash } from "node:crypto";
import type { VendorClient, VendorClientDeps } from "../vendors/client.ts";
import { createClinikoClient } from "../vendors/cliniko-client.ts";
import { KNOWN_CLINIKO_SHARDS } from "../vendors/cliniko-key.ts";
import { isVendorError } from "../vendors/errors.ts";
import { createNookalV2Client } from "../vendors/nookal-v2-client.ts";
import { createNookalV3Client } from "../vendors/nookal-v3-client.ts";
import { NOOKAL_REGIONS, type ConnectionTarget, type VendorSettings } from "../vendors/types.ts";
import type { VendorAccess } from "./probe.ts";

export function clientFor(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  if (target.vendor === "cliniko") return createClinikoClient(target, settings, deps);
  return target.apiVersion === "v2" ? createNookalV2Client(target, settings, deps) : createNookalV3Client(target, settings, deps);
}

/** Regions worth trying for a rejected key: every other known shard, or every other configured Nookal region. */
export function otherRegions(target: ConnectionTarget, settings: VendorSettings): string[] {
  if (target.vendor === "cliniko") return KNOWN_CLINIKO_SHARDS.filter((s) => s !== target.region);
  // why: Nookal v2 has one global host, so a v2 key has no other region to be in
  if (target.apiVersion === "v2") return [];
  return NOOKAL_REGIONS.filter((r) => r !== target.region && settings.nookalV3BaseUrls[r]);
}

const REGION_CACHE_MS = 10 * 60_000;

/**
 * The probe's door to the vendors. Region probing is sequential (at most one request per
 * candidate at a time, inside each client's rate limiter) and its answer is cached per key for
 * ten minutes, so a fleet of rejected keys does not fan out into every shard on every sweep.
 */
export function createVendorAccess(settings: VendorSettings, deps: VendorClientDeps = {}): VendorAccess {
  const regionCache = new Map<string, { at: number; region: string | null }>();
  return {
    verify: (target) => clientFor(target, settings, deps).verify(),
    async findWorkingRegion(target) {
      // why: the cache key is a hash, so no plaintext key sits in memory longer than a call
      const id = createHash("sha256").update(`${target.vendor}:${target.apiVersion}:${target.region}:${target.key}`).digest("hex");
      const cached = regionCache.get(id);
      if (cached && Date.now() - cached.at < REGION_CACHE_MS) return cached.region;
      let found: string | null = null;
      for (const region of otherRegions(target, settings)) {
        try {
          await clientFor({ ...target, region }, settings, deps).verify({ requireClinicalNotes: false });
          found = region;
          break;
        } catch (err) {
          if (!isVendorError(err)) throw err;
        }
      }
      regionCache.set(id, { at: Date.now(), region: found });
      return found;
    },
  };
}
