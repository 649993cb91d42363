import { createHash } from "node:crypto";
import type { VendorClientDeps } from "../vendors/client.ts";
import { createVendorClient, findWorkingRegion } from "../vendors/factory.ts";
import type { VendorSettings } from "../vendors/types.ts";
import type { VendorAccess } from "./probe.ts";
import { readOnePage } from "../sync/resources.ts";

const REGION_CACHE_MS = 10 * 60_000;

/**
 * The probe's door to the vendors. Region probing is sequential and bounded (findWorkingRegion),
 * and its answer is cached per key for ten minutes, so a fleet of rejected keys does not fan out
 * into every shard on every sweep.
 */
export function createVendorAccess(settings: VendorSettings, deps: VendorClientDeps = {}): VendorAccess {
  const regionCache = new Map<string, { at: number; region: string | null }>();
  return {
    verify: (target, opts) => createVendorClient(target, settings, deps).verify(opts),
    readOnePage: (target, resource) => readOnePage(createVendorClient(target, settings, deps), resource),
    async findWorkingRegion(target) {
      // why: the cache key is a hash, so no plaintext key sits in memory longer than a call
      const id = createHash("sha256").update(`${target.vendor}:${target.apiVersion}:${target.region}:${target.key}`).digest("hex");
      const cached = regionCache.get(id);
      if (cached && Date.now() - cached.at < REGION_CACHE_MS) return cached.region;
      const found = (await findWorkingRegion(target, settings, {}, deps))?.workingRegion ?? null;
      regionCache.set(id, { at: Date.now(), region: found });
      return found;
    },
  };
}
