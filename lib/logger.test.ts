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

describe("error serializer", () => {
  it("keeps a failed query's text and constraint but drops its parameters, even where PostgreSQL quotes them", async () => {
    const { serializeError } = await import("./logger.ts");
    const token = "rl_tok_0123456789abcdefghij";
    const pg = Object.assign(new Error(`invalid input syntax for type uuid: "${token}"`), {
      name: "PostgresError",
      code: "22P02",
      severity: "ERROR",
      detail: `Key (token)=(${token}) already exists.`,
      constraint_name: "reconnect_links_token_uidx",
    });
    Object.defineProperty(pg, "parameters", { value: [token], enumerable: false });
    const drizzle = Object.assign(new Error(`Failed query: select 1 where id = $1\nparams: ${token}`), {
      query: "select 1 where id = $1",
      params: [token],
      cause: pg,
    });
    const wrapped = new Error("loading the reconnect page failed", { cause: drizzle });
    const out = JSON.stringify(serializeError(wrapped));
    expect(out).not.toContain(token);
    expect(out).toContain("select 1 where id = $1");
    expect(out).toContain("reconnect_links_token_uidx");
    expect(out).toContain("22P02");
  });
});
