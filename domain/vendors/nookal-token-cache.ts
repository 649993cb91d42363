import { createHash } from "node:crypto";

/**
 * Nookal v3 access tokens, kept until shortly before they expire. Entries are keyed by a hash of
 * region, base URL and key, so the cache never holds the key itself.
 */
export interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenCache {
  get(id: string): CachedToken | undefined;
  set(id: string, token: CachedToken): void;
  delete(id: string): void;
}

export function createTokenCache(): TokenCache {
  const map = new Map<string, CachedToken>();
  return {
    get: (id) => map.get(id),
    set: (id, token) => void map.set(id, token),
    delete: (id) => void map.delete(id),
  };
}

export function tokenCacheId(region: string, baseUrl: string, key: string): string {
  return createHash("sha256").update(`${region}\n${baseUrl}\n${key}`).digest("base64url");
}

export const defaultTokenCache: TokenCache = createTokenCache();
