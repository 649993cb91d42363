import type { RequestHandler } from "express";
import getRawBody from "raw-body";

export interface BodyLimitRule {
  /** Matches the request path (without any `.data` suffix of a single-fetch request). */
  path: RegExp;
  bytes: number;
  /** The 413's content type and body for these paths (the JSON API answers problem details); plain text by default. */
  refusal?: { type: string; body: string };
}

/** Request bodies are read here, once; `req.body` is then a Buffer for the Remix handler (./remix.ts). */
export interface BufferedBody {
  body?: Buffer;
}

function ruleFor(path: string, rules: readonly BodyLimitRule[]): BodyLimitRule | undefined {
  const bare = path.endsWith(".data") ? path.slice(0, -".data".length) : path;
  return rules.find((r) => r.path.test(bare));
}

/** The limit for one request path: the first matching rule, else the default. */
export function limitFor(path: string, rules: readonly BodyLimitRule[], defaultBytes: number): number {
  return ruleFor(path, rules)?.bytes ?? defaultBytes;
}

function refusalFor(path: string, rules: readonly BodyLimitRule[]): BodyLimitRule["refusal"] {
  return ruleFor(path, rules)?.refusal;
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
        if (err.type === "entity.too.large") return refuseTooLarge(req, res, limit, refusalFor(req.path, rules));
        res.set("Connection", "close");
        if (err.type === "request.aborted") res.destroy();
        else
          res
            .status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400)
            .type("text/plain")
            .send("The request body could not be read.");
      },
    );
  };
}

/** A declared body at most this much past the limit is read to its end before the 413 (a too-big upload). */
const DRAIN_BYTES = 1024 * 1024;
/** How long a too-big upload may take to finish arriving before the 413 goes anyway. */
const DRAIN_UPLOAD_MS = 30_000;
/** After an early 413, the rest is read and dropped this long (up to AFTER_BYTES), then the socket is cut. */
const AFTER_MS = 2000;
const AFTER_BYTES = 64 * 1024 * 1024;

/**
 * Answers 413 so that the client gets to read it: closing a socket the client is still sending on
 * resets it, and the reset can destroy the answer before the client reads it. A declared body
 * within DRAIN_BYTES past the limit (a browser's too-big upload; browsers and fetch read an answer
 * only once their upload is done) is read and dropped to its end, then answered. Anything else (no
 * length, or a larger one) is answered at once and then read and dropped for AFTER_MS, long
 * enough for the client to read the answer, before the connection is cut. Nothing is buffered, and
 * an endless body is read for a bounded time.
 */
function refuseTooLarge(req: IncomingRequest, res: Parameters<RequestHandler>[1], limit: number, refusal: BodyLimitRule["refusal"]): void {
  const { type, body } = refusal ?? { type: "text/plain", body: `The request is larger than ${Math.round(limit / 1024)} KB.` };
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared <= limit + DRAIN_BYTES) {
    // why: raw-body refuses a declared length before reading any of it, so all of it is left to drain
    discard(req, declared, DRAIN_UPLOAD_MS, () => res.set("Connection", "close").status(413).type(type).send(body));
    return;
  }
  res.status(413).type(type).send(body);
  discard(req, AFTER_BYTES, AFTER_MS, (ended) => {
    if (!ended) req.socket.destroy();
  });
}

type IncomingRequest = Parameters<RequestHandler>[0];

/** Reads and drops up to `bytes` more of `req` for at most `ms`; then calls back once, saying whether the body ended. */
function discard(req: IncomingRequest, bytes: number, ms: number, then: (ended: boolean) => void): void {
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
  const timer = setTimeout(() => finish(false), ms);
  if (req.complete) return finish(true);
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("error", () => finish(false));
  req.resume();
}
