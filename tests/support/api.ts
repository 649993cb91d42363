import { insertApiToken } from "../../db/queries/api-tokens.ts";
import { generateApiToken } from "../../domain/api/tokens.ts";
import type { ApiTokenScope } from "../../domain/vocabulary.ts";
import { apiRouter } from "../../app/api/registry.server.ts";
import type { Services } from "../../app/services.server.ts";
import { assertDocumentedResponse } from "./openapi.ts";

/** A new API token in the test database; returns the token string a client would hold. */
export async function createTestApiToken(
  services: Services,
  { scope, createdBy, name = `test ${scope}`, rateLimitPerMinute }: { scope: ApiTokenScope; createdBy: string; name?: string; rateLimitPerMinute?: number },
) {
  const { token, tokenHash, hint } = generateApiToken();
  const { id } = await insertApiToken({ name, scope, tokenHash, hint, createdBy, ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}) }, services.db);
  return { id, token };
}

/**
 * One call through the real API router (the one the /api/v1 route uses), with a real Request. The
 * answer is checked against the OpenAPI document (tests/support/openapi.ts): an undocumented status
 * or a body that breaks its documented schema throws, so every API test is also a contract test.
 */
export async function callApi(
  services: Services,
  method: string,
  path: string,
  init: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: unknown; response: Response }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const response = await apiRouter.handle(new Request(`http://localhost/api/v1${path}`, { method, headers, body }), services);
  const text = await response.clone().text();
  const result = { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as unknown) : null, response };
  assertDocumentedResponse(method, path, result);
  return result;
}
