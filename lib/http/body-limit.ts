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
        res.set("Connection", "close");
        if (err.type === "entity.too.large") refuseTooLarge(req, res, limit);
        else if (err.type === "request.aborted") res.destroy();
        else res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400).type("text/plain").send("The request body could not be read.");
      },
    );
  };
}

/** Bytes past the limit we still read (and drop) so the client gets to read the 413. */
const DRAIN_BYTES = 1024 * 1024;

/**
 * Answers 413 so that the client gets to read it: browsers and fetch only read an answer once
 * their upload is done, so up to DRAIN_BYTES more of the body is read and dropped first. A body
 * that declares more than that, or keeps coming past it, is answered there and the connection
 * closed, so an endless body costs a bounded amount of reading and never any buffering.
 */
function refuseTooLarge(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], limit: number): void {
  const declared = Number(req.headers["content-length"]);
  // why: raw-body refuses a declared length before reading any of it, so all of it is left to drain
  const cap = Number.isFinite(declared) ? declared : DRAIN_BYTES;
  let drained = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    req.removeListener("data", onData);
    res.status(413).type("text/plain").send(`The request is larger than ${Math.round(limit / 1024)} KB.`);
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > cap) finish();
  };
  if (req.complete || declared > limit + DRAIN_BYTES) return finish();
  req.on("data", onData);
  req.once("end", finish);
  req.once("error", finish);
  req.resume();
}
