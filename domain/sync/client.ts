import type { VendorClient, VendorClientDeps } from "../vendors/client.ts";
import { createVendorClient } from "../vendors/factory.ts";
import type { ConnectionTarget, VendorSettings } from "../vendors/types.ts";

/**
 * The ONE place a vendor client for sync is built (docs/decisions/0033-sync.md). Its deps come
 * from the composition root (Services.syncVendorDeps), so the shared rate budget's "sync" lane is
 * set there, once, for every sync in every process.
 */
export function syncClientFor(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps): VendorClient {
  return createVendorClient(target, settings, deps);
}
