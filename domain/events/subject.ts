import type { DbOrTx } from "../../db/client.ts";
import { getEventSubjects, type EventSubject } from "../../db/queries/events.ts";
import { TAXONOMY } from "../health/taxonomy.ts";
import type { FailureCode } from "../vocabulary.ts";
import type { EventData } from "./catalog.ts";

export type { EventSubject };

/** A failure code as events carry it: the code with its support-facing title and summary; null for none. */
export function eventFailure(code: FailureCode | null): EventData<"connection.state_changed">["failure"] {
  if (code === null) return null;
  const info = TAXONOMY[code];
  return { code, title: info.title, summary: info.supportMessage };
}

/** The clinic and vendor of one connection, read in the caller's transaction. */
export async function loadEventSubject(connectionId: string, tx: DbOrTx): Promise<EventSubject> {
  const subject = (await getEventSubjects({ connectionIds: [connectionId] }, tx)).get(connectionId);
  if (!subject) throw new Error(`connection ${connectionId} not found for its event`);
  return subject;
}

/** The subject's fields every connection-scoped payload starts with. */
export function subjectFields(s: EventSubject) {
  return { clinicId: s.clinicId, clinicName: s.clinicName, connectionId: s.connectionId, vendor: s.vendor };
}
