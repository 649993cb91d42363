import { VendorError } from "./errors.ts";
import { abortableSleep, type RateLimiter } from "./rate-limiter.ts";
import type { BudgetLane, Vendor } from "../vocabulary.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { request as undiciRequest } from "undici";

/**
 * The one place vendor HTTP happens: a timeout on every attempt, bounded jittered retries for
 * 5xx and network failures only (never 4xx), and 429 handled by waiting for X-RateLimit-Reset.
 * Every failure leaves as a VendorError that names the request by method and path only.
 */
export interface TransportDeps {
  fetch?: typeof fetch;
  rateLimiter?: RateLimiter;
  /** Whose share of the rate budget requests spend (default interactive): docs/decisions/0034. */
  lane?: BudgetLane;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  retry?: { maxRetries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Longest single wait for a 429 reset before giving up with kind rate_limited (default 65 s). */
  maxRateLimitWaitMs?: number;
  /** How many 429s one request may wait out (default 3). */
  maxRateLimitWaits?: number;
  /** Sees every attempt's status (or network/timeout) and latency: the vendor request metrics. */
  metrics?: Pick<MetricsRecorder, "vendorRequest">;
}

export interface VendorRequest {
  vendor: Vendor;
  region: string;
  method: "GET" | "POST";
  url: string;
  /** Method-free path with query, for errors and logs. Must not contain the key. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Rate-limit bucket; none = not limited client-side. */
  bucket?: string;
  signal?: AbortSignal;
}

export interface VendorResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/**
 * The default transport: undici's request() rather than the WHATWG fetch() built on it. Why: the
 * probe makes two vendor calls, and fetch's Request/Response/Headers objects and stream wrapping
 * were the largest CPU cost per probe in bench:fleet. No redirects are followed (like
 * `redirect: "manual"`); the abort signal covers the body read too.
 */
async function undiciFetch(url: string, init: { method: string; headers?: Record<string, string>; body?: string; signal: AbortSignal }) {
  const res = await undiciRequest(url, { method: init.method as "GET", headers: init.headers, body: init.body, signal: init.signal });
  const text = await res.body.text();
  const headers = res.headers;
  return {
    status: res.statusCode,
    headers: {
      get(name: string): string | null {
        const v = headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
      },
    },
    text,
  };
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

/** Shortened, single-line vendor text for errors (HTML pages are reduced to their text). */
export function vendorText(text: string): string {
  const stripped = /<\s*(html|!doctype)/i.test(text) ? text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]+>/g, " ") : text;
  return stripped.replace(/\s+/g, " ").trim().slice(0, 2000);
}

function socketCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$|^UND_ERR/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export async function vendorFetch(req: VendorRequest, deps: TransportDeps = {}): Promise<VendorResponse> {
  const injected = deps.fetch;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? abortableSleep;
  const random = deps.random ?? Math.random;
  const maxRetries = deps.retry?.maxRetries ?? 2;
  const baseDelay = deps.retry?.baseDelayMs ?? 250;
  const maxDelay = deps.retry?.maxDelayMs ?? 4000;
  const maxWait = deps.maxRateLimitWaitMs ?? 65_000;
  const maxWaits = deps.maxRateLimitWaits ?? 3;
  const request = { method: req.method, path: req.path };
  const base = { vendor: req.vendor, region: req.region, request };

  let failures = 0;
  let waits = 0;
  for (;;) {
    if (req.bucket && deps.rateLimiter) {
      try {
        await deps.rateLimiter.acquire(req.bucket, { signal: req.signal, lane: deps.lane });
      } catch (err) {
        throw new VendorError({ ...base, kind: "timeout", message: `${req.vendor} request cancelled while waiting for the rate limit`, cause: err });
      }
    }
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let response: VendorResponse | undefined;
    let failure: VendorError | undefined;
    const attemptStarted = performance.now();
    // why: one observation per attempt (retries and 429 waits included), so latency and 429s are what the vendor saw
    const observe = (status: number | "network" | "timeout") =>
      deps.metrics?.vendorRequest({ vendor: req.vendor, status, seconds: (performance.now() - attemptStarted) / 1000 });
    try {
      if (injected) {
        const res = await injected(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: "manual" });
        // why: a vendor that sends headers and then stalls must time out too, so the body read shares the signal
        response = { status: res.status, headers: res.headers, text: await res.text() };
      } else {
        response = await undiciFetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal });
      }
      observe(response.status);
    } catch (err) {
      observe(timeout.aborted || req.signal?.aborted ? "timeout" : "network");
      if (timeout.aborted) {
        throw new VendorError({ ...base, kind: "timeout", message: `${req.vendor} did not answer within ${req.timeoutMs} ms`, cause: err });
      }
      if (req.signal?.aborted) {
        throw new VendorError({ ...base, kind: "timeout", message: `${req.vendor} request cancelled`, cause: err });
      }
      const socketCode = socketCodeOf(err);
      failure = new VendorError({
        ...base,
        kind: "network",
        socketCode,
        message: `Could not reach ${req.vendor}${socketCode ? ` (${socketCode})` : ""}`,
        cause: err,
      });
    }

    if (response && response.status === 429) {
      const resetHeader = response.headers.get("x-ratelimit-reset");
      const retryAfterHeader = response.headers.get("retry-after");
      const resetAt =
        resetHeader && /^\d+$/.test(resetHeader)
          ? Number(resetHeader) * 1000
          : retryAfterHeader && /^\d+$/.test(retryAfterHeader)
            ? now() + Number(retryAfterHeader) * 1000
            : now() + 1000;
      // why: the reset is in whole seconds of the vendor's clock; a little slack avoids a second 429
      const waitMs = Math.max(0, resetAt - now()) + 100;
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      if (waits >= maxWaits || waitMs > maxWait) {
        throw new VendorError({
          ...base,
          kind: "rate_limited",
          status: 429,
          retryAfterSeconds,
          vendorMessage: vendorText(response.text) || undefined,
          message: `${req.vendor} is rate limiting this key; retry in ${retryAfterSeconds} s`,
        });
      }
      waits++;
      // why: with the shared budget the pause reaches every process before this one retries
      if (req.bucket && deps.rateLimiter) await deps.rateLimiter.pauseUntil(req.bucket, now() + waitMs);
      else await sleep(waitMs, req.signal).catch(() => undefined);
      continue;
    }

    if (response && !RETRYABLE_STATUS.has(response.status)) return response;
    if (response) {
      failure = new VendorError({
        ...base,
        kind: "http",
        status: response.status,
        vendorMessage: vendorText(response.text) || undefined,
        message: `${req.vendor} answered ${response.status}`,
      });
    }
    if (failures >= maxRetries) throw failure!;
    failures++;
    // full jitter: spreads a fleet of clients retrying after the same outage
    const delay = random() * Math.min(maxDelay, baseDelay * 2 ** (failures - 1));
    try {
      await sleep(delay, req.signal);
    } catch (err) {
      throw new VendorError({ ...base, kind: "timeout", message: `${req.vendor} request cancelled`, cause: err });
    }
  }
}

/** A VendorError for a non-success answer that is not retried (4xx). */
export function httpError(req: Pick<VendorRequest, "vendor" | "region" | "method" | "path">, res: VendorResponse, message?: string): VendorError {
  return new VendorError({
    vendor: req.vendor,
    region: req.region,
    request: { method: req.method, path: req.path },
    kind: "http",
    status: res.status,
    vendorMessage: vendorText(res.text) || undefined,
    message: message ?? `${req.vendor} answered ${res.status}`,
  });
}
