/**
 * A stand-in worker process for the shared rate budget's tests and bench: pages one Cliniko
 * account's appointments through the real vendor client, spending the budget shared through
 * Postgres exactly as composition/services.ts builds it, and prints what it sent as one JSON line.
 *
 * node tests/support/budget-pager.ts '<json PagerSpec>'
 */
import { openDb } from "../../db/client.ts";
import { createPostgresBudgetStore } from "../../domain/connections/vendor-budget-store.ts";
import { isVendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient } from "../../domain/vendors/factory.ts";
import { createSharedBudget } from "../../domain/vendors/shared-budget.ts";
import type { BudgetLane } from "../../domain/vocabulary.ts";
import { simulatorVendorSettings } from "../../simulator/control-client.ts";

export interface PagerSpec {
  databaseUrl: string;
  simulatorUrl: string;
  key: string;
  limit: number;
  windowMs: number;
  reserve: number;
  lane: BudgetLane;
  /** Start paging at this instant (epoch ms), so several processes start together. */
  startAt: number;
  /** Stop after this many vendor requests, or at `stopAt` (epoch ms), whichever is first. */
  maxRequests: number;
  stopAt: number;
}

export interface PagerReport {
  /** Send time and status of every vendor request (epoch ms). */
  requests: Array<{ at: number; status: number; reset?: string }>;
  pages: number;
  roundTrips: number;
  expiredTokens: number;
  /** Leases that found the sync share full and waited: the lane was saturated. */
  syncRoomWaits: number;
  rateLimitedErrors: number;
  ms: number;
}

const spec = JSON.parse(process.argv[2]!) as PagerSpec;
const handle = openDb(spec.databaseUrl, { max: 2, applicationName: "relink-budget-pager" });
const budget = createSharedBudget({
  store: createPostgresBudgetStore({ db: handle.db }),
  limits: { cliniko: { limit: spec.limit } },
  reserve: spec.reserve,
  windowMs: spec.windowMs,
});
const requests: PagerReport["requests"] = [];
const counting: typeof fetch = async (input, init) => {
  const entry: PagerReport["requests"][number] = { at: Date.now(), status: 0 };
  requests.push(entry);
  const res = await fetch(input, init);
  entry.status = res.status;
  if (res.status === 429) entry.reset = res.headers.get("x-ratelimit-reset") ?? undefined;
  return res;
};
const client = createVendorClient(
  { vendor: "cliniko", key: spec.key, region: "", apiVersion: "v1" },
  simulatorVendorSettings(spec.simulatorUrl, { appName: "Relink budget test", contactEmail: "budget@relink.example", timeoutMs: 10_000 }),
  { rateLimiter: budget, lane: spec.lane, fetch: counting, maxRateLimitWaitMs: 10 * spec.windowMs },
);
process.stdout.write("ready\n");
await new Promise((r) => setTimeout(r, Math.max(0, spec.startAt - Date.now())));
const t0 = Date.now();
let pages = 0;
let rateLimitedErrors = 0;
const done = () => requests.length >= spec.maxRequests || Date.now() >= spec.stopAt;
while (!done()) {
  try {
    for await (const page of client.appointments()) {
      void page;
      pages++;
      if (done()) break;
    }
  } catch (err) {
    if (isVendorError(err) && err.kind === "rate_limited") rateLimitedErrors++;
    else throw err;
  }
}
const report: PagerReport = {
  requests,
  pages,
  roundTrips: budget.roundTrips,
  expiredTokens: budget.expiredTokens,
  syncRoomWaits: budget.roomWaits.sync,
  rateLimitedErrors,
  ms: Date.now() - t0,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await handle.close();
