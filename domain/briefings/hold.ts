import { TAXONOMY } from "../health/taxonomy.ts";
import { type ConnectionState, type FailureCode, STATE_LABELS } from "../vocabulary.ts";

/**
 * Whether a briefing may go out now (docs/decisions/0040-briefing-delivery.md). Pure.
 * A briefing built on a broken connection is worse than none: it is held while the connection is
 * not healthy — its state is not "healthy", or it is broken now (its last probe failed:
 * db/queries/broken-now.ts BROKEN_NOW, first_failure_at set) — or its last successful sync is older
 * than 24 hours. The reason is recorded in words support and the history read.
 */

export const STALE_AFTER_HOURS = 24;

export interface HoldInput {
  state: ConnectionState;
  failureCode: FailureCode | null;
  firstFailureAt: Date | null;
  lastSyncSuccessAt: Date | null;
}

function hoursAgo(at: Date, now: Date): string {
  const h = Math.floor((now.getTime() - at.getTime()) / 3_600_000);
  return h >= 48 ? `${Math.floor(h / 24)} days ago` : `${h} hours ago`;
}

/** A connection that never finished setting up: its briefing is skipped quietly, not held (the readiness checklist says why). */
export function notSetUp(c: HoldInput): boolean {
  return c.state === "setup_pending" && c.lastSyncSuccessAt === null;
}

/** Why the briefing is held now, or null when it may go out. */
export function holdReason(c: HoldInput, now: Date, staleAfterHours = STALE_AFTER_HOURS): string | null {
  const failure = c.failureCode && c.failureCode in TAXONOMY ? TAXONOMY[c.failureCode].title : null;
  if (c.state === "paused") return "The connection is paused by support.";
  if (c.state !== "healthy" || c.firstFailureAt !== null) {
    const state = c.state === "healthy" ? "failing its checks" : STATE_LABELS[c.state].toLowerCase();
    return `The connection is ${state}${failure ? ` (${failure})` : ""}, so last week's figures cannot be trusted.`;
  }
  if (c.lastSyncSuccessAt === null) return "No sync has finished yet, so there is no data to brief on.";
  if (now.getTime() - c.lastSyncSuccessAt.getTime() > staleAfterHours * 3_600_000) {
    return `The last successful sync was ${hoursAgo(c.lastSyncSuccessAt, now)}: the data is older than ${staleAfterHours} hours.`;
  }
  return null;
}
