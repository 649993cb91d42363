import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { fetch as undiciFetch, type Dispatcher } from "undici";
import { STRICT_WEBHOOK_TARGETS, webhookDispatcher, webhookUrlProblem, type WebhookTargetPolicy } from "./webhook-target.ts";

/**
 * Signed webhooks. The signature is HMAC-SHA256 over `${timestamp}.${rawBody}` with the endpoint's
 * shared secret, sent as `X-Relink-Signature: v1=<hex>` next to `X-Relink-Timestamp` (Unix
 * seconds). Signing the timestamp with the body lets a receiver refuse replays of an old message;
 * signing the raw bytes (not re-serialised JSON) means any change to the body breaks it.
 */

export const WEBHOOK_TIMESTAMP_HEADER = "X-Relink-Timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "X-Relink-Signature";
export const WEBHOOK_EVENT_HEADER = "X-Relink-Event";
/** The notification id: the same on every retry, so a receiver can drop duplicates. */
export const WEBHOOK_ID_HEADER = "X-Relink-Delivery";

const SIGNATURE_VERSION = "v1";
const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: 256 random bits, prefixed so it is recognisable when pasted around. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  const h = createHmac("sha256", secret);
  h.update(`${timestamp}.`);
  h.update(rawBody);
  return h.digest("hex");
}

/** The `X-Relink-Signature` value for a body sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Uint8Array): string {
  return `${SIGNATURE_VERSION}=${hmacHex(secret, String(timestamp), rawBody)}`;
}

export type WebhookVerification = { ok: true } | { ok: false; reason: "malformed" | "stale" | "mismatch" };

/**
 * For receivers: checks a request's signature against the raw body exactly as received.
 * `signature` may list several comma-separated `v1=` values (sent while a secret is rotated);
 * any one matching is enough. Rejects timestamps further than `toleranceSeconds` from now.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | null | undefined,
  rawBody: string | Uint8Array,
  signature: string | null | undefined,
  options: { toleranceSeconds?: number; now?: Date } = {},
): WebhookVerification {
  const ts = timestamp === null || timestamp === undefined ? "" : String(timestamp).trim();
  if (!/^\d{1,12}$/.test(ts) || !signature) return { ok: false, reason: "malformed" };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(ts)) > tolerance) return { ok: false, reason: "stale" };

  const expected = Buffer.from(hmacHex(secret, ts, rawBody), "hex");
  const candidates = signature
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SIGNATURE_VERSION}=`))
    .map((part) => part.slice(SIGNATURE_VERSION.length + 1));
  if (candidates.length === 0) return { ok: false, reason: "malformed" };
  for (const hex of candidates) {
    if (!/^[0-9a-f]{64}$/i.test(hex)) continue;
    // why: constant-time comparison, so response timing does not leak how much of a guess matched
    if (timingSafeEqual(Buffer.from(hex, "hex"), expected)) return { ok: true };
  }
  return { ok: false, reason: "mismatch" };
}

export interface WebhookPostResult {
  ok: boolean;
  httpStatus: number | null;
  /** Why it failed, for the attempt row; never the secret or the signature. */
  error: string | null;
  durationMs: number;
}

export interface WebhookPostOptions {
  timeoutMs: number;
  now?: Date;
  userAgent?: string;
  /** Where receivers may be; default strict (https, public addresses only). */
  targets?: WebhookTargetPolicy;
  /** Tests only: replaces the guarded transport (the address check lives in that transport). */
  fetchImpl?: typeof fetch;
}

// why: one connection pool per policy for the life of the process, not one per message
const dispatchers = new Map<string, Dispatcher>();
function dispatcherFor(policy: WebhookTargetPolicy): Dispatcher {
  const key = policy.allowPrivate ? "private" : "public";
  let d = dispatchers.get(key);
  if (!d) dispatchers.set(key, (d = webhookDispatcher(policy)));
  return d;
}

const RESPONSE_SNIPPET_BYTES = 300;

async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // why: a receiver that streams a huge error page must not hold the worker
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString("utf8").slice(0, RESPONSE_SNIPPET_BYTES).replace(/\s+/g, " ").trim();
}

/**
 * POSTs one signed JSON body. 2xx is delivered; anything else (3xx included: a signed message is
 * only ever sent to the URL that was registered) is a failure the caller retries.
 */
export async function postWebhook(
  endpoint: { url: string; secret: string },
  rawBody: string,
  headers: { event: string; deliveryId: string },
  options: WebhookPostOptions,
): Promise<WebhookPostResult> {
  const started = performance.now();
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const elapsed = () => Math.round(performance.now() - started);
  const targets = options.targets ?? STRICT_WEBHOOK_TARGETS;
  const problem = webhookUrlProblem(endpoint.url, targets);
  if (problem) return { ok: false, httpStatus: null, error: `refused: ${problem}`, durationMs: elapsed() };
  const send =
    options.fetchImpl ??
    ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: dispatcherFor(targets) }) as unknown as Promise<Response>);
  try {
    const res = await send(endpoint.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": options.userAgent ?? "Relink-Webhooks/1",
        [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(endpoint.secret, timestamp, rawBody),
        [WEBHOOK_EVENT_HEADER]: headers.event,
        [WEBHOOK_ID_HEADER]: headers.deliveryId,
      },
      body: rawBody,
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { ok: true, httpStatus: res.status, error: null, durationMs: elapsed() };
    }
    const snippet = await readSnippet(res);
    return { ok: false, httpStatus: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`, durationMs: elapsed() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; name?: string } };
    const reason =
      e.name === "TimeoutError"
        ? `no answer within ${options.timeoutMs} ms`
        : e.cause?.name === "WebhookTargetError"
          ? `refused: ${e.cause.message}`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, httpStatus: null, error: `request failed: ${reason}`, durationMs: elapsed() };
  }
}
