import { API_BASE_PATH, openApiDocument } from "./openapi.server.ts";

/**
 * The console's API reference page (/api-docs) as a read model of the OpenAPI document itself
 * (docs/decisions/0043-openapi-and-reference.md): whatever the document says, the page says — the
 * page never reads the endpoint definitions on its own.
 */

type Json = Record<string, unknown>;

export interface FieldRow {
  /** Dotted path below the schema's root; `[]` marks an array's items (`data[].id`). */
  name: string;
  type: string;
  /** A component schema the type names, for a link to it in the schemas section. */
  ref: string | null;
  required: boolean;
  description: string | null;
}

interface ParamRow extends FieldRow {
  in: "path" | "query" | "header";
}

interface ResponseView {
  status: string;
  description: string;
  contentType: string | null;
  /** A component schema the body is, or the body's own fields. */
  ref: string | null;
  fields: FieldRow[];
}

export interface OperationView {
  operationId: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  scope: "read" | "write";
  params: ParamRow[];
  body: FieldRow[] | null;
  responses: ResponseView[];
  curl: string;
}

interface TagView {
  name: string;
  description: string | null;
  operations: OperationView[];
}

interface SchemaView {
  name: string;
  description: string | null;
  fields: FieldRow[];
}

export interface ApiReference {
  title: string;
  version: string;
  description: string;
  tags: TagView[];
  schemas: SchemaView[];
}

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const refName = (s: Json): string | null => str(s.$ref)?.replace("#/components/schemas/", "") ?? null;

/** A schema's type in a reader's words: `string (uuid)`, `"connected"`, `Clinic[]`, `string | null`. */
function typeOf(s: Json): string {
  const ref = refName(s);
  if (ref) return ref;
  if ("const" in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  const union = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(union)) return union.map((u) => typeOf(obj(u))).join(" | ");
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
  if (types.length === 1 && types[0] === "null") return "null";
  const base = types.filter((t) => t !== "null");
  let text = base
    .map((t) => {
      if (t === "array") return `${typeOf(obj(s.items))}[]`;
      if (t === "string" && typeof s.format === "string") return `string (${s.format})`;
      return t;
    })
    .join(" | ");
  if (!text) text = "any";
  return types.includes("null") ? `${text} | null` : text;
}

/** A description and the limits its words do not already state, as one line. */
function wordsOf(description: unknown, s: Json): string | null {
  const text = str(description);
  const limits = constraintsOf(s).filter((c) => !text?.includes(c));
  return [text, ...limits].filter(Boolean).join(" · ") || null;
}

/** Limits a reader needs that the type does not say. */
function constraintsOf(s: Json): string[] {
  const out: string[] = [];
  const [minLength, maxLength] = [s.minLength, s.maxLength].map((n) => (typeof n === "number" ? n : null));
  if (minLength !== null && maxLength !== null) out.push(`${minLength}–${maxLength} characters`);
  else if (maxLength !== null) out.push(`up to ${maxLength} characters`);
  else if (minLength === 1) out.push("not empty");
  else if (minLength !== null) out.push(`at least ${minLength} characters`);
  const [min, max] = [s.minimum, s.maximum].map((n) => (typeof n === "number" ? n : null));
  if (min !== null && max !== null) out.push(`${min}–${max}`);
  else if (min !== null) out.push(`at least ${min}`);
  else if (max !== null) out.push(`at most ${max}`);
  if ("default" in s) out.push(`default ${JSON.stringify(s.default)}`);
  return out;
}

/** The schema's nullable-aware single object shape, looking through `anyOf: [X, null]`. */
function objectShape(s: Json): Json | null {
  if (s.type === "object" || (Array.isArray(s.type) && s.type.includes("object"))) return s;
  const union = (s.anyOf ?? s.oneOf) as unknown;
  if (Array.isArray(union)) {
    const objects = union.map(obj).filter((u) => u.type === "object" && !refName(u));
    if (objects.length === 1) return objects[0]!;
  }
  return null;
}

/** Every member of an object schema, nested objects and array items flattened; `$ref`s stay named, not expanded. */
function fieldsOf(schema: Json, prefix = "", depth = 0): FieldRow[] {
  const shape = objectShape(schema);
  if (!shape || depth > 5) return [];
  const required = new Set(Array.isArray(shape.required) ? (shape.required as string[]) : []);
  const rows: FieldRow[] = [];
  for (const [key, raw] of Object.entries(obj(shape.properties))) {
    const s = obj(raw);
    const name = prefix + key;
    rows.push({ name, type: typeOf(s), ref: refName(s) ?? refName(obj(s.items)), required: required.has(key), description: wordsOf(s.description, s) });
    if (objectShape(s) && !refName(s)) rows.push(...fieldsOf(s, `${name}.`, depth + 1));
    const items = obj(s.items);
    if (s.type === "array" && objectShape(items) && !refName(items)) rows.push(...fieldsOf(items, `${name}[].`, depth + 1));
  }
  return rows;
}

/** A value of the schema's shape for the curl example: required members only, placeholders for free text. */
function exampleOf(s: Json, name: string): unknown {
  if ("const" in s) return s.const;
  if ("default" in s) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  const shape = objectShape(s);
  if (shape) {
    const required = new Set(Array.isArray(shape.required) ? (shape.required as string[]) : []);
    return Object.fromEntries(
      Object.entries(obj(shape.properties))
        .filter(([k]) => required.has(k))
        .map(([k, v]) => [k, exampleOf(obj(v), k)]),
    );
  }
  if (s.type === "boolean") return false;
  if (s.type === "integer" || s.type === "number") return typeof s.minimum === "number" ? s.minimum : 1;
  if (s.type === "array") return [];
  return `<${name}>`;
}

function curlOf(base: string, method: string, path: string, body: Json | null): string {
  const url = `${base}${API_BASE_PATH}${path.replace(/\{(\w+)\}/g, (_, p: string) => `$${p.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`)}`;
  const lines = [`curl${method === "GET" ? "" : ` -X ${method}`} "${url}"`, `  -H "Authorization: Bearer $RELINK_TOKEN"`];
  if (body) {
    lines.push(`  -H "Content-Type: application/json"`);
    lines.push(`  -d '${JSON.stringify(exampleOf(body, "body"))}'`);
  }
  return lines.join(" \\\n");
}

let cached: { base: string; reference: ApiReference } | undefined;

/** The reference for the page; `base` is this Relink's public URL, for the curl examples. */
export function loadApiReference(base: string): ApiReference {
  if (cached?.base === base) return cached.reference;
  // why a JSON copy: read exactly what GET /api/v1/openapi.json serves, not zod-openapi's objects
  const doc = JSON.parse(JSON.stringify(openApiDocument())) as Json;
  const info = obj(doc.info);
  const byTag = new Map<string, OperationView[]>();
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [method, raw] of Object.entries(obj(item))) {
      const op = obj(raw);
      const params = (Array.isArray(op.parameters) ? op.parameters : []).map((p): ParamRow => {
        const param = obj(p);
        const schema = obj(param.schema);
        return {
          name: String(param.name),
          in: param.in as ParamRow["in"],
          type: typeOf(schema),
          ref: refName(schema),
          required: param.required === true,
          description: wordsOf(param.description, schema),
        };
      });
      const bodySchema = obj(obj(obj(obj(op.requestBody).content)["application/json"]).schema);
      const hasBody = Object.keys(bodySchema).length > 0;
      const responses = Object.entries(obj(op.responses)).map(([status, r]): ResponseView => {
        const response = obj(r);
        const [contentType, media] = Object.entries(obj(response.content))[0] ?? [null, {}];
        const schema = obj(obj(media).schema);
        return { status, description: String(response.description ?? ""), contentType, ref: refName(schema), fields: refName(schema) ? [] : fieldsOf(schema) };
      });
      const view: OperationView = {
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        path,
        summary: String(op.summary ?? ""),
        description: String(op.description ?? ""),
        scope: op["x-relink-scope"] === "write" ? "write" : "read",
        params,
        body: hasBody ? fieldsOf(bodySchema) : null,
        responses,
        curl: curlOf(base, method.toUpperCase(), path, hasBody ? bodySchema : null),
      };
      const tag = (Array.isArray(op.tags) ? String(op.tags[0]) : null) ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), view]);
    }
  }
  const tagWords = new Map((Array.isArray(doc.tags) ? doc.tags : []).map((t) => [String(obj(t).name), str(obj(t).description)]));
  const reference: ApiReference = {
    title: String(info.title),
    version: String(info.version),
    description: String(info.description ?? ""),
    tags: [...byTag].map(([name, operations]) => ({ name, description: tagWords.get(name) ?? null, operations })),
    schemas: Object.entries(obj(obj(doc.components).schemas)).map(([name, s]) => ({ name, description: str(obj(s).description), fields: fieldsOf(obj(s)) })),
  };
  cached = { base, reference };
  return reference;
}
