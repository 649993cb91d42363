/**
 * On every response of the reconnect pages: the token is in the URL, so nothing may cache the
 * page, send it on as a Referer (to our own assets included), or index it.
 */
export const RECONNECT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Robots-Tag": "noindex",
};
