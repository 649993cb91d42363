import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { hash32 } from "./rng.ts";
import { regionFaultKey, regionFaultsOf, type ClinikoAccount, type Faults, type NookalAccount, type Vendor, type World } from "./world.ts";

export type Req = IncomingMessage;
export type Res = ServerResponse;

export function send(world: World, res: Res, status: number, body: string, headers: Record<string, string> = {}): void {
  world.stats.byStatus[status] = (world.stats.byStatus[status] ?? 0) + 1;
  res.writeHead(status, { "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(world: World, res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(world, res, status, typeof body === "string" ? body : JSON.stringify(body), { "Content-Type": "application/json; charset=utf-8", ...headers });
}

export async function readBody(req: Req, limit = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const SERVER_ERROR_PAGES: Record<number, string> = {
  500: "<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head><body><h1>We're sorry, but something went wrong.</h1></body></html>",
  502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
  503: "<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>We're down for scheduled maintenance</h1><p>We'll be back shortly.</p></body></html>",
  504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>",
};

export function sendServerError(world: World, res: Res, status: number): void {
  send(world, res, status, SERVER_ERROR_PAGES[status] ?? `<html><body><h1>${status}</h1></body></html>`, { "Content-Type": "text/html; charset=utf-8" });
}

export interface FaultOutcome {
  handled: boolean;
  /** Send the success body truncated. */
  malformed: boolean;
}

function roll(world: World, scope: string, rate: number | undefined): boolean {
  if (!rate || rate <= 0) return false;
  const n = (world.faultCounters.get(scope) ?? 0) + 1;
  world.faultCounters.set(scope, n);
  return hash32(world.seed, scope, n) / 4294967296 < rate;
}

function takeNext(faults: Faults, field: "failNext" | "malformedNext" | "hangNext"): boolean {
  const n = faults[field];
  if (!n || n <= 0) return false;
  faults[field] = n - 1;
  return true;
}

export interface FaultScope {
  /** Names the scope's counters for rate-based faults. */
  name: string;
  faults: Faults;
}

/**
 * The scopes a request's faults come from, in order: global, then the shard/region the request
 * went to, then the account. `region` is where the request was sent (Cliniko's URL shard, Nookal
 * v3's URL region; for v2, which has no region in its URL, the account's own region).
 */
export function faultScopes(world: World, vendor: Vendor, region: string | undefined, account: ClinikoAccount | NookalAccount | undefined): FaultScope[] {
  const scopes: FaultScope[] = [{ name: "global", faults: world.globalFaults }];
  if (region !== undefined) scopes.push({ name: regionFaultKey(vendor, region), faults: regionFaultsOf(world, vendor, region) });
  // why: faults belong to where the account lives; a request to another shard or region never reaches it
  const home = account?.vendor === "cliniko" ? account.shard : account?.region;
  if (account && home === region) scopes.push({ name: account.id, faults: account.faults });
  return scopes;
}

/**
 * Apply the scopes' faults in order (see faultScopes). A hang leaves the response open on purpose: the
 * client's timeout is what is under test, and closing the server destroys the socket.
 */
export async function applyFaults(world: World, res: Res, scopes: FaultScope[]): Promise<FaultOutcome> {
  let malformed = false;
  const latency = scopes.reduce((sum, s) => sum + (s.faults.latencyMs ?? 0), 0);
  if (latency > 0) await delay(latency);
  const now = Date.now();
  for (const { name, faults } of scopes) {
    const o = faults.outage;
    if (o && (o.from === undefined || now >= o.from) && (o.until === undefined || now < o.until)) {
      sendServerError(world, res, o.status ?? 503);
      return { handled: true, malformed };
    }
    if (faults.reset) {
      // why: what a dropping proxy looks like to the client: ECONNRESET, no status, no body
      res.socket?.destroy();
      return { handled: true, malformed };
    }
    if (takeNext(faults, "hangNext") || roll(world, `${name}:hang`, faults.hangRate)) {
      world.stats.byStatus.hang = (world.stats.byStatus.hang ?? 0) + 1;
      return { handled: true, malformed };
    }
    if (takeNext(faults, "failNext") || roll(world, `${name}:error`, faults.errorRate)) {
      sendServerError(world, res, faults.errorStatus ?? 500);
      return { handled: true, malformed };
    }
    if (takeNext(faults, "malformedNext") || roll(world, `${name}:malformed`, faults.malformedRate)) malformed = true;
  }
  return { handled: false, malformed };
}

/** A body cut in half: what a proxy dropping the connection mid-answer looks like. */
export function truncate(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}

/** Cliniko-style fixed window per user. Returns the reset instant (ms) when over budget. */
export function takeRateLimit(world: World, bucket: string, limit: number, windowMs: number): number | undefined {
  const now = Date.now();
  let w = world.rateWindows.get(bucket);
  if (!w || now >= w.start + windowMs) {
    w = { start: now, count: 0 };
    world.rateWindows.set(bucket, w);
  }
  let log = world.rateLog.get(bucket);
  if (!log) world.rateLog.set(bucket, (log = { admitted: [], limited: [] }));
  const into = w.count >= limit ? log.limited : log.admitted;
  into.push(now);
  if (into.length > RATE_LOG_KEEP) into.splice(0, into.length - RATE_LOG_KEEP);
  if (w.count >= limit) return w.start + windowMs;
  w.count++;
  return undefined;
}

const RATE_LOG_KEEP = 5000;
