import type { BulkKind } from "../../db/schema/bulk-operations.ts";

/** The words and limits of bulk actions, without server imports, so the browser bundle can use them. */

/** The most a selection can hold: one page of the table is 50; this leaves room without inviting a fleet-wide click. */
export const MAX_BULK_SELECTION = 200;

export const BULK_INTENTS = ["probe", "reconnect_link", "pause", "resume", "campaign", "sync"] as const satisfies readonly BulkKind[];
export type BulkIntent = (typeof BULK_INTENTS)[number];

export const BULK_LABELS: Record<BulkKind, string> = {
  probe: "Re-probe",
  reconnect_link: "Email reconnect links",
  pause: "Pause",
  resume: "Resume",
  campaign: "Add to campaign",
  sync: "Sync now",
};

export const DEFAULT_LINK_PURPOSE = "Please reconnect your practice software to keep your clinic connected";

/** "Select all N matching": the most clinics one filtered selection may hold (each becomes an item of one operation). */
export const MAX_MATCHING_SELECTION = 2000;

/**
 * The kinds that reach outside or change many connections at once: each needs a confirm step with
 * the count, and the server refuses to start one that was not confirmed for at least that many.
 * Any kind over a whole filter ("all N matching") is confirmed too.
 */
export const CONFIRMED_INTENTS: readonly BulkIntent[] = ["reconnect_link", "pause", "campaign"];

/** The question a confirm step asks, with the number of clinics that will really be touched. */
export function bulkQuestion(intent: BulkIntent, n: number, campaignName?: string): string {
  const clinics = `${n} clinic${n === 1 ? "" : "s"}`;
  switch (intent) {
    case "reconnect_link":
      return `Email reconnect links to ${n} clinic admin${n === 1 ? "" : "s"}?`;
    case "pause":
      return `Pause ${clinics}? No probes or alerts for them until resumed.`;
    case "resume":
      return `Resume ${clinics} and probe each one?`;
    case "probe":
      return `Re-probe ${clinics}?`;
    case "campaign":
      return `Add ${clinics} to the campaign${campaignName ? ` "${campaignName}"` : ""}?`;
    case "sync":
      return `Sync ${clinics} now?`;
  }
}
