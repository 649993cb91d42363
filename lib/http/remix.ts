import { createRequestHandler as createRemixRequestHandler, writeReadableStreamToWritable, type AppLoadContext, type ServerBuild } from "@remix-run/node";
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from "express";
import type { BufferedBody } from "./body-limit.ts";

/**
 * @remix-run/express's handler, except that the body comes from the bounded buffer bodyLimit read
 * (./body-limit.ts) instead of the raw socket stream, which that middleware has already consumed.
 * The request and response mapping follows @remix-run/express 2.17.5, which does not export it.
 */
export function createRequestHandler({
  build,
  getLoadContext,
  mode,
}: {
  build: ServerBuild;
  getLoadContext?: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext | Promise<AppLoadContext>;
  /** NODE_ENV from config/env.ts: "development" shows error details, "production" hides them. */
  mode: string;
}): RequestHandler {
  const handleRequest = createRemixRequestHandler(build, mode);
  return async (req, res, next) => {
    try {
      const request = toFetchRequest(req, res);
      const loadContext = await getLoadContext?.(req, res);
      const response = await handleRequest(request, loadContext);
      await sendResponse(res, response);
    } catch (error) {
      next(error);
    }
  };
}

function toFetchRequest(req: ExpressRequest & BufferedBody, res: ExpressResponse): Request {
  // why: the same URL rule as @remix-run/express (the port comes from X-Forwarded-Host or Host)
  const portOf = (h: string | undefined) => Number.parseInt(h?.split(":")[1] ?? "", 10);
  const forwardedPort = portOf(req.get("X-Forwarded-Host"));
  const hostPort = portOf(req.get("host"));
  const port = Number.isSafeInteger(forwardedPort) ? forwardedPort : Number.isSafeInteger(hostPort) ? hostPort : "";
  const url = new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`);
  let controller: AbortController | null = new AbortController();
  const init: RequestInit = { method: req.method, headers: toHeaders(req.headers), signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    if (!Buffer.isBuffer(req.body)) throw new Error("bodyLimit() must run before the Remix handler");
    init.body = new Uint8Array(req.body);
  }
  // why: abort loaders and actions once the response can no longer be written (close without finish)
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  return new Request(url.href, init);
}

function toHeaders(source: ExpressRequest["headers"]): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(source)) {
    if (!values) continue;
    if (Array.isArray(values)) for (const value of values) headers.append(key, value);
    else headers.set(key, values);
  }
  return headers;
}

const ROUTE_OWNED_HEADERS = new Set(["content-security-policy", "x-frame-options"]);

async function sendResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers.entries()) {
    // why: a route that states its own framing policy (the briefing preview, made for the console's iframe) replaces
    // the console-wide default from lib/http/security-headers.ts; appended, both would apply and the stricter would win
    if (ROUTE_OWNED_HEADERS.has(key)) res.setHeader(key, value);
    else res.append(key, value);
  }
  if (response.headers.get("Content-Type")?.match(/text\/event-stream/i)) res.flushHeaders();
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}
