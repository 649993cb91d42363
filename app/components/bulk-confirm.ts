import { BULK_LABELS } from "../../domain/bulk/kinds.ts";
import type { BulkConfirmation, BulkRequest } from "../../domain/bulk/operations.ts";
import type { ConfirmRequest } from "./confirm-step.tsx";

/** The bulk confirm step: the server's count and question, and the request to repeat (ids, or the filter for "all matching"). */
export function bulkConfirmRequest(confirm: BulkConfirmation, input: BulkRequest): ConfirmRequest {
  const fields: [string, string][] = [
    ["intent", input.intent],
    ["returnTo", input.returnTo],
  ];
  if (input.matching) fields.push(["scope", "matching"], ["matchQuery", input.matchQuery ?? ""]);
  else for (const id of input.clinicIds) fields.push(["clinicId", id]);
  if (input.purpose) fields.push(["purpose", input.purpose]);
  if (input.reason) fields.push(["reason", input.reason]);
  if (input.campaignId) fields.push(["campaignId", input.campaignId]);
  const details = [
    confirm.selected === confirm.count
      ? `${confirm.count} of the ${confirm.selected} ${input.matching ? "matching" : "selected"} clinics take part.`
      : `${confirm.count} of the ${confirm.selected} ${input.matching ? "matching" : "selected"} clinics take part; ${confirm.selected - confirm.count} are left out:`,
    ...confirm.leftOut.map((l) => `${l.n} × ${l.message}`),
  ];
  return {
    question: confirm.question,
    details,
    count: confirm.count,
    confirmLabel: confirm.count ? `${BULK_LABELS[confirm.intent]}: ${confirm.count} clinic${confirm.count === 1 ? "" : "s"}` : "Nothing to do",
    fields,
    action: "/bulk?index",
  };
}
