import { validate, compileErrors } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorStatuses, openApiDocument } from "../../app/api/openapi.server.ts";
import { apiRouter } from "../../app/api/registry.server.ts";
import { loader as openApiLoader } from "../../app/routes/api.v1.openapi[.]json.ts";
import { loader as apiDocsLoader } from "../../app/routes/api-docs/route.tsx";
import type { ApiReference } from "../../app/api/reference.server.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { assertDocumentedResponse } from "../support/openapi.ts";
import { requestAs, settle, startRoleConsole } from "../support/services.ts";

/** Issue 15: the OpenAPI document validates, names every endpoint, and is what the tests check real answers against. */

type Doc = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
const doc = JSON.parse(JSON.stringify(openApiDocument())) as Doc;

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
});
afterAll(async () => {
  await fixture?.stop();
});

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document (@readme/openapi-parser: zero errors)", async () => {
    const result = await validate(structuredClone(openApiDocument()) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
    expect(result.specification).toBe("OpenAPI");
    expect((openApiDocument() as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("is built once", () => {
    expect(openApiDocument()).toBe(openApiDocument());
  });

  it.each(apiRouter.endpoints.map((e) => [e.operationId, e] as const))(
    "documents %s at its method and path, with every status it can answer",
    (operationId, endpoint) => {
      const op = doc.paths[endpoint.path]?.[endpoint.method];
      expect(op?.operationId).toBe(operationId);
      const statuses = Object.keys(op!.responses).map(Number);
      for (const s of Object.keys(endpoint.responses).map(Number)) expect(statuses).toContain(s);
      for (const s of errorStatuses(endpoint)) {
        expect(statuses).toContain(s);
        expect(Object.keys(op!.responses[String(s)]!.content ?? {})).toEqual(["application/problem+json"]);
      }
      expect(statuses).toContain(401);
      if (endpoint.scope === "write") expect(statuses).toContain(403);
    },
  );

  it("lists no operation the router does not route", () => {
    const documented = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(documented.sort()).toEqual(apiRouter.endpoints.map((e) => e.operationId).sort());
  });
});

describe("GET /api/v1/openapi.json", () => {
  it("serves the document without a token, cacheable", async () => {
    const response = await openApiLoader();
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(await response.json()).toEqual(doc);
  });
});

describe("the response check callApi runs", () => {
  const ok = (status: number, json: unknown, type = "application/json") => ({ status, json, headers: new Headers({ "Content-Type": type }) });

  it("passes a real answer and refuses the same answer with an undocumented member", async () => {
    const { token } = await createTestApiToken(fixture.services, { scope: "read", createdBy: fixture.who.admin.id });
    const r = await callApi(fixture.services, "GET", "/failure-codes", { token });
    expect(r.status).toBe(200);
    const tampered = structuredClone(r.json) as { data: Record<string, unknown>[] };
    tampered.data[0]!.extra = 1;
    expect(() => assertDocumentedResponse("GET", "/failure-codes", ok(200, tampered))).toThrow(/listFailureCodes.*additional properties/s);
  });

  it("refuses a status the operation does not list, a wrong content type, and a problem that is not one", () => {
    expect(() => assertDocumentedResponse("GET", "/failure-codes", ok(409, {}, "application/problem+json"))).toThrow(/listFailureCodes.*409.*does not list/);
    expect(() => assertDocumentedResponse("GET", "/failure-codes", ok(200, { data: [] }, "text/html"))).toThrow(/text\/html/);
    const unauthorized = (json: unknown) => ({
      ...ok(401, json, "application/problem+json"),
      headers: new Headers({ "Content-Type": "application/problem+json", "WWW-Authenticate": 'Bearer realm="relink"' }),
    });
    expect(() => assertDocumentedResponse("GET", "/failure-codes", unauthorized({ status: 401 }))).toThrow(/must have required property 'title'/);
    // a documented header the answer does not carry
    const problem = { type: "urn:relink:problem:token_missing", title: "Unauthorized", status: 401, detail: "Send an API token" };
    expect(() => assertDocumentedResponse("GET", "/failure-codes", unauthorized(problem))).not.toThrow();
    expect(() => assertDocumentedResponse("GET", "/failure-codes", ok(401, problem, "application/problem+json"))).toThrow(/carries WWW-Authenticate/);
  });

  it("checks a bad format, not just the type", () => {
    const alert = { data: [{ id: "not-a-uuid" }], next: null };
    expect(() => assertDocumentedResponse("GET", "/alerts?status=open", ok(200, alert))).toThrow(/listAlerts/);
  });

  it("holds an unknown path to the router's 404 problem", () => {
    expect(() => assertDocumentedResponse("GET", "/nowhere", ok(200, {}))).toThrow(/no documented operation/);
  });
});

describe("/api-docs", () => {
  const args = (request: Request) => ({ request, params: {}, context: { services: fixture.services } });

  it("sends a signed-out visitor to sign in", async () => {
    const r = await settle(() => apiDocsLoader(args(new Request("http://localhost/api-docs"))));
    expect(r.status).toBe(302);
    expect(r.response!.headers.get("Location")).toBe("/login?redirectTo=%2Fapi-docs");
  });

  it("shows a viewer every operation of the document, grouped by tag, with a curl example", async () => {
    const r = await settle(async () => apiDocsLoader(args(await requestAs(fixture.services, fixture.who.viewer.id, "/api-docs"))));
    expect(r.status).toBe(200);
    const ref = r.data as ApiReference;
    const shown = ref.tags.flatMap((t) => t.operations);
    expect(shown.map((o) => `${o.method} ${o.path} ${o.operationId}`).sort()).toEqual(
      apiRouter.endpoints.map((e) => `${e.method.toUpperCase()} ${e.path} ${e.operationId}`).sort(),
    );
    for (const op of shown) {
      const endpoint = apiRouter.endpoints.find((e) => e.operationId === op.operationId)!;
      expect(ref.tags.find((t) => t.operations.includes(op))?.name).toBe(endpoint.tags[0]);
      expect(op.scope).toBe(endpoint.scope);
      expect(op.curl).toMatch(new RegExp(`^curl.* "http://[^"]+/api/v1${op.path.replace(/\{\w+\}/g, "\\$[A-Z_]+")}"`));
      expect(op.curl).toContain("Authorization: Bearer $RELINK_TOKEN");
      expect(op.responses.map((x) => Number(x.status))).toEqual(expect.arrayContaining(errorStatuses(endpoint)));
    }
    const create = shown.find((o) => o.operationId === "createClinic")!;
    expect(create.body?.map((f) => f.name)).toEqual(expect.arrayContaining(["name", "connection.vendor", "connection.apiKey"]));
    expect(create.curl).toMatch(/-X POST .*-d '\{"name":"<name>"/s);
    expect(ref.schemas.map((s) => s.name)).toEqual(expect.arrayContaining(["Problem", "Clinic", "KeyRefusedProblem"]));
  });
});
