/**
 * Just enough GraphQL for a fake Nookal v3: one operation, fields with aliases, literal and
 * variable arguments, nested selections. No fragments or directives — a client that needs them
 * would be relying on something Relink does not use.
 */
type GqlValue = string | number | boolean | null | GqlValue[] | { [k: string]: GqlValue };

export interface Field {
  alias: string;
  name: string;
  args: Record<string, GqlValue>;
  selection: Field[] | null;
}

export interface Operation {
  kind: "query" | "mutation";
  fields: Field[];
}

export class GraphQLError extends Error {
  readonly code: string;
  constructor(message: string, code = "GRAPHQL_VALIDATION_FAILED") {
    super(message);
    this.code = code;
  }
}

type Token = { t: "punct" | "name" | "string" | "number" | "var"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/[\s,]/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if ("{}():[]!=@".includes(c)) {
      out.push({ t: "punct", v: c });
      i++;
    } else if (c === "." && src.startsWith("...", i)) {
      throw new GraphQLError("Fragments are not supported");
    } else if (c === "$") {
      const m = /^\$([_A-Za-z][_0-9A-Za-z]*)/.exec(src.slice(i));
      if (!m) throw new GraphQLError(`Syntax Error: Unexpected "$"`);
      out.push({ t: "var", v: m[1]! });
      i += m[0].length;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\") {
          const n = src[j + 1];
          s += n === "n" ? "\n" : n === "t" ? "\t" : (n ?? "");
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new GraphQLError("Syntax Error: Unterminated string");
      out.push({ t: "string", v: s });
      i = j + 1;
    } else {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i)) ?? null;
      if (m) {
        out.push({ t: "number", v: m[0] });
        i += m[0].length;
        continue;
      }
      const n = /^[_A-Za-z][_0-9A-Za-z]*/.exec(src.slice(i));
      if (!n) throw new GraphQLError(`Syntax Error: Unexpected character "${c}"`);
      out.push({ t: "name", v: n[0] });
      i += n[0].length;
    }
  }
  return out;
}

export function parseOperation(src: string, variables: Record<string, unknown> = {}): Operation {
  const tokens = tokenize(src);
  let p = 0;
  const peek = () => tokens[p];
  const next = () => {
    const t = tokens[p++];
    if (!t) throw new GraphQLError("Syntax Error: Unexpected <EOF>");
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v !== v || (t.t !== "punct" && t.t !== "name")) throw new GraphQLError(`Syntax Error: Expected "${v}", found "${t.v}"`);
  };

  let kind: Operation["kind"] = "query";
  const first = peek();
  if (first?.t === "name") {
    if (first.v !== "query" && first.v !== "mutation") throw new GraphQLError(`Syntax Error: Unexpected Name "${first.v}"`);
    kind = first.v;
    p++;
    if (peek()?.t === "name") p++;
    if (peek()?.v === "(") {
      // variable definitions: types are not checked, values come from `variables`
      let depth = 0;
      do {
        const t = next();
        if (t.v === "(") depth++;
        if (t.v === ")") depth--;
      } while (depth > 0);
    }
  }

  const value = (): GqlValue => {
    const t = next();
    if (t.t === "var") {
      const v = variables[t.v];
      return v === undefined ? null : (v as GqlValue);
    }
    if (t.t === "string") return t.v;
    if (t.t === "number") return Number(t.v);
    if (t.t === "name") return t.v === "true" ? true : t.v === "false" ? false : t.v === "null" ? null : t.v;
    if (t.v === "[") {
      const list: GqlValue[] = [];
      while (peek()?.v !== "]") list.push(value());
      p++;
      return list;
    }
    if (t.v === "{") {
      const obj: Record<string, GqlValue> = {};
      while (peek()?.v !== "}") {
        const k = next().v;
        expect(":");
        obj[k] = value();
      }
      p++;
      return obj;
    }
    throw new GraphQLError(`Syntax Error: Unexpected "${t.v}"`);
  };

  const selection = (): Field[] => {
    expect("{");
    const fields: Field[] = [];
    while (peek()?.v !== "}") {
      const t = next();
      if (t.t !== "name") throw new GraphQLError(`Syntax Error: Expected Name, found "${t.v}"`);
      let alias = t.v;
      let name = t.v;
      if (peek()?.v === ":") {
        p++;
        name = next().v;
      }
      const args: Record<string, GqlValue> = {};
      if (peek()?.v === "(") {
        p++;
        while (peek()?.v !== ")") {
          const k = next().v;
          expect(":");
          args[k] = value();
        }
        p++;
      }
      if (peek()?.v === "@") throw new GraphQLError("Directives are not supported");
      const sub = peek()?.v === "{" ? selection() : null;
      fields.push({ alias, name, args, selection: sub });
      alias = "";
    }
    p++;
    return fields;
  };

  const fields = selection();
  if (p !== tokens.length) throw new GraphQLError(`Syntax Error: Unexpected "${tokens[p]!.v}"`);
  return { kind, fields };
}

/** Keep only the selected fields of a resolved value, as a GraphQL server would. */
export function project(value: unknown, selection: Field[] | null, typeName: string, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => project(v, selection, typeName, path));
  if (selection === null) {
    if (typeof value === "object") throw new GraphQLError(`Field "${path}" of type "${typeName}" must have a selection of subfields.`);
    return value;
  }
  if (typeof value !== "object") throw new GraphQLError(`Field "${path}" must not have a selection since it has no subfields.`);
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of selection) {
    if (f.name === "__typename") {
      out[f.alias] = typeName;
      continue;
    }
    if (!(f.name in obj)) throw new GraphQLError(`Cannot query field "${f.name}" on type "${typeName}".`);
    const child = obj[f.name];
    const childType = typeof child === "object" && child !== null && "__type" in child ? String((child as { __type: unknown }).__type) : f.name;
    out[f.alias] = project(child, f.selection, childType, `${path}.${f.name}`);
  }
  return out;
}
