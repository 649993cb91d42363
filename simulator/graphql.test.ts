import { describe, expect, it } from "vitest";
import { GraphQLError, parseOperation, project } from "./graphql.ts";

describe("simulator GraphQL subset", () => {
  it("parses named operations with variables, aliases, literals and nested selections", () => {
    const op = parseOperation(
      `# a comment
      query List($page: Int, $pageLength: Int!) {
        list: clients(page: $page, pageLength: $pageLength, search: "O'Brien", active: true) { totalItems items { clientID } }
        practice { name }
      }`,
      { page: 2, pageLength: 50 },
    );
    expect(op.kind).toBe("query");
    expect(op.fields[0]).toMatchObject({ alias: "list", name: "clients", args: { page: 2, pageLength: 50, search: "O'Brien", active: true } });
    expect(op.fields[0]!.selection!.map((f) => f.name)).toEqual(["totalItems", "items"]);
    expect(op.fields[1]).toMatchObject({ alias: "practice", name: "practice", args: {} });
  });

  it("projects only the selected fields and rejects unknown ones like a real server", () => {
    const op = parseOperation("{ clients { items { clientID firstName } } }");
    const value = { items: [{ clientID: "1", firstName: "Ann", lastName: "Lee" }], totalItems: 1 };
    expect(project(value, op.fields[0]!.selection, "clients", "clients")).toEqual({ items: [{ clientID: "1", firstName: "Ann" }] });
    const bad = parseOperation("{ clients { nope } }");
    expect(() => project(value, bad.fields[0]!.selection, "clients", "clients")).toThrow(GraphQLError);
    expect(() => project(value, null, "clients", "clients")).toThrow(/must have a selection/);
  });

  it("refuses syntax errors and fragments", () => {
    expect(() => parseOperation("{ clients { ")).toThrow(GraphQLError);
    expect(() => parseOperation("{ clients { ...F } }")).toThrow(/Fragments/);
  });
});
