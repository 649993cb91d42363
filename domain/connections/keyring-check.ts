import type { DbOrTx } from "../../db/client.ts";
import { StartupError } from "../../db/embedded.ts";
import { sampleSealedKeys } from "../../db/queries/connections.ts";
import { KeyCryptoError } from "../secrets/key-crypto.ts";
import { openApiKey, type Keyring } from "./key-storage.ts";

/**
 * Start-up check (docs/decisions/0023): the configured master keys must open a stored key sealed
 * under every key id still in use. Otherwise every probe would fail for our own mistake, so the
 * process refuses to start, naming the variable to fix (never a key).
 */
export async function assertKeyringReadsStoredKeys(keyring: Keyring, db: DbOrTx): Promise<void> {
  const byKeyId = new Map<string, Awaited<ReturnType<typeof sampleSealedKeys>>>();
  for (const row of await sampleSealedKeys(db)) byKeyId.set(row.keyId!, [...(byKeyId.get(row.keyId!) ?? []), row]);
  for (const [id, rows] of byKeyId) {
    let err: KeyCryptoError | null = null;
    for (const row of rows) {
      try {
        openApiKey(keyring, row);
        err = null;
        break;
      } catch (e) {
        if (!(e instanceof KeyCryptoError)) throw e;
        err = e;
      }
    }
    if (err) {
      const isCurrent = keyring.current.id === id;
      const isPrevious = (keyring.previous ?? []).some((k) => k.id === id);
      const fix =
        err.code === "unknown_key_id"
          ? `Stored API keys were sealed with master key "${id}", which is not configured: add it to MASTER_KEYS_PREVIOUS as ${id}:<base64> (or set MASTER_KEY to it with MASTER_KEY_ID=${id}).`
          : isCurrent
            ? `MASTER_KEY (MASTER_KEY_ID "${id}") cannot decrypt the stored API keys sealed under "${id}": it is not the key that sealed them. Set MASTER_KEY to the original key.`
            : isPrevious
              ? `MASTER_KEYS_PREVIOUS entry "${id}" cannot decrypt the stored API keys sealed under "${id}": it is not the key that sealed them.`
              : `The stored API keys sealed under "${id}" cannot be decrypted (${err.code}).`;
      throw new StartupError(`Refusing to start: ${fix}`);
    }
  }
}
