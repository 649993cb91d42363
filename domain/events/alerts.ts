import type { DbOrTx } from "../../db/client.ts";
import { getEventSubjects } from "../../db/queries/events.ts";
import type { AlertRow } from "../../db/queries/alerts.ts";
import type { EventData } from "./catalog.ts";
import { recordEvents, type NewEvent } from "./record.ts";
import { eventFailure, subjectFields } from "./subject.ts";

/**
 * Records `alert.opened` for alerts just inserted (a first opening or a recurrence; muted or not: a
 * mute silences messages, not the record) and `alert.resolved` for alerts just resolved, on the
 * transaction that wrote them. Repeats of an open alert record nothing.
 */
export async function recordAlertEvents(
  tx: DbOrTx,
  { opened = [], resolved = [], reason }: { opened?: readonly AlertRow[]; resolved?: readonly AlertRow[]; reason: EventData<"alert.resolved">["reason"] },
): Promise<void> {
  if (opened.length === 0 && resolved.length === 0) return;
  const subjects = await getEventSubjects({ connectionIds: [...opened, ...resolved].map((a) => a.connectionId) }, tx);
  const subjectOf = (a: AlertRow) => {
    const s = subjects.get(a.connectionId);
    if (!s) throw new Error(`connection ${a.connectionId} not found for alert ${a.id}'s event`);
    return subjectFields(s);
  };
  const events: NewEvent[] = [
    ...opened.map((a): NewEvent => ({
      type: "alert.opened",
      clinicId: a.clinicId,
      connectionId: a.connectionId,
      data: { alertId: a.id, kind: a.kind, ...subjectOf(a), reopenedFromId: a.reopenedFromId, failure: eventFailure(a.packet.failureCode ?? null) },
    })),
    ...resolved.map((a): NewEvent => ({
      type: "alert.resolved",
      clinicId: a.clinicId,
      connectionId: a.connectionId,
      data: { alertId: a.id, kind: a.kind, ...subjectOf(a), openedAt: a.firstSeenAt.toISOString(), reason },
    })),
  ];
  await recordEvents(tx, events);
}
