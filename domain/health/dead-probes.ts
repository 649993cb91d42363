import type { DbOrTx } from "../../db/client.ts";
import { countDeadProbes, insertDeadProbeEvent } from "../../db/queries/connections.ts";

/**
 * A probe job that exhausted its retries (the worker crashed on it, not a vendor failure, which a
 * probe records itself) is made visible: a timeline row on the clinic, and a count for the
 * dashboard and /healthz.
 */
export async function recordDeadProbe(
  { connectionId, probeId, reason }: { connectionId: string; probeId: string; reason: string },
  db: DbOrTx,
): Promise<boolean> {
  return insertDeadProbeEvent(
    {
      connectionId,
      probeId,
      message:
        "A probe gave up after its retries: the worker could not finish it, so this connection's state is not current. Engineering: check the worker logs.",
      details: { reason },
    },
    db,
  );
}

const DEAD_PROBE_WINDOW_HOURS = 24;

/** Dead probes in the last 24 hours. */
export function deadProbesLastDay(db: DbOrTx, now = new Date()): Promise<number> {
  return countDeadProbes({ since: new Date(now.getTime() - DEAD_PROBE_WINDOW_HOURS * 3_600_000) }, db);
}
