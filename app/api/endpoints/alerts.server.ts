import { z } from "zod";
import { listAlertsAfter } from "../../../db/queries/alert-inbox.ts";
import { acknowledgeAlert } from "../../../domain/alerts/manage.ts";
import { DomainError } from "../../../domain/errors.ts";
import { ALERT_KINDS, ALERT_STATUSES, CONNECTION_STATES, FAILURE_CODES, VENDORS } from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import { cursorParam, encodeCursor, Instant, iso, LimitParam, UUID_SHAPE } from "./shared.server.ts";

/** The alerts inbox and its acknowledge (docs/decisions/0044-api-endpoints.md), over the console's own query and domain function. */

const AlertSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(ALERT_KINDS),
    status: z.enum(ALERT_STATUSES),
    count: z.number().int().meta({ description: "How many times the condition was seen while unresolved" }),
    firstSeenAt: Instant,
    lastSeenAt: Instant,
    acknowledgedAt: Instant.nullable(),
    acknowledgedBy: z.string().nullable().meta({ description: "The email of who acknowledged it" }),
    mutedUntil: Instant.nullable(),
    resolvedAt: Instant.nullable(),
    clinic: z.object({ id: z.uuid(), name: z.string() }),
    connection: z.object({ vendor: z.enum(VENDORS), state: z.enum(CONNECTION_STATES), failureCode: z.enum(FAILURE_CODES).nullable() }),
  })
  .meta({ id: "Alert" });

type AlertRow = Awaited<ReturnType<typeof listAlertsAfter>>["rows"][number];

function alertView(a: AlertRow): z.infer<typeof AlertSchema> {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    count: a.count,
    firstSeenAt: a.firstSeenAt.toISOString(),
    lastSeenAt: a.lastSeenAt.toISOString(),
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedByEmail,
    mutedUntil: iso(a.mutedUntil),
    resolvedAt: iso(a.resolvedAt),
    clinic: { id: a.clinicId, name: a.clinicName },
    connection: { vendor: a.vendor, state: a.state, failureCode: a.failureCode },
  };
}

export const listAlertsEndpoint = defineEndpoint({
  operationId: "listAlerts",
  method: "get",
  path: "/alerts",
  summary: "List alerts",
  description:
    "The console's alert inbox. `status` is one of the inbox's tabs, or `unresolved` (the default: open, acknowledged and muted). Unresolved alerts come oldest first, resolved ones newest first; pass `next` as `cursor` for the following page.",
  tags: ["Alerts"],
  scope: "read",
  query: z.strictObject({
    status: z
      .enum([...ALERT_STATUSES, "unresolved"])
      .default("unresolved")
      .meta({ description: "open, acknowledged, muted, resolved, or unresolved (the first three)" }),
    clinic: z.uuid().optional().meta({ description: "Only this clinic's alerts" }),
    kind: z.enum(ALERT_KINDS).optional(),
    cursor: cursorParam(UUID_SHAPE),
    limit: LimitParam,
  }),
  responses: { 200: { description: "One page of alerts", schema: z.object({ data: z.array(AlertSchema), next: z.string().nullable() }) } },
  errors: [400],
  async handle({ query, services }) {
    const { rows, more } = await listAlertsAfter(
      { status: query.status, clinicId: query.clinic, kind: query.kind, after: query.cursor?.[0] ?? null, limit: query.limit },
      services.db,
    );
    const last = rows.at(-1);
    return { status: 200, body: { data: rows.map(alertView), next: more && last ? encodeCursor([last.id]) : null } };
  },
});

export const acknowledgeAlertEndpoint = defineEndpoint({
  operationId: "acknowledgeAlert",
  method: "post",
  path: "/alerts/{alertId}/acknowledge",
  summary: "Acknowledge an alert",
  description: "Someone is on it: ends a mute, and the alert stays until the condition clears. A resolved alert is history: 404.",
  tags: ["Alerts"],
  scope: "write",
  params: z.strictObject({ alertId: z.uuid().meta({ description: "The alert's id" }) }),
  responses: { 200: { description: "The acknowledged alert", schema: AlertSchema } },
  errors: [404],
  async handle({ params, caller, services }) {
    const row = await acknowledgeAlert({ alertId: params.alertId, actor: caller.actor }, services.db);
    if (!row) throw new DomainError(404, "No unresolved alert has that id (it may have just been resolved).", { code: "alert_not_found" });
    // why read back through the list's query: the answer has the same shape as GET /alerts
    const [seen] = (await listAlertsAfter({ status: "unresolved", alertId: row.id, after: null, limit: 1 }, services.db)).rows;
    if (!seen) throw new DomainError(404, "No unresolved alert has that id (it may have just been resolved).", { code: "alert_not_found" });
    return { status: 200, body: alertView(seen) };
  },
});
