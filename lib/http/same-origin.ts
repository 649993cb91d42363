import type { RequestHandler } from "express";

/** GET and HEAD never change anything (routes keep it that way); every other method is guarded. */
const SAFE_METHODS = new Set(["GET", "HEAD"]);

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export interface OriginSignals {
  /** The `Origin` request header, as sent (`"null"` for opaque origins and no-referrer pages). */
  origin: string | undefined;
  /** `Sec-Fetch-Site`, which only the browser can set (same-origin, same-site, cross-site, none). */
  secFetchSite: string | undefined;
  referer: string | undefined;
  /** The `Host` header the request was sent to. */
  host: string | undefined;
  /** Origins the console is served from (PUBLIC_URL's), compared exactly. */
  allowedOrigins: readonly string[];
}

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.origin === "null" ? null : parsed.origin;
  } catch {
    return null;
  }
}

function isOurs(origin: string, signals: OriginSignals): boolean {
  if (signals.allowedOrigins.includes(origin)) return true;
  // why: behind no proxy the browser's Origin names the host it sent the request to; an attacker's
  // page cannot choose the Host header a victim's browser sends, nor its Origin
  return Boolean(signals.host) && new URL(origin).host === signals.host!.toLowerCase();
}

/**
 * Decides whether a mutating request came from one of our own pages (docs/decisions/0021).
 * Origin decides when the browser names one; `Origin: null` (no-referrer pages, sandboxed frames)
 * is ours only when the browser also says `Sec-Fetch-Site: same-origin`; without Origin,
 * Sec-Fetch-Site, then Referer decide. A request with none of the three is not from a browser that
 * a hostile page drives (every current browser sends Origin on a cross-origin POST), so it passes:
 * scripts and health checks keep working, and they carry no victim's cookie.
 */
export function checkSameOrigin(signals: OriginSignals): OriginVerdict {
  const { origin, secFetchSite, referer } = signals;
  if (origin !== undefined && origin !== "null") {
    const normalized = originOf(origin);
    if (normalized && isOurs(normalized, signals)) return { ok: true };
    return { ok: false, reason: "origin" };
  }
  if (origin === "null") return secFetchSite === "same-origin" ? { ok: true } : { ok: false, reason: "null-origin" };
  if (secFetchSite !== undefined) return secFetchSite === "same-origin" ? { ok: true } : { ok: false, reason: "sec-fetch-site" };
  if (referer !== undefined) {
    const from = originOf(referer);
    return from && isOurs(from, signals) ? { ok: true } : { ok: false, reason: "referer" };
  }
  return { ok: true };
}

/**
 * Refuses every cross-site mutating request before Remix sees it, whatever the URL form (document
 * post, `.data` single fetch, legacy `?_data=`): one check for all routes instead of one per route.
 */
export function sameOriginOnly({ allowedOrigins }: { allowedOrigins: readonly string[] }): RequestHandler {
  const origins = allowedOrigins.map((o) => new URL(o).origin);
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const verdict = checkSameOrigin({
      origin: header("origin"),
      secFetchSite: header("sec-fetch-site"),
      referer: header("referer"),
      host: header("host"),
      allowedOrigins: origins,
    });
    if (!verdict.ok) {
      res.status(403).type("text/plain").set("Cache-Control", "no-store").send("Cross-site request refused: this form must be sent from a Relink page.");
      return;
    }
    // why: this is the check that decides. Remix's own compares Origin with Host only, so it refuses
    // `Origin: null` from a no-referrer page (the reconnect page, vouched for by Sec-Fetch-Site above)
    // and PUBLIC_URL's origin behind a proxy that rewrites Host
    delete req.headers.origin;
    next();
  };
}
