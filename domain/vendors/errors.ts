import type { Vendor } from "../health/states.ts";

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
  | "http"
  | "vendor_failure"
  | "refused"
  | "rate_limited"
  | "network"
  | "timeout"
  | "invalid_response"
  | "key_malformed"
  | "key_missing";

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

export function isVendorError(e: unknown): e is VendorError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[VENDOR_ERROR_BRAND] === true;
}
