import { describe, expect, it } from "vitest";
import { viewOfError } from "./error-boundary.tsx";

// what Remix hands a boundary for a thrown Response (isRouteErrorResponse checks these fields)
const response = (status: number, data: unknown, statusText = "") => ({ status, statusText, internal: false, data });

describe("the one error boundary's per-status handling", () => {
  it("shows a 404's own message, a 403 with where to ask, other statuses by their status line", () => {
    expect(viewOfError(response(404, "No clinic has that address."))).toEqual({ title: "Not found", message: "No clinic has that address." });
    expect(viewOfError(response(404, ""))).toMatchObject({ title: "Not found", message: expect.stringContaining("does not exist") });
    expect(viewOfError(response(403, "This needs the agent role; you are signed in as viewer."))).toEqual({
      title: "Not allowed",
      message: "This needs the agent role; you are signed in as viewer. Ask an admin if you need access.",
    });
    expect(viewOfError(response(503, "down", "Service Unavailable")).title).toBe("503 Service Unavailable");
  });

  it("never shows a thrown error's own text, and lets a route word a status its own way", () => {
    const view = viewOfError(new Error("password authentication failed for user relink"));
    expect(view.title).toBe("Something went wrong");
    expect(String(view.message)).not.toContain("password");
    expect(viewOfError(response(404, "x"), { 404: () => ({ title: "This link does not work", message: "Ask for a new one." }) }).title).toBe(
      "This link does not work",
    );
  });
});
