import http from "node:http";
import type { AddressInfo } from "node:net";
import type dns from "node:dns";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "./send.ts";
import { isPublicAddress, webhookDispatcher, webhookTargetProblem, webhookUrlProblem, type WebhookTargetPolicy } from "./target.ts";

// Security item 9: webhook receivers only at public addresses, checked on the address dialled.

let server: http.Server;
let port: number;
let received = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    req.resume();
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const publicOnly: WebhookTargetPolicy = { allowPrivate: false, requireHttps: false };
const body = '{"id":"n1"}';
const headers = { id: "00000000-0000-4000-8000-000000000001" };
const secret = "whsec_test-secret-0123456789abcdefghijklmnop";

/** A resolver that answers every name with one address, as a hostile DNS server would. */
function resolvesTo(address: string, family: 4 | 6 = 4): typeof dns.lookup {
  return ((_host: string, options: dns.LookupOptions, cb: (err: null, a: dns.LookupAddress[] | string, f?: number) => void) => {
    if (options.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as typeof dns.lookup;
}

describe("webhook target addresses", () => {
  it.each([
    "127.0.0.1",
    "127.5.5.5",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "255.255.255.255",
    "224.0.0.1",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "ff02::1",
  ])("refuses %s", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows %s", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it("refuses loopback, private and link-local URLs up front, and http in production", () => {
    expect(webhookUrlProblem("http://127.0.0.1:8080/hook", publicOnly)).toMatch(/loopback, private or link-local/);
    expect(webhookUrlProblem("http://[::1]/hook", publicOnly)).toMatch(/loopback, private or link-local/);
    expect(webhookUrlProblem("http://[::ffff:127.0.0.1]/hook", publicOnly)).toMatch(/loopback, private or link-local/);
    expect(webhookUrlProblem("http://169.254.169.254/latest/meta-data", publicOnly)).toMatch(/169\.254\.169\.254/);
    expect(webhookUrlProblem("http://localhost:9000/", publicOnly)).toMatch(/loopback/);
    expect(webhookUrlProblem("http://hooks.example.com/relink", { allowPrivate: false, requireHttps: true })).toMatch(/https:\/\/ URL in production/);
    expect(webhookUrlProblem("https://hooks.example.com/relink", { allowPrivate: false, requireHttps: true })).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:8080/hook", { allowPrivate: true, requireHttps: false })).toBeNull();
  });
});

describe("sending to a private address", () => {
  it("is refused before anything is sent, for literal IPv4 and IPv6 loopback", async () => {
    const before = received;
    for (const host of ["127.0.0.1", "[::ffff:127.0.0.1]"]) {
      const r = await postWebhook({ url: `http://${host}:${port}/hook`, secret }, body, headers, { timeoutMs: 2000, targets: publicOnly });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^refused: .*loopback, private or link-local/);
    }
    expect(received).toBe(before);
  });

  it("goes through with the explicit setting for tests and demos", async () => {
    const before = received;
    const r = await postWebhook({ url: `http://127.0.0.1:${port}/hook`, secret }, body, headers, {
      timeoutMs: 2000,
      targets: { allowPrivate: true, requireHttps: false },
    });
    expect(r).toMatchObject({ ok: true, httpStatus: 200 });
    expect(received).toBe(before + 1);
  });

  it("is refused at connect time when a public-looking name resolves to a private address (DNS rebinding)", async () => {
    const url = `http://hooks.rebind.example:${port}/hook`;
    // at creation the name resolved to a public address, so it was accepted …
    expect(await webhookTargetProblem(url, publicOnly, async () => [{ address: "93.184.216.34", family: 4 }])).toBeNull();
    // … and by delivery time it answers 127.0.0.1: the connector checks what it dials, and refuses
    const before = received;
    const dispatcher = webhookDispatcher(publicOnly, { lookup: resolvesTo("127.0.0.1") });
    const err = await undiciFetch(url, { method: "POST", body, dispatcher }).then(
      () => null,
      (e: unknown) => e as Error & { cause?: Error },
    );
    expect(err?.cause?.name).toBe("WebhookTargetError");
    expect(err?.cause?.message).toMatch(/hooks\.rebind\.example \(127\.0\.0\.1\)/);
    const mapped = webhookDispatcher(publicOnly, { lookup: resolvesTo("::ffff:127.0.0.1", 6) });
    const err6 = await undiciFetch(url, { method: "POST", body, dispatcher: mapped }).then(
      () => null,
      (e: unknown) => e as Error & { cause?: Error },
    );
    expect(err6?.cause?.name).toBe("WebhookTargetError");
    // literal addresses never reach `lookup` in Node; the connector checks them itself
    for (const host of ["127.0.0.1", "[::1]", "[::ffff:7f00:1]"]) {
      const e = await undiciFetch(`http://${host}:${port}/hook`, { method: "POST", body, dispatcher: webhookDispatcher(publicOnly) }).then(
        () => null,
        (x: unknown) => x as Error & { cause?: Error },
      );
      expect(e?.cause?.name).toBe("WebhookTargetError");
    }
    expect(received).toBe(before);
  });

  it("at creation, a name that resolves to a private address is refused with a clear message", async () => {
    expect(await webhookTargetProblem("https://metadata.internal.example/", publicOnly, async () => [{ address: "169.254.169.254", family: 4 }])).toMatch(
      /metadata\.internal\.example \(169\.254\.169\.254\) is a loopback, private or link-local address/,
    );
  });
});
