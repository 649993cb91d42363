import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "./webhook.ts";

const secret = "whsec_test-secret-0123456789abcdefghijklmnop";
const body = '{"id":"n1","type":"alert.opened","alerts":[{"count":1}]}';
const now = new Date("2026-03-02T09:00:00Z");
const ts = Math.floor(now.getTime() / 1000);

describe("webhook signatures", () => {
  it("is HMAC-SHA256 over `${timestamp}.${rawBody}`, hex, behind v1= — reproducible by any receiver", () => {
    const expected = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
    expect(signWebhook(secret, ts, body)).toBe(`v1=${expected}`);
  });

  it("verifies the exact bytes and refuses any change to body, timestamp or secret", () => {
    const sig = signWebhook(secret, ts, body);
    expect(verifyWebhookSignature(secret, String(ts), body, sig, { now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(secret, String(ts), Buffer.from(body), sig, { now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(secret, String(ts), body.replace('"count":1', '"count":9'), sig, { now })).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyWebhookSignature(secret, String(ts + 1), body, sig, { now })).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyWebhookSignature(`${secret}x`, String(ts), body, sig, { now })).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses replays outside the tolerance window, both ways", () => {
    const old = ts - 301;
    expect(verifyWebhookSignature(secret, old, body, signWebhook(secret, old, body), { now })).toEqual({ ok: false, reason: "stale" });
    const future = ts + 301;
    expect(verifyWebhookSignature(secret, future, body, signWebhook(secret, future, body), { now })).toEqual({ ok: false, reason: "stale" });
    expect(verifyWebhookSignature(secret, old, body, signWebhook(secret, old, body), { now, toleranceSeconds: 600 })).toEqual({ ok: true });
  });

  it("accepts any one of several v1 signatures (secret rotation) and rejects malformed headers", () => {
    const good = signWebhook(secret, ts, body);
    const other = signWebhook("whsec_the-previous-secret-000000000000000", ts, body);
    expect(verifyWebhookSignature(secret, ts, body, `${other}, ${good}`, { now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(secret, ts, body, good.replace("v1=", "v0="), { now })).toEqual({ ok: false, reason: "malformed" });
    expect(verifyWebhookSignature(secret, ts, body, "v1=zz", { now })).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyWebhookSignature(secret, "not-a-number", body, good, { now })).toEqual({ ok: false, reason: "malformed" });
    expect(verifyWebhookSignature(secret, undefined, body, good, { now })).toEqual({ ok: false, reason: "malformed" });
    expect(verifyWebhookSignature(secret, ts, body, null, { now })).toEqual({ ok: false, reason: "malformed" });
  });

  it("generates distinct 256-bit secrets", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
