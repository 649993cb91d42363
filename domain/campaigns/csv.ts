import type { Db } from "../../db/client.ts";
import { findClinicsByNameOrId, getCampaign } from "../../db/queries/campaigns.ts";
import { nameKey } from "../clinics/clinic-fields.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { parseCsv, type LineError } from "../clinics/csv.ts";
import { DomainError } from "../errors.ts";
import { addClinicsInTx, MAX_CAMPAIGN_ADD, type AddToCampaignResult } from "./campaigns.ts";
import { VENDOR_LABELS } from "../vocabulary.ts";

/**
 * Adding clinics to a campaign from an uploaded list: one clinic per line, named by its id or by
 * its exact name. A header line is optional; with one, the `id` / `clinic_id` column is used, else
 * `name` / `clinic` / `clinic_name` (so an export of the clinics table works as is). Every line
 * that does not name exactly one clinic that can join is reported, and then nothing is added.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_COLUMNS = ["id", "clinic_id"];
const NAME_COLUMNS = ["name", "clinic", "clinic_name"];

interface ClinicRef {
  line: number;
  value: string;
}

function readClinicRefs(text: string): { ok: true; refs: ClinicRef[] } | { ok: false; errors: LineError[] } {
  const csv = parseCsv(text);
  if (!csv.ok) return { ok: false, errors: [{ line: csv.line, message: csv.message }] };
  const records = csv.records;
  if (records.length === 0) return { ok: false, errors: [{ line: 1, message: "The list is empty: put one clinic id or name per line." }] };
  const first = records[0]!.fields.map((f) => f.trim().toLowerCase().replace(/\s+/g, "_"));
  const idCol = first.findIndex((f) => ID_COLUMNS.includes(f));
  const nameCol = first.findIndex((f) => NAME_COLUMNS.includes(f));
  const hasHeader = idCol !== -1 || nameCol !== -1;
  const body = hasHeader ? records.slice(1) : records;
  const errors: LineError[] = [];
  const refs: ClinicRef[] = [];
  for (const rec of body) {
    let value: string;
    if (hasHeader) {
      const id = idCol !== -1 ? (rec.fields[idCol] ?? "").trim() : "";
      value = id || (nameCol !== -1 ? (rec.fields[nameCol] ?? "").trim() : "");
    } else {
      if (rec.fields.length > 1) {
        errors.push({
          line: rec.line,
          message: 'Has more than one column; add a header line with an "id" or "name" column, or quote names that contain commas.',
        });
        continue;
      }
      value = rec.fields[0]!.trim();
    }
    if (!value) {
      errors.push({ line: rec.line, message: "Names no clinic (the id or name is empty)." });
      continue;
    }
    refs.push({ line: rec.line, value });
  }
  if (refs.length === 0 && errors.length === 0) errors.push({ line: records[0]!.line, message: "The list has a header but no clinics." });
  if (refs.length > MAX_CAMPAIGN_ADD)
    errors.push({ line: refs[MAX_CAMPAIGN_ADD]!.line, message: `At most ${MAX_CAMPAIGN_ADD.toLocaleString("en-AU")} clinics per list.` });
  return errors.length ? { ok: false, errors } : { ok: true, refs };
}

export type CsvAddResult = ({ ok: true } & AddToCampaignResult) | { ok: false; errors: LineError[] };

/** Resolves every line, reports all problems, and adds all clinics or none, in one transaction. */
export async function addClinicsFromCsv({ campaignId, text, actor }: { campaignId: string; text: string; actor: Actor }, db: Db): Promise<CsvAddResult> {
  const read = readClinicRefs(text);
  if (!read.ok) return read;
  return db.transaction(async (tx) => {
    const campaign = await getCampaign({ campaignId }, tx, true);
    if (!campaign) throw new DomainError(404, "No campaign has that id.");
    const ids = read.refs.filter((r) => UUID.test(r.value)).map((r) => r.value.toLowerCase());
    const names = read.refs.filter((r) => !UUID.test(r.value)).map((r) => nameKey(r.value));
    const candidates = await findClinicsByNameOrId({ names: [...new Set(names)], ids: [...new Set(ids)] }, tx);
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const byName = new Map<string, typeof candidates>();
    for (const c of candidates) byName.set(c.key, [...(byName.get(c.key) ?? []), c]);

    const errors: LineError[] = [];
    const chosen: string[] = [];
    const lineOf = new Map<string, number>();
    for (const ref of read.refs) {
      const isId = UUID.test(ref.value);
      const matches = isId ? [byId.get(ref.value.toLowerCase())].filter((c) => c !== undefined) : (byName.get(nameKey(ref.value)) ?? []);
      const live = matches.filter((m) => !m.archivedAt);
      if (matches.length === 0) {
        errors.push({ line: ref.line, message: isId ? `No clinic has the id ${ref.value}.` : `No clinic is called "${ref.value}".` });
        continue;
      }
      if (live.length === 0) {
        errors.push({ line: ref.line, message: `"${matches[0]!.name}" is archived; restore it first.` });
        continue;
      }
      if (live.length > 1) {
        errors.push({ line: ref.line, message: `${live.length} clinics are called "${ref.value}"; use the clinic's id instead.` });
        continue;
      }
      const clinic = live[0]!;
      if (!clinic.vendor) {
        errors.push({ line: ref.line, message: `"${clinic.name}" has no connection.` });
        continue;
      }
      if (clinic.vendor !== campaign.vendor) {
        errors.push({
          line: ref.line,
          message: `"${clinic.name}" uses ${VENDOR_LABELS[clinic.vendor]}; this campaign is for ${VENDOR_LABELS[campaign.vendor]}.`,
        });
        continue;
      }
      const earlier = lineOf.get(clinic.id);
      if (earlier !== undefined) {
        errors.push({ line: ref.line, message: `"${clinic.name}" is already on line ${earlier}.` });
        continue;
      }
      lineOf.set(clinic.id, ref.line);
      chosen.push(clinic.id);
    }
    if (errors.length) return { ok: false as const, errors };
    const result = await addClinicsInTx({ campaignId, clinicIds: chosen, actor, via: "csv" }, tx);
    // why: rows were resolved under the same transaction, so a skip here means a concurrent change; refuse rather than half-add
    if (result.skipped.length)
      throw new DomainError(409, "Some clinics changed while they were being added (archived or moved); nothing was added. Try again.");
    return { ok: true as const, ...result };
  });
}
