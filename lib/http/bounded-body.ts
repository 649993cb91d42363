import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import getRawBody from "raw-body";

export type BoundedBody = { ok: true; bytes: Buffer } | { ok: false; reason: "too_large" | "unreadable" };

/**
 * A fetch Request's body, read up to `limitBytes` and no further: a declared Content-Length over
 * the limit is refused before a byte is read; otherwise bytes are counted as they stream in (the
 * same raw-body counting as ./body-limit.ts does for the console's Node requests) and reading stops
 * — the rest is cancelled, never buffered — once the count passes the limit, whatever the length
 * said. A Content-Length that disagrees with the body is unreadable.
 */
export async function readBoundedBody(request: Request, limitBytes: number): Promise<BoundedBody> {
  const declared = request.headers.get("Content-Length");
  const length = declared !== null && /^\d+$/.test(declared.trim()) ? Number(declared) : undefined;
  if (length !== undefined && length > limitBytes) {
    // why: the body is never read; cancel it so the producer is not left waiting
    await request.body?.cancel().catch(() => undefined);
    return { ok: false, reason: "too_large" };
  }
  if (!request.body) return { ok: true, bytes: Buffer.alloc(0) };
  const stream = Readable.fromWeb(request.body as NodeWebReadableStream<Uint8Array>);
  try {
    return { ok: true, bytes: await getRawBody(stream, { limit: limitBytes, ...(length !== undefined ? { length } : {}) }) };
  } catch (err) {
    return { ok: false, reason: (err as { type?: string }).type === "entity.too.large" ? "too_large" : "unreadable" };
  } finally {
    // why: raw-body only pauses the stream at the limit; destroying it cancels the rest of the body
    stream.destroy();
  }
}
