import type { BulkKind } from "../../db/schema/bulk-operations.ts";

/** The words and limits of bulk actions, without server imports, so the browser bundle can use them. */

/** The most a selection can hold: one page of the table is 50; this leaves room without inviting a fleet-wide click. */
export const MAX_BULK_SELECTION = 200;

export const BULK_INTENTS = ["probe", "reconnect_link", "pause", "resume", "campaign"] as const satisfies readonly BulkKind[];
export type BulkIntent = (typeof BULK_INTENTS)[number];

export const BULK_LABELS: Record<BulkKind, string> = {
  probe: "Re-probe",
  reconnect_link: "Email reconnect links",
  pause: "Pause",
  resume: "Resume",
  campaign: "Add to campaign",
};

export const DEFAULT_LINK_PURPOSE = "Please reconnect your practice software to keep your clinic connected";
