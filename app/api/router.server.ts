import type { z } from "zod";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import {
  abandonIdempotent,
  beginIdempotent,
  finishIdempotent,
  IdempotencyKeySchema,
  requestFingerprint,
  type StoredAnswer,
} from "../../domain/api/idempotency.ts";
import { authenticateApiToken, type ApiCaller } from "../../domain/api/tokens.ts";
import { isDomainError } from "../../domain/errors.ts";
import type { Services } from "../services.server.ts";
import type { ApiMethod, Endpoint } from "./endpoint.server.ts";
import type { BodyLimitRule } from "../../lib/http/body-limit.ts";
import { readBoundedBody } from "../../lib/http/bounded-body.ts";
import { domainProblemResponse, fieldErrors, problemResponse, type Problem } from "./problems.server.ts";

/**
 * The JSON API's one request path (docs/decisions/0042-json-api.md): match → authenticate →
 * rate limit (429) → scope → validate (Idempotency-Key 400, params 404, query 400, body
 * 413/415/400/422) → idempotency claim (replay, 422, 409) → handler → JSON. Every error is problem
 * details; a DomainError keeps its status, field and code. Limits and idempotency:
 * docs/decisions/0047-api-tokens-limits-idempotency.md.
 */

const API_PREFIX = "/api/v1";

interface CompiledEndpoint {
  endpoint: Endpoint;
  pattern: RegExp;
  names: string[];
}

export interface ApiRouter {
  endpoints: readonly Endpoint[];
  handle(request: Request, services: Services): Promise<Response>;
}

function compile(endpoint: Endpoint): CompiledEndpoint {
  const names: string[] = [];
  const source = endpoint.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { endpoint, pattern: new RegExp(`^${source}/?$`), names };
}

function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The query string as an object: a repeated name becomes an array (`?state=a&state=b`). */
function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

/** Request bodies past this are 413 (the console's forms have the same bound, app/upload.server.ts). */
const API_MAX_BODY_BYTES = 64 * 1024;
const TOO_LARGE = `The body is larger than ${API_MAX_BODY_BYTES / 1024} KB (${API_MAX_BODY_BYTES.toLocaleString("en")} bytes).`;
const RATE_LIMIT_WINDOW_SECONDS = 60;

/**
 * The web server's body limit for /api/v1 (scripts/web.ts): the same bound, answered as problem
 * details, so a too-big body gets the API's one error shape before it reaches the router. The
 * router checks again (readBoundedBody) for requests that come to it any other way.
 */
export const API_BODY_LIMIT: BodyLimitRule = {
  path: /^\/api\/v1(\/|$)/,
  bytes: API_MAX_BODY_BYTES,
  refusal: {
    type: "application/problem+json",
    body: JSON.stringify({
      type: "urn:relink:problem:payload_too_large",
      title: "Content too large",
      status: 413,
      detail: TOO_LARGE,
      code: "payload_too_large",
    } satisfies Problem),
  },
};

async function readJsonBody(request: Request): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const read = await readBoundedBody(request, API_MAX_BODY_BYTES);
  if (!read.ok) {
    return {
      ok: false,
      response:
        read.reason === "too_large"
          ? problemResponse(413, TOO_LARGE, { code: "payload_too_large" })
          : problemResponse(400, "The body could not be read (it ended early, or its Content-Length is wrong).", { code: "unreadable_body" }),
    };
  }
  const text = read.bytes.toString("utf8");
  if (text.trim() === "") return { ok: true, value: undefined };
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return { ok: false, response: problemResponse(415, "Send the body as JSON, with Content-Type: application/json.", { code: "unsupported_media_type" }) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, response: problemResponse(400, "The body is not valid JSON.", { code: "invalid_json" }) };
  }
}

/** The answer as a retry will get it back: status, headers, body text. */
async function answerOf(response: Response): Promise<StoredAnswer> {
  return { status: response.status, headers: [...response.headers.entries()], body: await response.clone().text() };
}

function replayOf(answer: StoredAnswer): Response {
  const headers = new Headers(answer.headers);
  headers.set("Idempotent-Replayed", "true");
  return new Response(answer.body === "" ? null : answer.body, { status: answer.status, headers });
}

interface Call {
  request: Request;
  url: URL;
  instance: string;
  method: ApiMethod | "head";
  endpoint: Endpoint;
  names: string[];
  match: RegExpExecArray;
  caller: ApiCaller;
  services: Services;
}

/** Scope → Idempotency-Key shape → params → query → body → (idempotency claim) → handler. */
async function answer({ request, url, instance, method, endpoint, names, match, caller, services }: Call): Promise<Response> {
  if (endpoint.scope === "write" && caller.scope !== "write") {
    return problemResponse(403, "This token is read-only; this call needs a read-write token.", { code: "token_scope", instance });
  }
  let idempotencyKey: string | null = null;
  const keyHeader = request.headers.get("Idempotency-Key");
  if (method === "post" && keyHeader !== null) {
    const parsed = IdempotencyKeySchema.safeParse(keyHeader);
    if (!parsed.success)
      return problemResponse(400, "The Idempotency-Key header has problems; see errors.", {
        code: "invalid_idempotency_key",
        instance,
        errors: fieldErrors(parsed.error, "header.Idempotency-Key"),
      });
    idempotencyKey = parsed.data;
  }

  const rawParams: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = decodeSegment(match[i + 1]!);
    if (value === null) return problemResponse(404, `No API endpoint at ${instance}.`, { code: "no_such_endpoint", instance });
    rawParams[name] = value;
  }
  let params: unknown = rawParams;
  if (endpoint.params) {
    const parsed = endpoint.params.safeParse(rawParams);
    // why: an address that cannot name anything (not a uuid, say) is a thing that is not there
    if (!parsed.success) return problemResponse(404, "Nothing has that id.", { code: "not_found", instance, errors: fieldErrors(parsed.error, "params") });
    params = parsed.data;
  }
  let query: unknown = {};
  if (endpoint.query) {
    const parsed = endpoint.query.safeParse(queryObject(url));
    if (!parsed.success)
      return problemResponse(400, "The query string has problems; see errors.", {
        code: "invalid_query",
        instance,
        errors: fieldErrors(parsed.error, "query"),
      });
    query = parsed.data;
  }
  let body: unknown = undefined;
  let rawBody: unknown = undefined;
  if (method !== "get" && method !== "head") {
    const read = await readJsonBody(request);
    if (!read.ok) return read.response;
    rawBody = read.value;
    if (endpoint.body) {
      const parsed = (endpoint.body as z.ZodType).safeParse(read.value ?? {});
      if (!parsed.success)
        return problemResponse(422, "The body has problems; see errors.", { code: "invalid_body", instance, errors: fieldErrors(parsed.error) });
      body = parsed.data;
    } else if (read.value !== undefined) {
      return problemResponse(422, "This call takes no body.", { code: "invalid_body", instance });
    }
  }

  // why: claimed only once the request is valid, so a refused request never burns its key
  const claim = idempotencyKey === null ? null : { tokenId: caller.tokenId, key: idempotencyKey };
  if (claim) {
    const fingerprint = requestFingerprint({ method: request.method, path: `${url.pathname}${url.search}`, body: rawBody });
    const begun = await beginIdempotent({ ...claim, fingerprint, keyring: services.keyring }, services.db);
    if (begun.kind === "replay") return replayOf(begun.answer);
    if (begun.kind === "reused")
      return problemResponse(422, "This Idempotency-Key was already used for a different request (another body or path); use a new key.", {
        code: "idempotency_key_reused",
        instance,
      });
    if (begun.kind === "in_flight")
      return problemResponse(409, "A request with this Idempotency-Key is still running; retry once it has answered.", {
        code: "idempotency_key_in_flight",
        instance,
        headers: { "Retry-After": "1" },
      });
  }

  let response: Response;
  try {
    const result = await endpoint.handle({ params, query, body, caller, services, request });
    const headers = new Headers(result.headers);
    if (result.status === 204 || result.body === undefined) response = new Response(null, { status: result.status, headers });
    else {
      // why: a handler answering a problem with extension members (a key's verdict) names its own type
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
      response = new Response(JSON.stringify(result.body), { status: result.status, headers });
    }
  } catch (err) {
    if (!isDomainError(err)) {
      services.logger.error({ err, operationId: endpoint.operationId }, "api handler failed");
      if (claim) await abandonIdempotent(claim, services.db);
      return problemResponse(500, "Something went wrong on our side; it is logged. Try again, or contact support with the time of the call.", { instance });
    }
    response = domainProblemResponse(err, instance);
  }
  if (claim) {
    // why: a 5xx says nothing about the request; give the key back so the client's retry runs
    if (response.status >= 500) await abandonIdempotent(claim, services.db);
    else await finishIdempotent({ ...claim, answer: await answerOf(response), keyring: services.keyring }, services.db);
  }
  return response;
}

export function createApiRouter(endpoints: readonly Endpoint[]): ApiRouter {
  const compiled = endpoints.map(compile);
  return {
    endpoints,
    async handle(request, services) {
      const url = new URL(request.url);
      const instance = url.pathname;
      const path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
      const method = request.method.toLowerCase() as ApiMethod | "head";

      const candidates = compiled.map((c) => ({ c, m: c.pattern.exec(path) })).filter((x) => x.m);
      if (candidates.length === 0) return problemResponse(404, `No API endpoint at ${instance}.`, { code: "no_such_endpoint", instance });
      const hit = candidates.find((x) => x.c.endpoint.method === method || (method === "head" && x.c.endpoint.method === "get"));
      if (!hit) {
        const allow = [...new Set(candidates.map((x) => x.c.endpoint.method.toUpperCase()))].join(", ");
        return problemResponse(405, `${request.method} is not allowed here; use ${allow}.`, { instance, headers: { Allow: allow } });
      }
      const { endpoint, names } = hit.c;

      const auth = await authenticateApiToken(request.headers.get("Authorization"), services.db);
      if (!auth.ok) {
        const detail =
          auth.reason === "missing"
            ? "Send an API token: Authorization: Bearer rlk_…"
            : auth.reason === "malformed"
              ? "That Authorization header is not a Relink API token (Bearer rlk_…)."
              : "That API token is not valid (revoked, or never issued).";
        return problemResponse(401, detail, { code: `token_${auth.reason}`, instance, headers: { "WWW-Authenticate": 'Bearer realm="relink"' } });
      }
      const { caller } = auth;

      // why: counted per token after authentication, so a stranger cannot spend a token's budget
      const rate = await hitRateLimit(
        { bucket: `api:token:${caller.tokenId}`, limit: caller.rateLimitPerMinute, windowSeconds: RATE_LIMIT_WINDOW_SECONDS },
        services.db,
      );
      const rateHeaders = {
        "RateLimit-Limit": String(rate.limit),
        "RateLimit-Remaining": String(rate.remaining),
        "RateLimit-Reset": String(rate.allowed ? rate.resetSeconds : rate.retryAfterSeconds),
      };
      const response = rate.allowed
        ? await answer({ request, url, instance, method, endpoint, names, match: hit.m!, caller, services })
        : problemResponse(429, `This token may make ${rate.limit} calls a minute; try again in ${rate.retryAfterSeconds} s.`, {
            code: "rate_limited",
            instance,
            headers: { "Retry-After": String(rate.retryAfterSeconds) },
          });
      for (const [name, value] of Object.entries(rateHeaders)) response.headers.set(name, value);
      return response;
    },
  };
}
