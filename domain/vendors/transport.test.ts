import { describe, expect, it } from "vitest";
import { createVendorClient } from "./factory.ts";
import { VendorError } from "./errors.ts";
import { createMemoryTokenStore } from "./nookal-token-store.ts";
import { createRateLimiter } from "./rate-limiter.ts";
import { vendorFetch, type VendorRequest } from "./transport.ts";
import type { VendorSettings } from "./types.ts";

/** Transport and client edge cases that need a vendor misbehaving in ways the simulator does not. */

const settings: VendorSettings = {
  clinikoBaseUrlTemplate: "https://api.{shard}.cliniko.test/v1",
  nookalV3BaseUrls: { au: "https://au.nookal.test" },
  nookalV2BaseUrl: "https://api.nookal.test/production/v2",
  appName: "Relink",
  contactEmail: "support@relink.example",
  timeoutMs: 1000,
};
const KEY = "MS0xMjM0NTY3ODkwMTIzNDU2Nzg5MC1hYmNkZWZn-au2";

function scripted(responses: (() => Response)[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const f: typeof fetch = async (input, init) => {
    calls.push({ url: String(input), init });
    const next = responses.shift();
    if (!next) throw new Error("no more scripted responses");
    return next();
  };
  return { calls, fetch: f };
}

const json =
  (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

function request(): VendorRequest {
  return { vendor: "cliniko", region: "au2", method: "GET", url: "https://api.au2.cliniko.test/v1/user", path: "/user", headers: {}, timeoutMs: 1000 };
}

describe("vendorFetch", () => {
  it("reports every attempt to the metrics: statuses (a 429 and retried 5xx included), network failures and timeouts", async () => {
    const seen: { vendor: string; status: number | string; seconds: number }[] = [];
    const metrics = { vendorRequest: (o: { vendor: string; status: number | string; seconds: number }) => void seen.push(o) };
    const s = scripted([
      () => new Response("slow down", { status: 429, headers: { "Retry-After": "0" } }),
      () => new Response("oops", { status: 503 }),
      () => {
        throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
      },
      json({ ok: true }),
    ]);
    const res = await vendorFetch(request(), { fetch: s.fetch, sleep: async () => {}, random: () => 0, retry: { maxRetries: 3 }, metrics });
    expect(res.status).toBe(200);
    expect(seen.map((o) => o.status)).toEqual([429, 503, "network", 200]);
    expect(seen.every((o) => o.vendor === "cliniko" && o.seconds >= 0 && o.seconds < 5)).toBe(true);

    const timedOut: (number | string)[] = [];
    const hang: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    await expect(
      vendorFetch({ ...request(), timeoutMs: 100 }, { fetch: hang, metrics: { vendorRequest: (o) => void timedOut.push(o.status) } }),
    ).rejects.toMatchObject({ kind: "timeout" });
    expect(timedOut).toEqual(["timeout"]);
  });

  it("retries 5xx with jittered, bounded backoff and then succeeds", async () => {
    const s = scripted([() => new Response("oops", { status: 502 }), () => new Response("oops", { status: 500 }), json({ ok: true })]);
    const sleeps: number[] = [];
    const res = await vendorFetch(request(), {
      fetch: s.fetch,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 150 },
    });
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([50, 75]);
  });

  it("waits until X-RateLimit-Reset on 429, then tries again", async () => {
    let now = 1_700_000_000_000;
    const s = scripted([() => new Response("slow down", { status: 429, headers: { "X-RateLimit-Reset": String(now / 1000 + 3) } }), json({ ok: true })]);
    const sleeps: number[] = [];
    const res = await vendorFetch(request(), {
      fetch: s.fetch,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([3100]);
  });

  it("sends nothing secret in the errors it builds", async () => {
    const s = scripted([() => new Response("HTTP Basic: Access denied.", { status: 401 })]);
    const client = createVendorClient({ vendor: "cliniko", key: KEY, region: "", apiVersion: "v1" }, settings, {
      fetch: s.fetch,
      rateLimiter: createRateLimiter({ limit: 10, windowMs: 1000 }),
    });
    const err = (await client.verify().catch((e: unknown) => e)) as VendorError;
    expect(err).toBeInstanceOf(VendorError);
    expect(err.status).toBe(401);
    expect(new Headers(s.calls[0]!.init!.headers).get("authorization")).toBe(`Basic ${Buffer.from(`${KEY}:`).toString("base64")}`);
    expect(new Headers(s.calls[0]!.init!.headers).get("user-agent")).toBe("Relink (support@relink.example)");
    expect(JSON.stringify({ m: err.message, ...err.evidence() })).not.toMatch(/MS0xMjM0|TVMweE1qTTBO/);
  });
});

describe("client guards", () => {
  const limiter = () => createRateLimiter({ limit: 100, windowMs: 1000 });

  it("refuses to follow links.next to another host with the key", async () => {
    const s = scripted([
      json({ patients: [{ id: "1", first_name: "A", last_name: "B" }], total_entries: 2, links: { next: "https://evil.test/v1/patients?page=2" } }),
    ]);
    const client = createVendorClient({ vendor: "cliniko", key: KEY, region: "", apiVersion: "v1" }, settings, { fetch: s.fetch, rateLimiter: limiter() });
    const pages: number[] = [];
    const err = await (async () => {
      for await (const page of client.patients()) pages.push(page.items.length);
    })().catch((e: unknown) => e);
    // why: a page that points the key elsewhere is not trusted either
    expect(pages).toEqual([]);
    expect(err).toMatchObject({ kind: "invalid_response" });
    expect(s.calls).toHaveLength(1);
  });

  it("turns GraphQL errors into vendor_failure with the vendor's words", async () => {
    const s = scripted([
      json({ accessToken: "t0k", accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString() }),
      json({ errors: [{ message: "Something broke", extensions: { code: "INTERNAL" } }], data: null }),
    ]);
    const client = createVendorClient({ vendor: "nookal", key: "bmtfMTIzNDU2Nzg5MDpzZWNyZXQ=", region: "au", apiVersion: "v3" }, settings, {
      fetch: s.fetch,
      tokenStore: createMemoryTokenStore(),
    });
    const err = await client.verify().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "vendor_failure", vendorMessage: "Something broke", vendorCode: "INTERNAL" });
  });

  it("refreshes once on a 400 'Token has expired', then reports the vendor's words without calling the key bad", async () => {
    const later = () => new Date(Date.now() + 3_600_000).toISOString();
    const expired = json({ errors: [{ message: "Token has expired" }] }, 400);
    const s = scripted([
      json({ accessToken: "t1", accessTokenExpiresAt: later() }),
      expired,
      json({ accessToken: "t2", accessTokenExpiresAt: later() }),
      expired,
    ]);
    const client = createVendorClient({ vendor: "nookal", key: "bmtfMTIzNDU2Nzg5MDpzZWNyZXQ=", region: "au", apiVersion: "v3" }, settings, {
      fetch: s.fetch,
      tokenStore: createMemoryTokenStore(),
    });
    const err = await client.countPatients().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "vendor_failure", status: 400, vendorMessage: "Token has expired" });
    expect(s.calls.map((c) => c.url.replace(settings.nookalV3BaseUrls.au!, ""))).toEqual(["/oauth/token", "/graphql", "/oauth/token", "/graphql"]);
    expect((s.calls[3]!.init!.headers as Record<string, string>).Authorization).toBe("Bearer t2");
  });

  it("wraps a programming slip or a broken configuration as a VendorError, never a raw exception", async () => {
    const client = createVendorClient(
      { vendor: "cliniko", key: KEY, region: "", apiVersion: "v1" },
      { ...settings, clinikoBaseUrlTemplate: "not a url {shard}" },
      { rateLimiter: limiter() },
    );
    const err = await client.countPatients().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
  });
});
