import type { z } from "zod";
import { authenticateApiToken } from "../../domain/api/tokens.ts";
import { isDomainError } from "../../domain/errors.ts";
import type { Services } from "../services.server.ts";
import type { ApiMethod, Endpoint } from "./endpoint.server.ts";
import { domainProblemResponse, fieldErrors, problemResponse } from "./problems.server.ts";

/**
 * The JSON API's one request path (docs/decisions/0042-json-api.md): match → authenticate →
 * scope → validate (params 404, query 400, body 415/400/422) → handler → JSON. Every error is
 * problem details; a DomainError keeps its status, field and code.
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

async function readJsonBody(request: Request): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const text = await request.text();
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
      if (endpoint.scope === "write" && caller.scope !== "write") {
        return problemResponse(403, "This token is read-only; this call needs a read-write token.", { code: "token_scope", instance });
      }

      const rawParams: Record<string, string> = {};
      for (const [i, name] of names.entries()) {
        const value = decodeSegment(hit.m![i + 1]!);
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
      if (method !== "get" && method !== "head") {
        const read = await readJsonBody(request);
        if (!read.ok) return read.response;
        if (endpoint.body) {
          const parsed = (endpoint.body as z.ZodType).safeParse(read.value ?? {});
          if (!parsed.success)
            return problemResponse(422, "The body has problems; see errors.", { code: "invalid_body", instance, errors: fieldErrors(parsed.error) });
          body = parsed.data;
        } else if (read.value !== undefined) {
          return problemResponse(422, "This call takes no body.", { code: "invalid_body", instance });
        }
      }

      try {
        const result = await endpoint.handle({ params, query, body, caller, services, request });
        const headers = new Headers(result.headers);
        if (result.status === 204 || result.body === undefined) return new Response(null, { status: result.status, headers });
        // why: a handler answering a problem with extension members (a key's verdict) names its own type
        if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
        return new Response(JSON.stringify(result.body), { status: result.status, headers });
      } catch (err) {
        if (isDomainError(err)) return domainProblemResponse(err, instance);
        services.logger.error({ err, operationId: endpoint.operationId }, "api handler failed");
        return problemResponse(500, "Something went wrong on our side; it is logged. Try again, or contact support with the time of the call.", { instance });
      }
    },
  };
}
