import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

describe("logger redaction", () => {
  it("never writes keys, tokens, passwords or Authorization headers", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ name: "t", level: "info", pretty: false }, sink);
    log.info(
      {
        apiKey: "MS0xMjM0NTY3ODkwYWJjZGVm-au2",
        connection: { key: "secret-key-1", token: "tok-2" },
        req: { headers: { authorization: "Basic c2VjcmV0", cookie: "__session=abc" } },
        user: { password: "hunter22" },
      },
      "probe",
    );
    const out = lines.join("");
    for (const secret of ["MS0xMjM0NTY3ODkwYWJjZGVm", "secret-key-1", "tok-2", "c2VjcmV0", "__session=abc", "hunter22"]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("[redacted]");
  });
});
