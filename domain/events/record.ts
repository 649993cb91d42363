import { insertEvents } from "../../db/queries/events.ts";
import type { DbOrTx } from "../../db/client.ts";
import { EVENT_DATA_SCHEMAS, type EventData, type EventType } from "./catalog.ts";

/** One event to record: its type, the clinic and connection it is about, and the type's data. */
export type NewEvent = {
  [T in EventType]: { type: T; clinicId?: string | null; connectionId?: string | null; data: EventData<T> };
}[EventType];

/**
 * Records events on the cause's own transaction `tx`, so an event exists exactly when its cause
 * committed (docs/decisions/0045-events.md). Each payload is checked against its type's schema first:
 * a payload that does not match is a programming error, and throwing rolls the cause back with it.
 */
export async function recordEvents(tx: DbOrTx, events: readonly NewEvent[]): Promise<{ id: string }[]> {
  const rows = events.map((e) => {
    const parsed = EVENT_DATA_SCHEMAS[e.type].safeParse(e.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(data)"}: ${i.message}`).join("; ");
      throw new Error(`event ${e.type} has an invalid payload: ${issues}`);
    }
    return { type: e.type, clinicId: e.clinicId ?? null, connectionId: e.connectionId ?? null, data: parsed.data as Record<string, unknown> };
  });
  return insertEvents(rows, tx);
}
