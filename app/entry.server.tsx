import { PassThrough } from "node:stream";
import type { ActionFunctionArgs, AppLoadContext, EntryContext, LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { createLogger, type Logger } from "../lib/logger.ts";
import { NonceContext } from "./nonce.ts";

const ABORT_DELAY = 5_000;

/**
 * Remix's default Node entry, plus two changes:
 * - the CSP nonce (docs/decisions/0021): React's inline streaming scripts and Remix's single-fetch
 *   stream scripts get it here (renderToPipeableStream, RemixServer), <Scripts>/<ScrollRestoration>
 *   through NonceContext;
 * - every server error is logged through pino, whose serializer keeps a failed query's text and
 *   constraint but never its parameters (lib/logger.ts, docs/decisions/0024). Remix's default
 *   `console.error` printed drizzle's "Failed query … params: …" — tokens, webhook secrets,
 *   password hashes — to stderr.
 */

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
  const nonce = loadContext.cspNonce;
  // why: bots and SPA mode get the whole document at once; browsers get it streamed
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const ready = () => {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set("Content-Type", "text/html");
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        ...(waitForAll ? { onAllReady: ready } : { onShellReady: ready }),
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // why: errors before the shell reject above and Remix logs them; later ones only reach here
          if (shellRendered) loggerFor(loadContext).error({ err: error, url: loggedPath(request) }, "streaming render error");
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}
