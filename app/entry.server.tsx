import { PassThrough } from "node:stream";
import type { ActionFunctionArgs, AppLoadContext, EntryContext, LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { createLogger, type Logger } from "../lib/logger.ts";

/**
 * Remix's default server entry (streaming for browsers, whole documents for bots), plus one
 * change: every server error is logged through pino, whose serializer keeps a failed query's text
 * and constraint but never its parameters (lib/logger.ts). Remix's default `console.error` printed
 * drizzle's "Failed query … params: …" message — tokens, webhook secrets, password hashes — to stderr.
 */

const ABORT_DELAY = 5_000;

// why: only for errors raised before the load context exists (it always does in scripts/web.ts)
let fallbackLogger: Logger | undefined;
function loggerFor(context: AppLoadContext | undefined): Logger {
  return context?.services?.logger ?? (fallbackLogger ??= createLogger({ name: "web", level: "error", pretty: false }));
}

/** The path without a reconnect token (the token is the credential). */
function loggedPath(request: Request): string {
  const { pathname } = new URL(request.url);
  return pathname.startsWith("/reconnect/") ? "/reconnect/:token" : pathname;
}

export function handleError(error: unknown, { request, context }: LoaderFunctionArgs | ActionFunctionArgs) {
  // why: a client that went away aborts its loaders; that is not a server fault
  if (request.signal.aborted) return;
  loggerFor(context).error({ err: error, method: request.method, url: loggedPath(request) }, "server error");
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const allReady = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const onReady = () => {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set("Content-Type", "text/html");
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />, {
      // why: bots get the whole document at once; browsers get the shell as soon as it is ready
      ...(allReady ? { onAllReady: onReady } : { onShellReady: onReady }),
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        // why: errors during the initial shell reject and are logged by Remix through handleError
        if (shellRendered) loggerFor(loadContext).error({ err: error, url: loggedPath(request) }, "streaming render error");
      },
    });
    setTimeout(abort, ABORT_DELAY);
  });
}
