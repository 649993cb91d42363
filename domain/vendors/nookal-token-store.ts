import { createHash } from "node:crypto";

/**
 * Where Nookal v3 access tokens live. A new token may invalidate the older ones of the same key
 * (reported by a public client), so every process must use the same one token per key: the
 * composition roots pass a store shared through Postgres (domain/connections/nookal-token-store.ts);
 * the in-memory store here is the default for a single process (tests, scripts).
 *
 * Tokens are named by `nookalTokenId` (a hash of region, base URL and key), never by the key.
 */
export interface StoredToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface NookalTokenStore {
  /** The shared token for this key, if one is stored (it may have expired: check `expiresAt`). */
  get(id: string): Promise<StoredToken | undefined>;
  /**
   * Replaces a token that expired or was refused, minting at most once among all concurrent
   * callers: under a lock, a stored token that is not `stale` and is valid after `validAfter`
   * (epoch ms) is returned as it is (another caller already refreshed); otherwise `mint` is
   * called and its token stored. If `mint` fails nothing is stored and the error propagates.
   */
  refresh(id: string, opts: { stale: string | undefined; validAfter: number }, mint: () => Promise<StoredToken>): Promise<StoredToken>;
}

export function nookalTokenId(region: string, baseUrl: string, key: string): string {
  return createHash("sha256").update(`${region}\n${baseUrl}\n${key}`).digest("base64url");
}

/** Is a stored token usable in place of a refused/expired one? The rule every store applies. */
export function reusable(current: StoredToken | undefined, opts: { stale: string | undefined; validAfter: number }): current is StoredToken {
  return current !== undefined && current.token !== opts.stale && current.expiresAt > opts.validAfter;
}

/** One process's tokens, with the same mint-once rule (a per-id promise chain as the lock). */
export function createMemoryTokenStore(): NookalTokenStore {
  const tokens = new Map<string, StoredToken>();
  const locks = new Map<string, Promise<unknown>>();
  return {
    get: async (id) => tokens.get(id),
    refresh(id, opts, mint) {
      const run = async () => {
        const current = tokens.get(id);
        if (reusable(current, opts)) return current;
        const fresh = await mint();
        tokens.set(id, fresh);
        return fresh;
      };
      const previous = locks.get(id) ?? Promise.resolve();
      const next = previous.then(run, run);
      const tail = next.catch(() => undefined);
      locks.set(id, tail);
      void tail.then(() => {
        if (locks.get(id) === tail) locks.delete(id);
      });
      return next;
    },
  };
}

/** The store used when none is passed: shared by every client in this process. */
export const defaultTokenStore: NookalTokenStore = createMemoryTokenStore();
