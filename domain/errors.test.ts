import { describe, expect, it } from "vitest";
import { DomainError, domainProblem, isDomainError, problemDetails } from "./errors.ts";

describe("DomainError → what the edge answers", () => {
  it("keeps status, field, code and message, and marks a field-less 404 as the resource being gone", () => {
    const gone = new DomainError(404, "No clinic has that id.", { code: "clinic_not_found" });
    expect(domainProblem(gone)).toEqual({ status: 404, field: undefined, message: "No clinic has that id.", code: "clinic_not_found", missingResource: true });
    const badInput = new DomainError(400, "No campaign has that id any more.", { field: "campaignId" });
    expect(domainProblem(badInput)).toMatchObject({ status: 400, field: "campaignId", missingResource: false });
    // a 404 about a named input is an inline error, not the page being gone
    expect(domainProblem(new DomainError(404, "x", { field: "clinicId" })).missingResource).toBe(false);
    expect(isDomainError(gone)).toBe(true);
    expect(isDomainError(new Error("x"))).toBe(false);
  });

  it("spells the same mapping as RFC 9457 problem details for the JSON API", () => {
    const err = new DomainError(409, "The connection is already paused.", { code: "already_paused" });
    expect(problemDetails(err, "/api/v1/clinics/1/pause")).toEqual({
      type: "urn:relink:problem:already_paused",
      title: "Conflict",
      status: 409,
      detail: "The connection is already paused.",
      instance: "/api/v1/clinics/1/pause",
    });
    expect(problemDetails(new DomainError(400, "A user with this email already exists.", { field: "email" }))).toEqual({
      type: "about:blank",
      title: "Bad request",
      status: 400,
      detail: "A user with this email already exists.",
      errors: [{ field: "email", detail: "A user with this email already exists." }],
    });
  });
});
