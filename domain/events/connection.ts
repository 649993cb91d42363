import type { DbOrTx } from "../../db/client.ts";
import type { ConnectionState, FailureCode } from "../vocabulary.ts";
import { recordEvents, type NewEvent } from "./record.ts";
import { getEventSubjects } from "../../db/queries/events.ts";
import { eventFailure, subjectFields, type EventSubject } from "./subject.ts";

/** A connection's state before and after one write, as the writer read and decided it. */
export interface ConnectionChange {
  from: { state: ConnectionState; failureCode: FailureCode | null };
  to: { state: ConnectionState; failureCode: FailureCode | null };
  /**
   * Set when the write is a recovery (acceptWorkingKey's `recovered`: a working key after a failure):
   * when the connection stopped being healthy — its first failure, else when it entered the state it
   * recovers from.
   */
  recovery?: { brokenSince: Date } | null;
  now: Date;
}

/**
 * The events one connection write causes: `connection.state_changed` when the state changed (never
 * otherwise), then `connection.recovered` when it was a recovery. Pure; recordConnectionChange writes them.
 */
export function connectionChangeEvents(subject: EventSubject, change: ConnectionChange): NewEvent[] {
  const about = { clinicId: subject.clinicId, connectionId: subject.connectionId };
  const events: NewEvent[] = [];
  if (change.from.state !== change.to.state) {
    events.push({
      type: "connection.state_changed",
      ...about,
      data: { ...subjectFields(subject), from: change.from.state, to: change.to.state, failure: eventFailure(change.to.failureCode) },
    });
  }
  if (change.recovery) {
    const since = change.recovery.brokenSince;
    events.push({
      type: "connection.recovered",
      ...about,
      data: {
        ...subjectFields(subject),
        recoveredFrom: change.from.state,
        failure: eventFailure(change.from.failureCode === "integration_paused" ? null : change.from.failureCode),
        brokenSince: since.toISOString(),
        brokenForSeconds: Math.max(0, Math.floor((change.now.getTime() - since.getTime()) / 1000)),
      },
    });
  }
  return events;
}

/** When a connection read as `c` stopped being healthy: its first failure, else when it entered its state. */
export function brokenSince(c: { firstFailureAt: Date | null; stateChangedAt: Date | null }, now: Date): Date {
  return c.firstFailureAt ?? c.stateChangedAt ?? now;
}

/** One connection's change, named. */
export type ConnectionChangeOf = ConnectionChange & { connectionId: string };

/**
 * Records the events of connection writes on the writer's transaction (docs/decisions/0045-events.md),
 * with one read of their clinics for the lot. Costs nothing when no write changed a state or recovered
 * (the common probe).
 */
export async function recordConnectionChanges(tx: DbOrTx, changes: readonly ConnectionChangeOf[]): Promise<void> {
  const eventful = changes.filter((c) => c.from.state !== c.to.state || c.recovery);
  if (eventful.length === 0) return;
  const subjects = await getEventSubjects({ connectionIds: eventful.map((c) => c.connectionId) }, tx);
  const events = eventful.flatMap((c) => {
    const subject = subjects.get(c.connectionId);
    if (!subject) throw new Error(`connection ${c.connectionId} not found for its event`);
    return connectionChangeEvents(subject, c);
  });
  await recordEvents(tx, events);
}

/** recordConnectionChanges for one write. */
export async function recordConnectionChange(tx: DbOrTx, connectionId: string, change: ConnectionChange): Promise<void> {
  await recordConnectionChanges(tx, [{ ...change, connectionId }]);
}
