import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env.ts";
import { metricsSettings, vendorBudgetSettings } from "./runtime.ts";

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

  it("reads the shared rate budget: Cliniko 200 and a 0.2 reserve by default, Nookal only when set", () => {
    expect(vendorBudgetSettings(parseEnv({}))).toEqual({ limits: { cliniko: { limit: 200 } }, reserve: 0.2 });
    expect(vendorBudgetSettings(parseEnv({ CLINIKO_RATE_LIMIT_PER_MINUTE: "150", NOOKAL_RATE_LIMIT_PER_MINUTE: "60", VENDOR_BUDGET_RESERVE: "0.3" }))).toEqual({
      limits: { cliniko: { limit: 150 }, nookal: { limit: 60 } },
      reserve: 0.3,
    });
    expect(() => parseEnv({ VENDOR_BUDGET_RESERVE: "0" })).toThrow(/VENDOR_BUDGET_RESERVE/);
    expect(() => parseEnv({ NOOKAL_RATE_LIMIT_PER_MINUTE: "lots" })).toThrow(/NOOKAL_RATE_LIMIT_PER_MINUTE/);
  });

  it("treats an empty variable as unset", () => {
    expect(parseEnv({ PORT: "", DATABASE_URL: "" }).PORT).toBe(3000);
  });

  it("refuses production without a database, master key and session secret", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/DATABASE_URL: required in production[\s\S]*MASTER_KEY[\s\S]*SESSION_SECRET/);
  });

  it("requires an https PUBLIC_URL in production", () => {
    const base = {
      NODE_ENV: "production",
      DATABASE_URL: "postgres://db/relink",
      MASTER_KEY: "q2YqvR9ryHbsrTDiOU8P0RN1pNmfF9IHsyJkbm6Vxyg=",
      SESSION_SECRET: "s".repeat(40),
    };
    expect(() => parseEnv(base)).toThrow(/PUBLIC_URL: required in production/);
    expect(() => parseEnv({ ...base, PUBLIC_URL: "http://relink.example.com" })).toThrow(/PUBLIC_URL: must be an https:\/\/ URL in production/);
    expect(parseEnv({ ...base, PUBLIC_URL: "https://relink.example.com" }).PUBLIC_URL).toBe("https://relink.example.com");
    // why: the zero-config start builds it from HOST:PORT outside production
    expect(parseEnv({}).PUBLIC_URL).toBeUndefined();
  });

  it("refuses private webhook targets and plain SMTP unless told otherwise", () => {
    expect(parseEnv({})).toMatchObject({ WEBHOOK_ALLOW_PRIVATE_TARGETS: false, SMTP_REQUIRE_TLS: false });
    expect(parseEnv({ WEBHOOK_ALLOW_PRIVATE_TARGETS: "true", SMTP_REQUIRE_TLS: "true" })).toMatchObject({
      WEBHOOK_ALLOW_PRIVATE_TARGETS: true,
      SMTP_REQUIRE_TLS: true,
    });
  });

  it("serves no metrics unless asked: ports bound to loopback, the console port only with a long token", () => {
    const none = parseEnv({});
    expect(metricsSettings(none, "web")).toEqual({ listen: null, token: null });
    expect(metricsSettings(none, "worker")).toEqual({ listen: null, token: null });
    const token = "m".repeat(32);
    const env = parseEnv({ METRICS_PORT: "9464", WORKER_METRICS_PORT: "9465", METRICS_TOKEN: token });
    expect(metricsSettings(env, "web")).toEqual({ listen: { host: "127.0.0.1", port: 9464 }, token });
    // why: the worker has no public port to put a token on
    expect(metricsSettings(env, "worker")).toEqual({ listen: { host: "127.0.0.1", port: 9465 }, token: null });
    expect(metricsSettings(parseEnv({ METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" }), "web").listen).toEqual({ host: "0.0.0.0", port: 9464 });
  });

  it("refuses a short or spaced metrics token without echoing it, and clashing ports", () => {
    let error: EnvError | undefined;
    try {
      parseEnv({ METRICS_TOKEN: "short-secret-token" });
    } catch (e) {
      error = e as EnvError;
    }
    expect(error?.message).toMatch(/METRICS_TOKEN: must be at least 32 characters/);
    expect(error?.message).not.toContain("short-secret-token");
    expect(() => parseEnv({ METRICS_TOKEN: `${"a".repeat(20)} ${"b".repeat(20)}` })).toThrow(/METRICS_TOKEN: must be printable ASCII without spaces/);
    expect(() => parseEnv({ METRICS_PORT: "3000" })).toThrow(/METRICS_PORT \/ WORKER_METRICS_PORT: must differ/);
    expect(() => parseEnv({ METRICS_PORT: "9464", WORKER_METRICS_PORT: "9464" })).toThrow(/must differ/);
    expect(() => parseEnv({ WORKER_METRICS_PORT: "70000" })).toThrow(/WORKER_METRICS_PORT/);
  });
});
