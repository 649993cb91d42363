import { keyringFromConfig, type Keyring } from "../domain/connections/key-storage.ts";
import type { VendorAccess } from "../domain/health/probe.ts";
import { createVendorAccess } from "../domain/health/vendor-access.ts";
import type { Services } from "./services.server.ts";

const keyrings = new WeakMap<Services, Keyring>();
const vendorAccess = new WeakMap<Services, VendorAccess>();

/** The master keyring for the few web actions that decrypt a key server-side (probe now, patient lookup). */
export function keyringFor(services: Services): Keyring {
  let keyring = keyrings.get(services);
  if (!keyring) {
    keyring = keyringFromConfig(services.masterKey, services.env.MASTER_KEY_ID, services.env.MASTER_KEYS_PREVIOUS);
    keyrings.set(services, keyring);
  }
  return keyring;
}

/**
 * Vendor access built inside the Remix bundle. why: `services.vendors` is created by scripts/web.ts
 * from the source modules, so its VendorError class is a different copy than the bundle's and
 * `isVendorError` (instanceof) inside the bundled probe would not recognise a 401 — the probe threw
 * instead of classifying. One instance per Services keeps the region cache shared.
 */
export function vendorsFor(services: Services): VendorAccess {
  let access = vendorAccess.get(services);
  if (!access) {
    access = createVendorAccess(services.vendor);
    vendorAccess.set(services, access);
  }
  return access;
}
