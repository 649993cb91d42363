import type { Db } from "../../db/client.ts";
import { getNookalToken, refreshNookalTokenLocked, type SealedTokenRow } from "../../db/queries/nookal-tokens.ts";
import { decryptBoundSecret, encryptBoundSecret, KeyCryptoError, type Keyring } from "../secrets/key-crypto.ts";
import { reusable, type NookalTokenStore, type StoredToken } from "../vendors/nookal-token-store.ts";

const PURPOSE = "nookal-access-token";

/**
 * The Nookal token store every process shares: tokens sealed with the master keyring (AES-256-GCM,
 * bound to their row id) in Postgres, refreshed under an advisory lock so that when a token
 * expires exactly one process mints the next one (docs/decisions/0020-nookal-attested-facts.md).
 */
export function createPostgresTokenStore({ db, keyring, lockTimeoutMs = 60_000 }: { db: Db; keyring: Keyring; lockTimeoutMs?: number }): NookalTokenStore {
  const open = (id: string, row: SealedTokenRow | undefined): StoredToken | undefined => {
    if (!row) return undefined;
    try {
      return { token: decryptBoundSecret(keyring, PURPOSE, id, row), expiresAt: row.expiresAt.getTime() };
    } catch (err) {
      // why: a token sealed by a retired master key, or a tampered row, is just a token to replace
      if (err instanceof KeyCryptoError) return undefined;
      throw err;
    }
  };
  // why: callers in one process that refresh together share one wait for the lock, not one pool connection each
  const inflight = new Map<string, Promise<StoredToken>>();
  return {
    async get(id) {
      return open(id, await getNookalToken({ id }, db));
    },
    refresh(id, opts, mint) {
      const flightKey = `${id}\n${opts.stale ?? ""}`;
      const pending = inflight.get(flightKey);
      if (pending) return pending;
      const run = refreshNookalTokenLocked(
        {
          id,
          lockTimeoutMs,
          decide: async (row) => {
            const current = open(id, row);
            if (reusable(current, opts)) return { write: null, result: current };
            const fresh = await mint();
            const sealed = encryptBoundSecret(keyring, PURPOSE, id, fresh.token);
            return { write: { ...sealed, expiresAt: new Date(fresh.expiresAt) }, result: fresh };
          },
        },
        db,
      ).finally(() => inflight.delete(flightKey));
      inflight.set(flightKey, run);
      return run;
    },
  };
}
