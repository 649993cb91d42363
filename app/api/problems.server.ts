import { z } from "zod";
import { problemDetails, type DomainError } from "../../domain/errors.ts";

/**
 * RFC 9457 problem details, the one error shape of the JSON API. `errors` lists field problems as
 * the console shows them next to inputs: `field` is the member's dotted path (`connection.apiKey`),
 * or `query.limit` / `params.clinicId` for the address.
 */

/** @public the OpenAPI document names it (issue 15) */
export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: "`urn:relink:problem:<code>`, or about:blank" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "What went wrong, in words a person can act on" }),
    instance: z.string().optional(),
    code: z.string().optional().meta({ description: "Stable machine-readable reason, e.g. clinic_archived" }),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

export type Problem = z.infer<typeof ProblemSchema>;

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Content too large",
  415: "Unsupported media type",
  422: "Unprocessable content",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

export function problemResponse(
  status: number,
  detail: string,
  options: { code?: string; errors?: Problem["errors"]; instance?: string; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = {
    type: options.code ? `urn:relink:problem:${options.code}` : "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    ...(options.instance ? { instance: options.instance } : {}),
    ...(options.code ? { code: options.code } : {}),
    ...(options.errors?.length ? { errors: options.errors } : {}),
  };
  return Response.json(body, { status, headers: { "Content-Type": "application/problem+json", ...options.headers } });
}

export function domainProblemResponse(err: DomainError, instance: string): Response {
  const body = { ...problemDetails(err, instance), ...(err.code ? { code: err.code } : {}) };
  return Response.json(body, { status: err.status, headers: { "Content-Type": "application/problem+json" } });
}

/** zod issues as field errors, each under its dotted path (prefixed, e.g. `query`). */
export function fieldErrors(error: z.ZodError, prefix?: string): NonNullable<Problem["errors"]> {
  const out: NonNullable<Problem["errors"]> = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    // why: an unknown member is named in the issue's keys, not its path; point at each one
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: [prefix, ...path, key].filter(Boolean).join("."), detail: "Unknown field; remove it." });
      continue;
    }
    out.push({ field: [prefix, ...path].filter(Boolean).join(".") || (prefix ?? "body"), detail: issue.message });
  }
  return out;
}
