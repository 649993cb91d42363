import type { Db } from "../../db/client.ts";
import { getLatestBriefing } from "../../db/queries/briefings.ts";
import { getClinic } from "../../db/queries/clinics.ts";
import { DomainError } from "../errors.ts";
import { BriefingReportSchema } from "./report.ts";

/**
 * A clinic's latest weekly briefing (the newest week with a row: due, held, sent or skipped), with
 * the report exactly as it was sent when it was. Null when no week has been decided yet; a
 * DomainError 404 for a clinic that does not exist or is archived.
 */
export async function loadLatestBriefing({ clinicId }: { clinicId: string }, db: Db) {
  const clinic = await getClinic({ clinicId }, db);
  if (!clinic || clinic.clinic.archivedAt) throw new DomainError(404, "No clinic has that id.", { code: "clinic_not_found" });
  const row = await getLatestBriefing({ clinicId }, db);
  if (!row) return null;
  return {
    weekStart: row.weekStart,
    state: row.state,
    dueAt: row.dueAt,
    sentAt: row.sentAt,
    late: row.late,
    heldReason: row.heldReason,
    skippedReason: row.skippedReason,
    recipients: row.recipients,
    // why through the schema: the stored jsonb is read back as the one report shape (report.ts)
    report: row.report ? BriefingReportSchema.parse(row.report) : null,
  };
}
