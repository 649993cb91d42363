import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import type { z } from "zod";

/**
 * The 404 a loader (or an action) throws when the thing its address names is not there; the
 * route's error boundary shows the message. Use it as `throw notFound("No clinic has that address.")`
 * or `row ?? notFound(...)`.
 */
export function notFound(message = "That page does not exist (or was archived)."): never {
  throw new Response(message, { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/** The route's params parsed by `schema`; an address that does not fit (not a uuid, say) is a 404. */
export function paramsOr404<S extends z.ZodType>(schema: S, params: LoaderFunctionArgs["params"], message?: string): z.output<S> {
  const parsed = schema.safeParse(params);
  return parsed.success ? parsed.data : notFound(message);
}

/**
 * For a page whose action shows a secret once (an API token, a webhook signing secret): the
 * action's Cache-Control (no-store) reaches the HTML document too, not only the data request, so
 * no browser, proxy or back button keeps the page that holds it.
 */
export const actionCacheControl: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const h = new Headers(loaderHeaders);
  const cache = actionHeaders.get("Cache-Control");
  if (cache) h.set("Cache-Control", cache);
  return h;
};
