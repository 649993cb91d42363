import { z } from "zod";
import { listEventsAfter } from "../../../db/queries/events.ts";
import { EVENT_TYPES, EventEnvelopeSchema, eventEnvelope } from "../../../domain/events/catalog.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import { cursorParam, encodeCursor, LimitParam } from "./shared.server.ts";

/**
 * The event stream (docs/events.md, docs/decisions/0045-events.md): what webhooks deliver, readable
 * in order so a consumer that missed deliveries catches up. The cursor is the last event's stream
 * position (transaction id, sequence); the query never returns an event a still-open transaction
 * could be followed by, so a stored `next` never skips one committed later.
 */

const TXID_SHAPE = /^\d{1,20}$/;
const SEQ_SHAPE = /^\d{1,19}$/;

const EventType = z.enum(EVENT_TYPES);

export const listEventsEndpoint = defineEndpoint({
  operationId: "listEvents",
  method: "get",
  path: "/events",
  summary: "List events",
  description:
    "Events oldest first, from the oldest retained (30 days) or after `after`. `next` is the position after the last event returned: store it and pass it as `after` on the next call. " +
    "On a page with no events `next` is the `after` you sent (null when you sent none), so a poller always has a position to keep. An event appears only once the transaction that caused it has committed, and never behind a position already handed out.",
  tags: ["Events"],
  scope: "read",
  query: z.strictObject({
    after: cursorParam(TXID_SHAPE, SEQ_SHAPE).meta({ description: "`next` from the previous call; omit to start from the oldest retained event" }),
    type: z
      .union([EventType.transform((t) => [t]), z.array(EventType).max(EVENT_TYPES.length)])
      .optional()
      .meta({ description: "Only these event types; repeat the parameter for several (`?type=alert.opened&type=alert.resolved`)" }),
    clinicId: z.uuid().optional().meta({ description: "Only this clinic's events" }),
    limit: LimitParam.default(100).meta({ description: "Events per page, 1–200 (default 100)" }),
  }),
  responses: {
    200: {
      description: "One page of events, and the position to continue from",
      schema: z.object({
        data: z.array(EventEnvelopeSchema),
        next: z.string().nullable().meta({ description: "Pass as `after` next time; null only when no `after` was sent and there is no event yet" }),
      }),
    },
  },
  errors: [400],
  async handle({ query, services }) {
    const after = query.after ? { txid: query.after[0]!, seq: query.after[1]! } : null;
    const rows = await listEventsAfter({ after, types: query.type, clinicId: query.clinicId, limit: query.limit }, services.db);
    const last = rows.at(-1);
    const next = last ? encodeCursor([last.position.txid, last.position.seq]) : after ? encodeCursor([after.txid, after.seq]) : null;
    return { status: 200, body: { data: rows.map(eventEnvelope), next } };
  },
});
