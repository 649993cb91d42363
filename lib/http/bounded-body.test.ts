import { describe, expect, it } from "vitest";
import { readBoundedBody } from "./bounded-body.ts";

const LIMIT = 1024;

/** A body that streams `chunks` chunks of `size` bytes and counts how many were pulled. */
function streamingBody(size: number, chunks: number) {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(97));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, pulled: () => pulled, cancelled: () => cancelled };
}

function post(body: BodyInit | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) {
  return new Request("http://localhost/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("readBoundedBody", () => {
  it("reads a body within the limit, up to exactly the limit", async () => {
    const exact = await readBoundedBody(post("a".repeat(LIMIT)), LIMIT);
    expect(exact).toMatchObject({ ok: true });
    expect(exact.ok && exact.bytes.length).toBe(LIMIT);
    const text = await readBoundedBody(post('{"name":"Café"}'), LIMIT);
    expect(text.ok && text.bytes.toString("utf8")).toBe('{"name":"Café"}');
  });

  it("answers an empty body for none", async () => {
    const none = await readBoundedBody(post(null), LIMIT);
    expect(none.ok && none.bytes.length).toBe(0);
  });

  it("refuses one byte over the limit", async () => {
    expect(await readBoundedBody(post("a".repeat(LIMIT + 1)), LIMIT)).toEqual({ ok: false, reason: "too_large" });
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const s = streamingBody(100, 1000);
    expect(await readBoundedBody(post(s.body, { "Content-Length": String(100 * 1000) }), LIMIT)).toEqual({ ok: false, reason: "too_large" });
    // why: a ReadableStream pulls once to fill its queue on creation; nothing past that
    expect(s.pulled()).toBeLessThanOrEqual(1);
    expect(s.cancelled()).toBe(true);
  });

  it("stops reading an endless body with no length soon after the limit, and cancels the rest", async () => {
    const s = streamingBody(256, Number.MAX_SAFE_INTEGER);
    expect(await readBoundedBody(post(s.body), LIMIT)).toEqual({ ok: false, reason: "too_large" });
    // why: stream buffering may read a few chunks ahead; never more than a little past the limit
    expect(s.pulled() * 256).toBeLessThan(LIMIT + 64 * 1024);
    expect(s.cancelled()).toBe(true);
  });

  it("stops a body that lies about its length (small Content-Length, big body)", async () => {
    const s = streamingBody(256, 10_000);
    expect(await readBoundedBody(post(s.body, { "Content-Length": "10" }), LIMIT)).toMatchObject({ ok: false });
    expect(s.pulled() * 256).toBeLessThan(LIMIT + 64 * 1024);
  });
});
