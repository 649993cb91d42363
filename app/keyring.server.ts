import { keyringFromConfig, type Keyring } from "../domain/connections/key-storage.ts";
import type { Services } from "./services.server.ts";

const keyrings = new WeakMap<Services, Keyring>();

/** The master keyring for the few web actions that decrypt a key server-side (probe now, patient lookup). */
export function keyringFor(services: Services): Keyring {
  let keyring = keyrings.get(services);
  if (!keyring) {
    keyring = keyringFromConfig(services.masterKey, services.env.MASTER_KEY_ID, services.env.MASTER_KEYS_PREVIOUS);
    keyrings.set(services, keyring);
  }
  return keyring;
}
