import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { RequestHandler } from "express";

/**
 * Serving /metrics (docs/metrics.md): on a port of its own, bound to loopback by default, and/or on
 * the console port to a bearer token. The scrape itself is the composition root's (composition/metrics.ts).
 */
export type Scrape = () => Promise<{ contentType: string; body: string }>;

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * Whether an Authorization header carries exactly `Bearer <token>`. why: both sides are hashed first,
 * so the comparison is constant-time and of equal length whatever was sent (timingSafeEqual needs that).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  const given = match?.[1] ?? "";
  const same = timingSafeEqual(digest(given), digest(token));
  return same && given.length > 0;
}

/** `/metrics` on the console port for a bearer token; without a token configured the route does not exist (falls through to 404). */
export function metricsOnConsolePort({ token, scrape }: { token: string | null; scrape: Scrape }): RequestHandler {
  return (req, res, next) => {
    if (req.path !== "/metrics" || !token) return next();
    if (req.method !== "GET" && req.method !== "HEAD") return void res.status(405).set("Allow", "GET, HEAD").type("text/plain").send("Method Not Allowed");
    if (!bearerMatches(req.headers.authorization, token)) {
      return void res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').set("Cache-Control", "no-store").type("text/plain").send("Unauthorized");
    }
    scrape().then(
      ({ contentType, body }) => void res.status(200).set("Content-Type", contentType).set("Cache-Control", "no-store").send(body),
      (err: unknown) => next(err),
    );
  };
}

/** A plain HTTP server answering GET /metrics only (anything else 404); resolves once listening. */
export async function startMetricsServer({
  host,
  port,
  scrape,
  onError,
}: {
  host: string;
  port: number;
  scrape: Scrape;
  onError: (err: unknown) => void;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
      return;
    }
    scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" }).end(req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        onError(err);
        res.writeHead(500, { "Content-Type": "text/plain" }).end("Internal Server Error");
      },
    );
  });
  // why: a scrape is short; keep-alive sockets from Prometheus must not hold a stopping process open
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    server,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
