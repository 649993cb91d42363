import { createHash, randomBytes } from "node:crypto";

/** 256 random bits as base64url: 43 characters, safe in a URL path segment. */
const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * SHA-256 of the token: what the database stores and looks up. A fast hash is right here: the
 * token is 256 random bits, so there is nothing to brute-force from a leaked hash.
 * Any string hashes (a malformed token too), so callers never branch before the lookup.
 */
export function hashToken(token: string): Buffer {
  // why: bound the work for absurd inputs without branching on the token's shape
  return createHash("sha256").update(token.slice(0, 256), "utf8").digest();
}

/** The path a clinic admin opens; the console prefixes PUBLIC_URL. */
export function reconnectPath(token: string): string {
  return `/reconnect/${token}`;
}

/**
 * What stored copies and the console show instead of a link: `/reconnect/…abcd` (the last four
 * characters), enough to tell two links apart, useless to open one.
 */
function redactedReconnectPath(token: string): string {
  return `/reconnect/…${token.slice(-4)}`;
}

/** The text with every occurrence of the token's link redacted. */
export function redactReconnectLink(text: string, token: string): string {
  return text.replaceAll(reconnectPath(token), redactedReconnectPath(token));
}

/** The stored (redacted) text with the real link put back: only for the message actually sent. */
export function revealReconnectLink(text: string, token: string): string {
  return text.replaceAll(redactedReconnectPath(token), reconnectPath(token));
}
