import { and, eq } from "drizzle-orm";
import { expect } from "vitest";
import { apiRouter } from "../../app/api/registry.server.ts";
import type { Services } from "../../app/services.server.ts";
import { auditLog } from "../../db/schema/index.ts";

/** The response's body checked against the schema its endpoint documents for that status (what the OpenAPI document says). */
export function expectDocumented(operationId: string, r: { status: number; json: unknown }) {
  const endpoint = apiRouter.endpoints.find((e) => e.operationId === operationId);
  if (!endpoint) throw new Error(`no endpoint ${operationId}`);
  const spec = endpoint.responses[r.status];
  if (!spec) throw new Error(`${operationId} documents no ${r.status}; got ${JSON.stringify(r.json)}`);
  if (spec.schema) {
    const parsed = spec.schema.safeParse(r.json);
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues)).toBe(true);
  }
}

/** A problem details answer: its status, content type and code. */
export function expectProblem(r: { status: number; headers: Headers; json: unknown }, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.headers.get("Content-Type")).toBe("application/problem+json");
  expect(r.json).toMatchObject({ status, ...(code ? { code } : {}) });
}

/** The audit entries of one action (on one clinic). */
export async function auditsOf(services: Services, action: string, clinicId?: string) {
  return services.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), clinicId ? eq(auditLog.clinicId, clinicId) : undefined));
}
