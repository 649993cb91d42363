import { Webhook } from "standardwebhooks";
import { fetch as undiciFetch, type Dispatcher } from "undici";
import { webhookSigningKey } from "./secrets.ts";
import { STRICT_WEBHOOK_TARGETS, webhookDispatcher, webhookUrlProblem, type WebhookTargetPolicy } from "./target.ts";

/**
 * Sends one signed webhook, per the Standard Webhooks spec (https://www.standardwebhooks.com):
 * `webhook-id` (the event id: the same on every attempt, so receivers drop duplicates),
 * `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), signed with the `standardwebhooks` library
 * so any of its implementations verifies it. The SSRF policy (./target.ts) checks the address dialled.
 */

export interface WebhookPostResult {
  ok: boolean;
  /**
   * For the metrics: delivered (2xx), http_error (any other answer), timeout, refused (the target
   * policy), network; not_sent when nothing could be sent (the event expired, the secret does not open).
   */
  outcome: "delivered" | "http_error" | "timeout" | "refused" | "network" | "not_sent";
  httpStatus: number | null;
  /** Why it failed, for the attempt row; never the secret or the signature. */
  error: string | null;
  durationMs: number;
}

export interface WebhookPostOptions {
  timeoutMs: number;
  /** Tests only: the signed send time (default: now, by the wall clock). */
  sentAt?: Date;
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
  message: { id: string },
  options: WebhookPostOptions,
): Promise<WebhookPostResult> {
  const started = performance.now();
  // why: the signed timestamp is the wall clock of the send, never a scheduler's `now`: receivers
  // refuse timestamps more than five minutes off their own clock
  const timestamp = options.sentAt ?? new Date();
  const elapsed = () => Math.round(performance.now() - started);
  const targets = options.targets ?? STRICT_WEBHOOK_TARGETS;
  const problem = webhookUrlProblem(endpoint.url, targets);
  if (problem) return { ok: false, outcome: "refused", httpStatus: null, error: `refused: ${problem}`, durationMs: elapsed() };
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
        "User-Agent": options.userAgent ?? "Relink-Webhooks/2",
        "webhook-id": message.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": new Webhook(webhookSigningKey(endpoint.secret), { format: "raw" }).sign(message.id, timestamp, rawBody),
      },
      body: rawBody,
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { ok: true, outcome: "delivered", httpStatus: res.status, error: null, durationMs: elapsed() };
    }
    const snippet = await readSnippet(res);
    return { ok: false, outcome: "http_error", httpStatus: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`, durationMs: elapsed() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; name?: string } };
    const outcome = e.name === "TimeoutError" ? "timeout" : e.cause?.name === "WebhookTargetError" ? "refused" : "network";
    const reason =
      outcome === "timeout"
        ? `no answer within ${options.timeoutMs} ms`
        : outcome === "refused"
          ? `refused: ${e.cause!.message}`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, outcome, httpStatus: null, error: `request failed: ${reason}`, durationMs: elapsed() };
  }
}
