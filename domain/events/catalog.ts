import { z } from "zod";
import { ALERT_KINDS, CONNECTION_STATES, EVENT_TYPES, type EventType, FAILURE_CODES, SYNC_RESOURCES, SYNC_TRIGGERS, VENDORS } from "../vocabulary.ts";

/**
 * The event catalog (docs/events.md, docs/decisions/0045-events.md): each type's payload schema and
 * the envelope every consumer receives, from GET /api/v1/events and from webhooks alike. Payloads
 * are strict objects: an unexpected field (a key, a token, a reconnect URL) is refused at write.
 * These schemas are the one source of docs/events.md's JSON Schemas (scripts/events-schema.ts).
 */

export { EVENT_TYPES, type EventType };

/** How long events stay readable from GET /api/v1/events; the maintenance sweep drops older ones. */
export const EVENT_RETENTION_DAYS = 30;

const clinicId = z.uuid().meta({ description: "The clinic's id in Relink" });
const clinicName = z.string().meta({ description: "The clinic's name as shown in the console" });
const connectionId = z.uuid().meta({ description: "The connection's id in Relink (one clinic's link to one vendor)" });
const vendor = z.enum(VENDORS).meta({ description: "The practice-management system: cliniko or nookal" });
const state = z.enum(CONNECTION_STATES);
const instant = z.iso.datetime({ offset: true });

const FailureSchema = z
  .strictObject({
    code: z.enum(FAILURE_CODES).meta({ description: "Stable failure code (GET /api/v1/failure-codes lists them all)" }),
    title: z.string().meta({ description: "The failure code's short title" }),
    summary: z.string().meta({ description: "What it means and what support does, in words support can act on" }),
  })
  .meta({ id: "EventFailure", description: "Why a connection is failing, as support sees it" });

const ConnectionStateChangedSchema = z
  .strictObject({
    clinicId,
    clinicName,
    connectionId,
    vendor,
    from: state.meta({ description: "The state before" }),
    to: state.meta({ description: "The state now" }),
    failure: FailureSchema.nullable().meta({ description: "The current failure, null when the connection is not failing" }),
  })
  .meta({ id: "ConnectionStateChangedData", description: "A connection moved from one state to another (never emitted when the state did not change)" });

const ConnectionRecoveredSchema = z
  .strictObject({
    clinicId,
    clinicName,
    connectionId,
    vendor,
    recoveredFrom: state.meta({ description: "The broken state the connection left for healthy" }),
    failure: FailureSchema.nullable().meta({ description: "The failure it recovered from, when one was recorded" }),
    brokenSince: instant.meta({ description: "When the connection stopped being healthy" }),
    brokenForSeconds: z.number().int().nonnegative().meta({ description: "How long it was broken, in whole seconds" }),
  })
  .meta({ id: "ConnectionRecoveredData", description: "A broken connection is healthy again" });

const alertId = z.uuid().meta({ description: "The alert's id (GET /api/v1/alerts)" });
const alertKind = z.enum(ALERT_KINDS).meta({ description: "What the alert is about" });

const AlertOpenedSchema = z
  .strictObject({
    alertId,
    kind: alertKind,
    clinicId,
    clinicName,
    connectionId,
    vendor,
    reopenedFromId: z.uuid().nullable().meta({ description: "The resolved alert this one recurs after, null on a first opening" }),
    failure: FailureSchema.nullable().meta({ description: "The connection's failure when the alert opened, if any" }),
  })
  .meta({ id: "AlertOpenedData", description: "An alert opened, or reopened after having been resolved" });

const AlertResolvedSchema = z
  .strictObject({
    alertId,
    kind: alertKind,
    clinicId,
    clinicName,
    connectionId,
    vendor,
    openedAt: instant.meta({ description: "When the alert's condition was first seen" }),
    reason: z.enum(["recovered", "cleared", "clinic_archived"]).meta({
      description:
        "recovered: the connection works again; cleared: the condition ended otherwise (a new key stored, the held briefing went out or was skipped, the account change decided); clinic_archived: support archived the clinic",
    }),
  })
  .meta({ id: "AlertResolvedData", description: "An alert was resolved" });

const SyncFailedSchema = z
  .strictObject({
    syncRunId: z.uuid().meta({ description: "The sync run that failed" }),
    clinicId,
    clinicName,
    connectionId,
    vendor,
    trigger: z.enum(SYNC_TRIGGERS).meta({ description: "What started the run: schedule, manual or bulk" }),
    resource: z.enum(SYNC_RESOURCES).nullable().meta({ description: "The resource being read when it failed, if known" }),
    failure: FailureSchema.nullable().meta({ description: "The failure code, when the failure was classified" }),
  })
  .meta({ id: "SyncFailedData", description: "A sync run of a connection failed" });

const weekStart = z.iso.date().meta({ description: "The local Monday of the briefed week (the clinic's time zone)" });

const BriefingHeldSchema = z
  .strictObject({
    clinicId,
    clinicName,
    connectionId,
    vendor,
    weekStart,
    reason: z.string().meta({ description: "Why the briefing is held, in words support can act on" }),
  })
  .meta({ id: "BriefingHeldData", description: "A clinic's weekly briefing is held back (once per clinic and week)" });

const BriefingSentSchema = z
  .strictObject({
    clinicId,
    clinicName,
    connectionId,
    vendor,
    weekStart,
    late: z.boolean().meta({ description: "Sent after having been held, or well after its due time" }),
    recipientCount: z.number().int().positive().meta({ description: "How many addresses it was sent to" }),
  })
  .meta({ id: "BriefingSentData", description: "A clinic's weekly briefing was sent" });

const incidentFields = {
  incidentId: z.uuid().meta({ description: "The vendor incident's id (the console's /incidents/:id)" }),
  vendor,
  region: z.string().meta({ description: "The Cliniko shard (au1, uk2…) or Nookal region (au, eu, us) that is failing" }),
  openedAt: instant.meta({ description: "When the incident opened" }),
  affected: z.number().int().nonnegative().meta({ description: "Connections of the region failing transiently now (5xx, timeout, maintenance page, network)" }),
  connections: z.number().int().nonnegative().meta({ description: "Connections Relink probes in the region" }),
};
const IncidentOpenedSchema = z
  .strictObject({
    ...incidentFields,
    failureCode: z.enum(FAILURE_CODES).meta({ description: "How the probe that opened it failed" }),
    httpStatus: z.number().int().nullable().meta({ description: "The vendor's HTTP status, when it answered" }),
  })
  .meta({
    id: "IncidentOpenedData",
    description: "A vendor region is failing for many clinics at once; their degraded alerts are grouped under it and their admins are not emailed",
  });
const IncidentUpdatedSchema = z
  .strictObject({ ...incidentFields, peakAffected: z.number().int().nonnegative().meta({ description: "The most connections failing at once so far" }) })
  .meta({ id: "IncidentUpdatedData", description: "An open incident's count changed (sent at most every INCIDENT_UPDATE_MINUTES)" });
const IncidentResolvedSchema = z
  .strictObject({
    ...incidentFields,
    resolvedAt: instant.meta({ description: "When it resolved" }),
    durationSeconds: z.number().int().nonnegative().meta({ description: "How long it lasted, in whole seconds" }),
    peakAffected: z.number().int().nonnegative().meta({ description: "The most connections failing at once" }),
    recovered: z.number().int().nonnegative().meta({ description: "Connections that recovered while it was open" }),
  })
  .meta({ id: "IncidentResolvedData", description: "The vendor region works again; a clinic still failing now gets its own alert as usual" });

/** Each event type's `data` schema. */
export const EVENT_DATA_SCHEMAS = {
  "connection.state_changed": ConnectionStateChangedSchema,
  "connection.recovered": ConnectionRecoveredSchema,
  "alert.opened": AlertOpenedSchema,
  "alert.resolved": AlertResolvedSchema,
  "sync.failed": SyncFailedSchema,
  "briefing.held": BriefingHeldSchema,
  "briefing.sent": BriefingSentSchema,
  "incident.opened": IncidentOpenedSchema,
  "incident.updated": IncidentUpdatedSchema,
  "incident.resolved": IncidentResolvedSchema,
} as const satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;

/** The envelope's members, whatever the type: every event's `data` is its type's schema below. */
export const EventEnvelopeBaseSchema = z
  .strictObject({
    id: z.uuid().meta({ description: "The event's id: the same in every delivery and in GET /api/v1/events (deduplicate on it)" }),
    type: z.enum(EVENT_TYPES).meta({ description: "The event type: says which schema `data` follows" }),
    timestamp: instant.meta({ description: "When the event occurred (its cause's transaction)" }),
    data: z.record(z.string(), z.unknown()).meta({ description: "The type's payload" }),
  })
  .meta({ id: "EventEnvelope", description: "Every event: its id, type, when it occurred, and the type's data" });

function envelopeOf<T extends EventType>(type: T) {
  return EventEnvelopeBaseSchema.extend({ type: z.literal(type), data: EVENT_DATA_SCHEMAS[type] }).meta({ id: `Event_${type.replace(".", "_")}` });
}

/**
 * The envelope of every event, discriminated by `type`: the Standard Webhooks payload shape
 * (`type`, `timestamp`, `data`) with the event's `id`. Webhooks send exactly this as their body.
 */
export const EventEnvelopeSchema = z
  .discriminatedUnion(
    "type",
    EVENT_TYPES.map((t) => envelopeOf(t)) as unknown as [ReturnType<typeof envelopeOf<EventType>>, ...ReturnType<typeof envelopeOf<EventType>>[]],
  )
  .meta({ id: "Event", description: "An event: its id, type, when it occurred, and the type's data" });

export type EventEnvelope = { [T in EventType]: { id: string; type: T; timestamp: string; data: EventData<T> } }[EventType];

/** A stored event as its envelope. */
export function eventEnvelope(row: { id: string; type: EventType; occurredAt: Date; data: Record<string, unknown> }): EventEnvelope {
  return { id: row.id, type: row.type, timestamp: row.occurredAt.toISOString(), data: row.data } as EventEnvelope;
}
