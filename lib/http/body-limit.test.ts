import { describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES, MAX_UPLOAD_BYTES, UPLOAD_BODY_LIMITS } from "../../app/upload.server.ts";
import { limitFor } from "./body-limit.ts";

describe("limitFor", () => {
  it.each([
    ["/login", BODY_LIMIT_BYTES],
    ["/users.data", BODY_LIMIT_BYTES],
    ["/campaigns", BODY_LIMIT_BYTES],
    ["/clinics/new", BODY_LIMIT_BYTES],
    ["/clinics/import", MAX_UPLOAD_BYTES + 64 * 1024],
    ["/clinics/import.data", MAX_UPLOAD_BYTES + 64 * 1024],
    ["/campaigns/4b1e0c8e-0000-4000-8000-000000000000", MAX_UPLOAD_BYTES + 64 * 1024],
    ["/campaigns/4b1e0c8e-0000-4000-8000-000000000000.data", MAX_UPLOAD_BYTES + 64 * 1024],
    ["/clinics/import/extra", BODY_LIMIT_BYTES],
  ])("%s → %i bytes", (path, bytes) => {
    expect(limitFor(path, UPLOAD_BODY_LIMITS, BODY_LIMIT_BYTES)).toBe(bytes);
  });
});
