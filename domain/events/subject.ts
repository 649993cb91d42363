import type { EventSubject } from "../../db/queries/events.ts";
import { TAXONOMY } from "../health/taxonomy.ts";
import type { FailureCode } from "../vocabulary.ts";
import type { EventData } from "./catalog.ts";

export type { EventSubject };

/** A failure code as events carry it: the code with its support-facing title and summary; null for none. */
export function eventFailure(code: FailureCode | null): EventData<"connection.state_changed">["failure"] {
  // why: a packet stored before a code was renamed may carry one the taxonomy no longer knows
  const info = code === null ? undefined : TAXONOMY[code];
  if (!code || !info) return null;
  return { code, title: info.title, summary: info.supportMessage };
}

/** The subject's fields every connection-scoped payload starts with. */
export function subjectFields(s: EventSubject) {
  return { clinicId: s.clinicId, clinicName: s.clinicName, connectionId: s.connectionId, vendor: s.vendor };
}
