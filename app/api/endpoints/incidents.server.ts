import { z } from "zod";
import { getIncident, listIncidentsPage, listIncidentTimeline, type IncidentWithCounts } from "../../../db/queries/incidents.ts";
import { DomainError } from "../../../domain/errors.ts";
import { FAILURE_CODES, INCIDENT_TIMELINE_KINDS, VENDORS } from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import { cursorParam, encodeCursor, Instant, iso, LimitParam, UUID_SHAPE } from "./shared.server.ts";

/** Vendor incidents (docs/decisions/0049-vendor-incidents.md): what the console's /incidents page shows, for automation. */

const ISO_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

const IncidentSchema = z
  .object({
    id: z.uuid(),
    vendor: z.enum(VENDORS),
    region: z.string().meta({ description: "Cliniko shard (au1, uk2…) or Nookal region (au, eu, us)" }),
    status: z.enum(["open", "resolved"]),
    openedAt: Instant,
    resolvedAt: Instant.nullable(),
    firstEvidence: z.object({
      failureCode: z.enum(FAILURE_CODES),
      httpStatus: z.number().int().nullable(),
      vendorMessage: z.string().nullable().meta({ description: "What the vendor said, verbatim and cut short (never a key)" }),
      at: Instant,
    }),
    fleetSize: z.number().int().meta({ description: "Connections probed in the region when it opened" }),
    affectedAtOpen: z.number().int(),
    peakAffected: z.number().int(),
    peakAt: Instant,
    recovered: z.number().int().meta({ description: "Connections that recovered while it was open" }),
    affected: z.number().int().nullable().meta({ description: "Failing now (open) or still failing when it resolved; null when unknown" }),
    connections: z.number().int().meta({ description: "Connections probed in the region now" }),
  })
  .meta({ id: "VendorIncident" });

function incidentView({ incident: i, connections, failing }: IncidentWithCounts): z.infer<typeof IncidentSchema> {
  return {
    id: i.id,
    vendor: i.vendor,
    region: i.region,
    status: i.resolvedAt ? "resolved" : "open",
    openedAt: i.openedAt.toISOString(),
    resolvedAt: iso(i.resolvedAt),
    firstEvidence: {
      failureCode: i.firstEvidence.failureCode,
      httpStatus: i.firstEvidence.httpStatus,
      vendorMessage: i.firstEvidence.vendorMessage,
      at: new Date(i.firstEvidence.at).toISOString(),
    },
    fleetSize: i.fleetSize,
    affectedAtOpen: i.affectedAtOpen,
    peakAffected: i.peakAffected,
    peakAt: i.peakAt.toISOString(),
    recovered: i.recovered,
    affected: i.resolvedAt ? i.affectedAtResolve : failing,
    connections,
  };
}

export const listIncidentsEndpoint = defineEndpoint({
  operationId: "listIncidents",
  method: "get",
  path: "/incidents",
  summary: "List vendor incidents",
  description:
    "One incident per Cliniko shard or Nookal region failing for many clinics at once, newest first. `status` narrows to open or resolved ones; pass `next` as `cursor` for the following page. The same moments arrive as `incident.*` events.",
  tags: ["Incidents"],
  scope: "read",
  query: z.strictObject({
    status: z.enum(["open", "resolved", "all"]).default("all").meta({ description: "open, resolved, or all (the default)" }),
    cursor: cursorParam(ISO_SHAPE, UUID_SHAPE),
    limit: LimitParam,
  }),
  responses: { 200: { description: "One page of incidents", schema: z.object({ data: z.array(IncidentSchema), next: z.string().nullable() }) } },
  errors: [400],
  async handle({ query, services }) {
    const after = query.cursor ? { openedAt: new Date(query.cursor[0]!), id: query.cursor[1]! } : null;
    const { rows, more } = await listIncidentsPage({ status: query.status, after, limit: query.limit }, services.db);
    const last = rows.at(-1);
    return {
      status: 200,
      body: {
        data: rows.map(incidentView),
        next: more && last ? encodeCursor([last.incident.openedAt.toISOString(), last.incident.id]) : null,
      },
    };
  },
});

const TimelineEntrySchema = z
  .object({
    at: Instant,
    kind: z.enum(INCIDENT_TIMELINE_KINDS),
    affected: z.number().int(),
    connections: z.number().int(),
    message: z.string(),
  })
  .meta({ id: "VendorIncidentTimelineEntry" });

export const getIncidentEndpoint = defineEndpoint({
  operationId: "getIncident",
  method: "get",
  path: "/incidents/{incidentId}",
  summary: "Get a vendor incident with its timeline",
  description: "The incident, and its timeline: opened, each update sent to support, resolved.",
  tags: ["Incidents"],
  scope: "read",
  params: z.strictObject({ incidentId: z.uuid().meta({ description: "The incident's id" }) }),
  responses: { 200: { description: "The incident", schema: IncidentSchema.extend({ timeline: z.array(TimelineEntrySchema) }) } },
  errors: [404],
  async handle({ params, services }) {
    const found = await getIncident({ id: params.incidentId }, services.db);
    if (!found) throw new DomainError(404, "No vendor incident has that id.", { code: "incident_not_found" });
    const timeline = await listIncidentTimeline({ incidentId: found.incident.id }, services.db);
    return {
      status: 200,
      body: {
        ...incidentView(found),
        timeline: timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, affected: e.affected, connections: e.connections, message: e.message })),
      },
    };
  },
});
