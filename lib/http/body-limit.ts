import type { RequestHandler } from "express";
import getRawBody from "raw-body";

export interface BodyLimitRule {
  /** Matches the request path (without any `.data` suffix of a single-fetch request). */
  path: RegExp;
  bytes: number;
}

/** Request bodies are read here, once; `req.body` is then a Buffer for the Remix handler (./remix.ts). */
export interface BufferedBody {
  body?: Buffer;
}

/** The limit for one request path: the first matching rule, else the default. */
export function limitFor(path: string, rules: readonly BodyLimitRule[], defaultBytes: number): number {
  const bare = path.endsWith(".data") ? path.slice(0, -".data".length) : path;
  return rules.find((r) => r.path.test(bare))?.bytes ?? defaultBytes;
}

/**
 * Reads every request body up to its limit before anything parses it, and answers 413 past it.
 * Counted on the stream as bytes arrive (raw-body), so a chunked body with no Content-Length, or
 * one that lies about it, is cut off too; a declared Content-Length above the limit is refused
 * before a byte is read.
 */
export function bodyLimit({ defaultBytes, rules = [] }: { defaultBytes: number; rules?: readonly BodyLimitRule[] }): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const limit = limitFor(req.path, rules, defaultBytes);
    const declared = req.headers["content-length"];
    getRawBody(req, { limit, length: declared === undefined ? undefined : Number(declared) }).then(
      (buffer) => {
        (req as typeof req & BufferedBody).body = buffer;
        next();
      },
      (err: { type?: string; status?: number }) => {
        if (res.headersSent) return;
        if (err.type === "entity.too.large") return refuseTooLarge(req, res, limit);
        res.set("Connection", "close");
        if (err.type === "request.aborted") res.destroy();
        else res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400).type("text/plain").send("The request body could not be read.");
      },
    );
  };
}

/** Bytes past the limit we still read (and drop) so the client gets to read the 413. */
const DRAIN_BYTES = 1024 * 1024;
const DRAIN_MS = 5000;

/**
 * Answers 413 so that the client gets to read it: closing a socket the client is still sending on
 * resets it, and the reset can destroy the answer before it is read. A declared body within
 * DRAIN_BYTES past the limit (a browser's too-big upload; browsers and fetch read an answer only
 * once their upload is done) is read and dropped to its end, then answered. Anything else (no
 * length, or a larger one) is answered at once while up to DRAIN_BYTES more, for at most DRAIN_MS,
 * are read and dropped; then the connection is cut. An endless body costs a bounded amount of
 * reading, never any buffering.
 */
function refuseTooLarge(req: IncomingRequest, res: Parameters<RequestHandler>[1], limit: number): void {
  const text = `The request is larger than ${Math.round(limit / 1024)} KB.`;
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared <= limit + DRAIN_BYTES) {
    // why: raw-body refuses a declared length before reading any of it, so all of it is left to drain
    discard(req, declared, () => res.set("Connection", "close").status(413).type("text/plain").send(text));
    return;
  }
  res.status(413).type("text/plain").send(text);
  discard(req, DRAIN_BYTES, (ended) => {
    if (!ended) req.socket.destroy();
  });
}

type IncomingRequest = Parameters<RequestHandler>[0];

/** Reads and drops up to `bytes` more of `req` for at most DRAIN_MS; then calls back once, saying whether the body ended. */
function discard(req: IncomingRequest, bytes: number, then: (ended: boolean) => void): void {
  let seen = 0;
  let done = false;
  const finish = (ended: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.removeListener("data", onData);
    req.removeListener("end", onEnd);
    then(ended);
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > bytes) finish(false);
  };
  const onEnd = () => finish(true);
  const timer = setTimeout(() => finish(false), DRAIN_MS);
  if (req.complete) return finish(true);
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("error", () => finish(false));
  req.resume();
}
