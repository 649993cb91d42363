import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { listCampaignChoices } from "../../db/queries/bulk-operations.ts";
import { CLINIC_SORTS, listClinics } from "../../db/queries/clinics.ts";
import { KNOWN_CLINIKO_SHARDS } from "../vendors/cliniko-key.ts";
import { CONNECTION_STATES, FAILURE_CODES, NOOKAL_REGIONS, VENDORS } from "../vocabulary.ts";

const CLINICS_PAGE_SIZE = 50;
const REGIONS = [...KNOWN_CLINIKO_SHARDS, ...NOOKAL_REGIONS] as const;

/** The clinics view lives in the URL: bad values fall back to defaults instead of failing the page. */
export const ClinicsQuerySchema = z.object({
  state: z.enum(CONNECTION_STATES).optional().catch(undefined),
  failure: z.enum(FAILURE_CODES).optional().catch(undefined),
  vendor: z.enum(VENDORS).optional().catch(undefined),
  region: z.enum(REGIONS).optional().catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  sort: z.enum(CLINIC_SORTS).catch("failingSince").default("failingSince"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});
export type ClinicsQuery = z.output<typeof ClinicsQuerySchema>;

/**
 * One page of the clinics table exactly as the URL asks (filtered, sorted and paged in SQL), and
 * the campaigns the bulk bar offers — only to those who may act on them.
 */
export async function loadClinicsTable({ query, canAct, now = new Date() }: { query: ClinicsQuery; canAct: boolean; now?: Date }, db: Db) {
  const { rows, total } = await listClinics(
    {
      filters: { state: query.state, failureCode: query.failure, vendor: query.vendor, region: query.region, q: query.q || undefined },
      sort: query.sort,
      desc: query.dir === "desc",
      page: query.page,
      pageSize: CLINICS_PAGE_SIZE,
    },
    db,
  );
  const campaigns = canAct ? await listCampaignChoices(db) : [];
  return { rows, total, campaigns, page: query.page, sort: query.sort, dir: query.dir, pageSize: CLINICS_PAGE_SIZE, now: now.getTime() };
}
