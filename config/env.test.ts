import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env.ts";

describe("the env schema", () => {
  it("gives every default with nothing set", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ NODE_ENV: "development", PORT: 3000, DATA_DIR: "./.data", EMBEDDED_PG_PORT: 5433, PROBE_INTERVAL_MINUTES: 5 });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("names every bad variable and what is allowed, without echoing secrets", () => {
    let error: EnvError | undefined;
    try {
      parseEnv({ PORT: "eighty", NODE_ENV: "staging", MASTER_KEY: "not-base64-secret", CLINIKO_API_URL: "https://api.cliniko.com/v1" });
    } catch (e) {
      error = e as EnvError;
    }
    expect(error).toBeInstanceOf(EnvError);
    const text = error!.message;
    expect(text).toMatch(/PORT/);
    expect(text).toMatch(/NODE_ENV/);
    expect(text).toMatch(/MASTER_KEY: must be 32 random bytes in base64/);
    expect(text).toMatch(/CLINIKO_API_URL: must be an http\(s\) URL template containing \{shard\}/);
    expect(text).toContain('(got "eighty")');
    expect(text).not.toContain("not-base64-secret");
  });

  it("treats an empty variable as unset", () => {
    expect(parseEnv({ PORT: "", DATABASE_URL: "" }).PORT).toBe(3000);
  });

  it("refuses production without a database, master key and session secret", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/DATABASE_URL: required in production[\s\S]*MASTER_KEY[\s\S]*SESSION_SECRET/);
  });
});
