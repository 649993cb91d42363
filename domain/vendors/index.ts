/** Public surface of the vendor clients. */
export type { VendorClient, VendorClientDeps, VerifyOptions } from "./client.ts";
export { createVendorClient, findWorkingRegion, candidateRegions, isKeyRejection, vendorSettingsFromEnv, type FindRegionOptions } from "./factory.ts";
export { VendorError, isVendorError, type VendorErrorKind } from "./errors.ts";
export { parseClinikoKey, clinikoKeyHint, otherClinikoShards, KNOWN_CLINIKO_SHARDS, DEFAULT_CLINIKO_SHARD, type ClinikoKeyParse } from "./cliniko-key.ts";
export { parseNookalKey, nookalKeyHint, type NookalKeyParse } from "./nookal-key.ts";
export { createRateLimiter, defaultClinikoRateLimiter, CLINIKO_RATE_LIMIT, type RateLimiter, type RateLimiterOptions } from "./rate-limiter.ts";
export { createMemoryTokenStore, defaultTokenStore, nookalTokenId, type NookalTokenStore, type StoredToken } from "./nookal-token-store.ts";
export * from "./types.ts";
