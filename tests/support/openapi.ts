import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { openApiDocument } from "../../app/api/openapi.server.ts";

/**
 * Checks a real API response against the OpenAPI document the API serves (issue 15: "every real
 * response in the tests matches its schema"): the operation by method and path template, the
 * response by status, its content type, and its JSON by the documented schema under JSON Schema
 * 2020-12 (OpenAPI 3.1's dialect), with ajv. A mismatch, or a status the operation does not list,
 * throws naming the operation.
 */

// why round-trip: check against the document exactly as GET /api/v1/openapi.json serves it
const doc = JSON.parse(JSON.stringify(openApiDocument())) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

interface MediaType {
  schema?: object;
}
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, MediaType>; headers?: Record<string, { required?: boolean }> }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The formats the document uses (RFC 3339 date and date-time, RFC 9562 uuid, RFC 3986 absolute uri). */
const FORMATS: Record<string, (s: string) => boolean> = {
  uuid: (s) => UUID.test(s),
  date: isDate,
  "date-time": (s) => {
    const m = DATE_TIME.exec(s);
    return m !== null && isDate(m[1]!);
  },
  uri: (s) => /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s) && URL.canParse(s),
};

function formatsIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) formatsIn(n, out);
  else if (node && typeof node === "object")
    for (const [k, v] of Object.entries(node)) {
      if (k === "format" && typeof v === "string") out.add(v);
      else formatsIn(v, out);
    }
  return out;
}

const unknownFormats = [...formatsIn(doc)].filter((f) => !FORMATS[f]);
if (unknownFormats.length)
  throw new Error(`tests/support/openapi.ts: the OpenAPI document uses formats it cannot check: ${unknownFormats.join(", ")}; add them to FORMATS`);

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: "string", validate });

const compiled = new Map<string, ValidateFunction>();

/**
 * One validator per distinct schema (every `$ref: Problem` shares one), compiled on first use;
 * `#/components/...` refs resolve against the document's components, carried beside the schema.
 */
function validatorFor(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile({ ...schema, components: doc.components });
    compiled.set(key, v);
  }
  return v;
}

const operations = Object.entries(doc.paths).flatMap(([template, item]) => {
  const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}/?$`);
  return Object.entries(item).map(([method, op]) => ({ method, template, pattern, op }));
});

const problemSchema = { $ref: "#/components/schemas/Problem" };

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `  ${e.instancePath || "(root)"} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`)
    .join("\n");
}

function check(label: string, schema: object, json: unknown, status: number) {
  const validate = validatorFor(schema);
  if (!validate(json))
    throw new Error(
      `${label}: the ${status} body does not match the OpenAPI document:\n${describeErrors(validate.errors)}\nbody: ${JSON.stringify(json).slice(0, 2000)}`,
    );
}

/**
 * Throws unless the response is what the document says `method path` answers with `status`.
 * A path no operation has (or a method it lacks) is the router's own 404/405, checked as a Problem.
 */
export function assertDocumentedResponse(method: string, path: string, r: { status: number; headers: Headers; json: unknown }) {
  const pathname = new URL(path, "http://localhost").pathname;
  const m = method.toLowerCase() === "head" ? "get" : method.toLowerCase();
  const onPath = operations.filter((o) => o.pattern.test(pathname));
  const hit = onPath.find((o) => o.method === m);
  const type = (r.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
  if (!hit) {
    const expected = onPath.length ? 405 : 404;
    if (r.status !== expected || type !== "application/problem+json") {
      throw new Error(`${method} ${pathname}: no documented operation, so the answer must be a ${expected} problem; got ${r.status} ${type}`);
    }
    check(`${method} ${pathname}`, problemSchema, r.json, r.status);
    return;
  }
  const label = `${hit.op.operationId} (${method.toUpperCase()} ${hit.template})`;
  const response = hit.op.responses[String(r.status)];
  if (!response) {
    throw new Error(
      `${label}: answered ${r.status}, which the OpenAPI document does not list (it lists ${Object.keys(hit.op.responses).join(", ")}); body: ${JSON.stringify(r.json)}`,
    );
  }
  for (const [name, header] of Object.entries(response.headers ?? {}))
    if (header.required && !r.headers.has(name)) throw new Error(`${label}: the document says ${r.status} carries ${name}; it was not sent`);
  // why: a HEAD answer is the GET's status and headers without the body
  if (method.toLowerCase() === "head") return;
  if (!response.content) {
    if (r.json !== null) throw new Error(`${label}: the document says ${r.status} has no body; got ${JSON.stringify(r.json)}`);
    return;
  }
  const media = response.content[type];
  if (!media) throw new Error(`${label}: ${r.status} was sent as "${type}"; the document lists ${Object.keys(response.content).join(", ")}`);
  if (media.schema) check(label, media.schema, r.json, r.status);
}
