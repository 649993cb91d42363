import type { Vendor } from "../vocabulary.ts";

/**
 * What went wrong talking to a vendor. Every failure a client meets becomes one of these;
 * no raw exception escapes a client.
 * - http: the vendor answered with a non-success HTTP status
 * - vendor_failure: the vendor answered but said it failed (Nookal `status: failure`, GraphQL `errors[]`)
 * - refused: the vendor answered, but refused one query to this key (GraphQL field null + error)
 * - rate_limited: 429 that could not be waited out within the client's budget
 * - network: DNS, TLS, refused, reset
 * - timeout: no answer within the configured time
 * - invalid_response: the answer failed schema validation or was not JSON
 * - key_malformed / key_missing: rejected locally, before any request
 */
export type VendorErrorKind =
  "http" | "vendor_failure" | "refused" | "rate_limited" | "network" | "timeout" | "invalid_response" | "key_malformed" | "key_missing";

export interface VendorErrorInit {
  vendor: Vendor;
  kind: VendorErrorKind;
  message: string;
  /** HTTP status, when the vendor answered at all. */
  status?: number;
  /** The vendor's own message, verbatim (body text, errorMessage…), truncated to 2,000 characters. */
  vendorMessage?: string;
  /** Vendor-specific error code (Nookal errorCode). */
  vendorCode?: string;
  /** Method and path (with query), never the key. */
  request?: { method: string; path: string };
  /** Seconds until the vendor allows another request (429 reset). */
  retryAfterSeconds?: number;
  /** Socket error code for network failures (ECONNREFUSED, ENOTFOUND…). */
  socketCode?: string;
  /** Region/shard the request went to. */
  region?: string;
  /** The query the vendor refused (kind refused), e.g. Nookal `treatmentNotes`. */
  field?: string;
  cause?: unknown;
}

// why: the web process loads domain code twice (its own source and the Remix bundle), so two
// VendorError classes exist there; a registered symbol recognises either copy where instanceof cannot
const VENDOR_ERROR_BRAND = Symbol.for("relink.VendorError");

export class VendorError extends Error {
  readonly [VENDOR_ERROR_BRAND] = true;
  readonly vendor: Vendor;
  readonly kind: VendorErrorKind;
  readonly status?: number;
  readonly vendorMessage?: string;
  readonly vendorCode?: string;
  readonly request?: { method: string; path: string };
  readonly retryAfterSeconds?: number;
  readonly socketCode?: string;
  readonly region?: string;
  readonly field?: string;

  constructor(init: VendorErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "VendorError";
    this.vendor = init.vendor;
    this.kind = init.kind;
    this.status = init.status;
    this.vendorMessage = init.vendorMessage?.slice(0, 2000);
    this.vendorCode = init.vendorCode;
    this.request = init.request;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.socketCode = init.socketCode;
    this.region = init.region;
    this.field = init.field;
  }

  /** Plain evidence for timelines and alerts; contains no secret. */
  evidence(): Record<string, unknown> {
    return {
      kind: this.kind,
      status: this.status,
      vendorMessage: this.vendorMessage,
      vendorCode: this.vendorCode,
      request: this.request ? `${this.request.method} ${this.request.path}` : undefined,
      retryAfterSeconds: this.retryAfterSeconds,
      socketCode: this.socketCode,
      region: this.region,
      field: this.field,
    };
  }
}

/**
 * The forms a pasted key can take inside a vendor's text: as pasted, trimmed of whitespace and
 * quotes, and each `:`-separated part (Nookal v3 keys are id:secret pairs, a vendor may quote either).
 */
function keyVariants(key: string): string[] {
  const trimmed = key
    .trim()
    .replace(/^["'`]+|["'`]+$/g, "")
    .trim();
  const parts = trimmed.split(/[\s:]+/);
  const all = [key, trimmed, ...parts, encodeURIComponent(trimmed)];
  // why: a short fragment would blank out ordinary words; real keys and their halves are long
  return [...new Set(all.filter((v) => v.length >= 8))].sort((a, b) => b.length - a.length);
}

function scrubText(text: string | undefined, variants: string[]): string | undefined {
  if (text === undefined) return undefined;
  let out = text;
  for (const v of variants) out = out.split(v).join("[key]");
  return out;
}

/**
 * The error with the submitted key replaced by `[key]` wherever the vendor echoed it (message,
 * body text, code). Vendor text is stored in timelines and probe evidence and shown on verdicts,
 * so it must be scrubbed before it leaves the client (domain/vendors/factory.ts does, for every call).
 */
export function scrubKey(err: VendorError, key: string | undefined): VendorError {
  if (!key) return err;
  const variants = keyVariants(key);
  const message = scrubText(err.message, variants)!;
  const vendorMessage = scrubText(err.vendorMessage, variants);
  const vendorCode = scrubText(err.vendorCode, variants);
  if (message === err.message && vendorMessage === err.vendorMessage && vendorCode === err.vendorCode) return err;
  const causeText = err.cause instanceof Error ? `${err.cause.message} ${err.cause.stack ?? ""}` : String(err.cause ?? "");
  return new VendorError({
    vendor: err.vendor,
    kind: err.kind,
    message,
    status: err.status,
    vendorMessage,
    vendorCode,
    request: err.request,
    retryAfterSeconds: err.retryAfterSeconds,
    socketCode: err.socketCode,
    region: err.region,
    // why: a cause that quotes the key would carry it into the log
    cause: variants.some((v) => causeText.includes(v)) ? undefined : err.cause,
  });
}

export function isVendorError(e: unknown): e is VendorError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[VENDOR_ERROR_BRAND] === true;
}
