import type { Server } from "node:http";
import type { RequestHandler, Response } from "express";

/**
 * Bounded shutdown for an HTTP server: stop accepting, let requests in flight finish within a grace
 * period, then close whatever is still open, so a stuck client cannot hold the process forever.
 */
export function gracefulShutdown() {
  const inFlight = new Set<Response>();
  let draining = false;
  const track: RequestHandler = (_req, res, next) => {
    if (draining) res.set("Connection", "close");
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
    next();
  };
  async function close(server: Server, graceMs: number): Promise<void> {
    draining = true;
    // why: a response still to be written says Connection: close, so its keep-alive socket ends with it
    for (const res of inFlight) if (!res.headersSent) res.set("Connection", "close");
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // why: a socket that finishes its response during the grace period goes idle; close it then
    const idleSweep = setInterval(() => server.closeIdleConnections(), 250);
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    try {
      await closed;
    } finally {
      clearInterval(idleSweep);
      clearTimeout(timer);
    }
  }
  return { track, close, inFlight: () => inFlight.size };
}
