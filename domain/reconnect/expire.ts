import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { leaveReconnectPending, listLapsedReconnects, wipeExpiredRetryKeys } from "../../db/queries/reconnect-links.ts";
import { expireUnansweredAccountChanges } from "../../db/queries/identity.ts";
import { assertTransition } from "../health/states.ts";
import { recordConnectionChange } from "../events/connection.ts";
import type { ConnectionState } from "../vocabulary.ts";

export interface LapseReport {
  /** Connections moved out of reconnect_pending because their link lapsed unused. */
  lapsed: number;
  /** Sealed one-click-retry keys past their ten minutes, wiped. */
  retryKeysWiped: number;
  /** Keys of another account whose "Is that your practice?" went unanswered for an hour, wiped (0026). */
  accountQuestionsExpired: number;
}

/** How long a key of another account waits for the clinic admin's answer. */
const ACCOUNT_QUESTION_TTL_MS = 60 * 60_000;

/**
 * Housekeeping for reconnect links, run by every probe sweep:
 * - a connection waiting in reconnect_pending whose link expired or was withdrawn without a key
 *   being accepted goes back to action_required (or healthy, if nothing was wrong), so it returns
 *   to the triage queue instead of waiting forever;
 * - a sealed retry key kept for the wrong-region one-click retry is wiped once its window passed;
 * - a key of another account whose question went unanswered for an hour is wiped (a "yes" that
 *   holds it for support is kept until support decides).
 */
export async function expireLapsedReconnects({ now = new Date() }: { now?: Date } = {}, db: Db): Promise<LapseReport> {
  const retryKeysWiped = await wipeExpiredRetryKeys({ now }, db);
  const accountQuestionsExpired = await expireUnansweredAccountChanges({ before: new Date(now.getTime() - ACCOUNT_QUESTION_TTL_MS), now }, db);

  const waiting = await listLapsedReconnects({ now }, db);
  let lapsed = 0;
  for (const c of waiting) {
    const to: ConnectionState = c.failureCode ? "action_required" : "healthy";
    assertTransition("reconnect_pending", to);
    const moved = await db.transaction(async (tx) => {
      if (!(await leaveReconnectPending({ connectionId: c.id, to, now }, tx))) return false;
      await recordConnectionChange(tx, c.id, {
        from: { state: "reconnect_pending", failureCode: c.failureCode },
        to: { state: to, failureCode: c.failureCode },
        now,
      });
      await insertConnectionEvents(
        [
          {
            connectionId: c.id,
            clinicId: c.clinicId,
            kind: "state_changed",
            fromState: "reconnect_pending",
            toState: to,
            failureCode: c.failureCode,
            actor: "system",
            message: "The reconnect link lapsed without a new key; back to the triage queue",
          },
        ],
        tx,
      );
      await recordAudit({ actorLabel: "system", action: "reconnect.lapsed", clinicId: c.clinicId, details: { connectionId: c.id, to } }, tx);
      return true;
    });
    if (moved) lapsed++;
  }
  return { lapsed, retryKeysWiped, accountQuestionsExpired };
}
