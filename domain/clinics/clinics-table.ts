import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { listCampaignChoices } from "../../db/queries/bulk-operations.ts";
import { CLINIC_SORTS, listClinics, type ClinicListFilters } from "../../db/queries/clinics.ts";
import { KNOWN_CLINIKO_SHARDS } from "../vendors/cliniko-key.ts";
import { countBrokenNow } from "../../db/queries/broken-now.ts";
import { CONNECTION_STATES, FAILING_SINCE_BANDS, FAILURE_CODES, NOOKAL_REGIONS, VENDORS } from "../vocabulary.ts";

const CLINICS_PAGE_SIZE = 50;
/**
 * A view with more matches than this shows "10,000+" on its first 200 pages instead of counting the
 * whole fleet on every load (docs/decisions/0032-console-cpu.md); a page beyond it counts exactly.
 */
const CLINICS_COUNT_CAP = 10_000;
const REGIONS = [...KNOWN_CLINIKO_SHARDS, ...NOOKAL_REGIONS] as const;

/** The clinics view lives in the URL: bad values fall back to defaults instead of failing the page. */
export const ClinicsQuerySchema = z.object({
  state: z.enum(CONNECTION_STATES).optional().catch(undefined),
  failure: z.enum(FAILURE_CODES).optional().catch(undefined),
  vendor: z.enum(VENDORS).optional().catch(undefined),
  region: z.enum(REGIONS).optional().catch(undefined),
  /** "Broken now" (db/queries/broken-now.ts); `since` narrows it to a failing-since band. */
  broken: z.enum(["now"]).optional().catch(undefined),
  since: z.enum(FAILING_SINCE_BANDS).optional().catch(undefined),
  /** "Sync failing": the latest sync of the connection failed. */
  sync: z.enum(["failing"]).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  sort: z.enum(CLINIC_SORTS).catch("failingSince").default("failingSince"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});
export type ClinicsQuery = z.output<typeof ClinicsQuerySchema>;

/** The URL keys that filter the table (not sort or page): what "all N matching" carries to the server. */
export const CLINIC_FILTER_KEYS = ["state", "failure", "vendor", "region", "broken", "since", "sync", "q"] as const satisfies readonly (keyof ClinicsQuery)[];

/**
 * The table's URL as query filters: the one mapping, so the table and "all N matching" (bulk
 * actions) always mean the same clinics.
 */
export function clinicFiltersOf(query: ClinicsQuery): ClinicListFilters {
  return {
    state: query.state,
    failureCode: query.failure,
    vendor: query.vendor,
    region: query.region,
    brokenNow: query.broken === "now",
    failingSince: query.since,
    syncFailing: query.sync === "failing",
    q: query.q || undefined,
  };
}

/** Page `n` clamped into 1…pages (an empty view has one empty page). */
function clampPage(page: number, total: number, pageSize: number): number {
  return Math.min(Math.max(1, page), Math.max(1, Math.ceil(total / pageSize)));
}

/**
 * One page of the clinics table exactly as the URL asks (filtered, sorted and paged in SQL), the
 * "broken now" counts for the filter chips, and the campaigns the bulk bar offers — only to those
 * who may act on them. A page past the end shows the last page (page=999 is not an empty table).
 */
export async function loadClinicsTable({ query, canAct, now = new Date() }: { query: ClinicsQuery; canAct: boolean; now?: Date }, db: Db) {
  const args = {
    filters: clinicFiltersOf(query),
    sort: query.sort,
    desc: query.dir === "desc",
    pageSize: CLINICS_PAGE_SIZE,
    countCap: CLINICS_COUNT_CAP,
  };
  const [first, broken, campaigns] = await Promise.all([
    listClinics({ ...args, page: query.page }, db),
    countBrokenNow(db),
    canAct ? listCampaignChoices(db) : Promise.resolve([]),
  ]);
  let { rows, total, totalCapped } = first;
  // why: a capped total is only given to a page within the cap, which is never past the end
  const page = totalCapped ? query.page : clampPage(query.page, total, CLINICS_PAGE_SIZE);
  // why: only an out-of-range page pays a second read, of the last page
  if (page !== query.page) ({ rows, total, totalCapped } = await listClinics({ ...args, page }, db));
  return { rows, total, totalCapped, broken, campaigns, page, sort: query.sort, dir: query.dir, pageSize: CLINICS_PAGE_SIZE, now: now.getTime() };
}
