import type { DbOrTx } from "../db/client.ts";
import { sql } from "drizzle-orm";
import { fromDrizzle } from "pg-boss";
import { QUEUES } from "../workers/catalog.ts";
import type { Services } from "./services.server.ts";

const PROBE = QUEUES.probe;

/**
 * Enqueues a first probe for each new connection on the caller's transaction, so the jobs exist
 * exactly when the connections do (an import that rolls back leaves no jobs behind).
 * singletonKey = connection id, like the sweep, so the stately queue never stacks two.
 */
export function enqueueSetupProbes(services: Services) {
  return async (connectionIds: string[], tx: DbOrTx): Promise<void> => {
    if (connectionIds.length === 0) return;
    await services.boss.insert(
      PROBE.name,
      connectionIds.map((id) => ({ data: PROBE.schema.parse({ connectionId: id, reason: "setup" }), singletonKey: id })),
      { db: fromDrizzle(tx, sql) },
    );
  };
}
