import type { DbOrTx } from "../../db/client.ts";
import { recordProbeTick } from "../../db/queries/probe-history.ts";
import type { ConnectionState, FailureCode } from "../vocabulary.ts";

/**
 * The live check a key entry just made (add clinic, reconnect link, support, a confirmed account
 * change), as the probe strip's newest point — the strip shows it, not "no probes yet" (issue 11).
 */
export function recordKeyCheck(
  { connectionId, accepted, now }: { connectionId: string; accepted: { patch: { failureCode: FailureCode | null }; nextState: ConnectionState }; now: Date },
  tx: DbOrTx,
) {
  return recordProbeTick(
    { connectionId, at: now, ok: true, failureCode: accepted.patch.failureCode, state: accepted.nextState, httpStatus: null, ms: null, kind: "key_check" },
    tx,
  );
}
