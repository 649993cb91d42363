import { randomBytes } from "node:crypto";
import type { RequestHandler, Response } from "express";
import helmet from "helmet";

/** The per-response CSP nonce, for Remix's inline hydration scripts (app/entry.server.tsx, root.tsx). */
export function cspNonce(res: Response): string {
  return res.locals.cspNonce as string;
}

/**
 * Security headers on every response (docs/decisions/0021). Scripts run only from our origin or
 * with this response's nonce, so an injected `<script>` or `onclick=` does nothing; no plugins, no
 * `<base>` rewriting, no framing by any site. HSTS and upgrade-insecure-requests only in production,
 * because the zero-config start serves plain http on 127.0.0.1.
 */
export function securityHeaders({ production }: { production: boolean }): RequestHandler[] {
  const nonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    next();
  };
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'", (_req, res) => `'nonce-${cspNonce(res as Response)}'`],
        "script-src-attr": ["'none'"],
        // why: stylesheets only from us; React's style={{…}} attributes are inline style attributes
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        ...(production ? { "upgrade-insecure-requests": [] } : {}),
      },
    },
    // why: Origin stays on our own posts (the CSRF check needs it), nothing at all goes to other sites
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: production ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
    xFrameOptions: { action: "deny" },
  });
  return [nonce, headers];
}
