import type { z } from "zod";
import type { ApiCaller } from "../../domain/api/tokens.ts";
import type { ApiTokenScope } from "../../domain/vocabulary.ts";
import type { Services } from "../services.server.ts";

/**
 * One JSON API endpoint (docs/decisions/0042-json-api.md). The same definition drives the router
 * (match, authorise, validate, answer) and the OpenAPI document, so what is documented is what is
 * validated. Handlers are glue like console actions: they call the same domain functions with the
 * caller's actor, and a DomainError they throw becomes problem details at the edge.
 *
 * Schemas for params, query and body are `z.strictObject` (unknown members are refused) and carry
 * `.meta({ description })` on their fields; response schemas are the documented shapes every test
 * checks real responses against.
 */

export type ApiMethod = "get" | "post" | "put" | "patch" | "delete";

interface ApiContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: ApiCaller;
  services: Services;
  request: Request;
}

interface ApiResult {
  status: number;
  /** Sent as JSON; none for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface ApiResponseSpec {
  description: string;
  /** The JSON body's schema; none for 204 (and for problem responses, which share one schema). */
  schema?: z.ZodType;
  /** Headers this answer carries (Location, Retry-After…), documented; tests check the required ones are sent. */
  headers?: z.ZodObject;
}

export interface Endpoint<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  /** Stable, camelCase: the OpenAPI operationId. */
  operationId: string;
  method: ApiMethod;
  /** Below /api/v1, OpenAPI style: `/clinics/{clinicId}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `read` for GET; `write` for anything that changes something (a read token gets 403). */
  scope: ApiTokenScope;
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the handler reads (documented only: each is optional and read leniently, as `Prefer` is). */
  requestHeaders?: z.ZodObject;
  /** Success responses by status. Error statuses are problem details, listed by `errors`. */
  responses: Record<number, ApiResponseSpec>;
  /** The error statuses this endpoint can answer besides 401/403/429 (documented as problem details). */
  errors?: number[];
  /** Words (and, when its problem carries extension members, a schema) for an error status, where the generic ones would not do. */
  problems?: Record<number, { description: string; schema?: z.ZodType }>;
  handle(ctx: ApiContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<ApiResult>;
}

/** Declares an endpoint with its handler typed from its schemas. */
export function defineEndpoint<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
>(endpoint: Endpoint<P, Q, B>): Endpoint {
  return endpoint as unknown as Endpoint;
}
