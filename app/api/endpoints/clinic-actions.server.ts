import { z } from "zod";
import { publicUrl } from "../../../config/runtime.ts";
import { loadClinicTimeline } from "../../../domain/clinics/clinic-page.ts";
import { createClinicReconnectLink } from "../../../domain/clinics/clinic-workflows.ts";
import { probeThroughQueue, ReconnectPurposeSchema } from "../../../domain/clinics/live.ts";
import { enterKeyForClinic } from "../../../domain/clinics/support-key.ts";
import { requestSync } from "../../../domain/sync/sync-card.ts";
import { CONNECTION_STATES, FAILURE_CODES, NOOKAL_REGIONS } from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import {
  activeClinic,
  asApi,
  ClinicParams,
  cursorParam,
  encodeCursor,
  Instant,
  KeyRefusedProblemSchema,
  LimitParam,
  LocationHeaders,
  refusedKey,
} from "./shared.server.ts";

/**
 * What an agent does to one clinic from its page, as API calls (docs/decisions/0044-api-endpoints.md):
 * replace the key, probe, reconnect link, sync now, and the timeline. Each is the clinic page's own
 * domain call with the token's actor, so the timeline and audit read the same.
 */

const ReplaceKeyBody = z.strictObject({
  apiKey: z.string().trim().min(1).max(2000).meta({ description: "The clinic's new API key; verified live before anything changes, never echoed" }),
  region: z.enum(NOOKAL_REGIONS).optional().meta({ description: "Nookal only; default the stored region" }),
});

export const replaceKeyEndpoint = defineEndpoint({
  operationId: "replaceClinicKey",
  method: "put",
  path: "/clinics/{clinicId}/key",
  summary: "Replace the clinic's API key",
  description:
    "The key is verified live first; a refused key changes nothing (422 with the verdict). A key of the same vendor account connects (200). A key of a different account is not connected but held for a person to confirm in the console, as the console does (202). A key another clinic uses is a 409.",
  tags: ["Clinics"],
  scope: "write",
  params: ClinicParams,
  body: ReplaceKeyBody,
  responses: {
    200: {
      description: "The key works and is stored",
      schema: z.object({
        result: z.literal("connected"),
        keyHint: z.string(),
        accountName: z.string().nullable(),
        visiblePatients: z.number().int(),
        worksAgainQueued: z.boolean().meta({ description: "A works-again message went to whoever was alerted" }),
      }),
    },
    202: {
      description: "The key belongs to a different vendor account: held until someone confirms the change in the console; nothing connected",
      schema: z.object({ result: z.literal("account_held"), accountName: z.string(), previousName: z.string() }),
    },
  },
  errors: [404, 409, 422],
  problems: {
    422: { description: "The body breaks its schema, or the vendor refused the key (code key_refused, with the verdict)", schema: KeyRefusedProblemSchema },
  },
  async handle({ params, body, caller, services, request }) {
    const { connection } = await activeClinic(params.clinicId, services.db);
    const entered = await asApi(
      () =>
        enterKeyForClinic(
          {
            target: {
              clinicId: params.clinicId,
              connectionId: connection.id,
              vendor: connection.vendor,
              region: connection.region,
              apiVersion: connection.apiVersion,
            },
            input: { key: body.apiKey, region: body.region },
            actor: caller.actor,
          },
          { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
        ),
      { key: "apiKey" },
    );
    if (entered.kind === "refused") return refusedKey(entered.verdict, new URL(request.url).pathname, "apiKey");
    if (entered.kind === "account_held")
      return { status: 202, body: { result: "account_held", accountName: entered.accountName, previousName: entered.previousName } };
    return {
      status: 200,
      body: {
        result: "connected",
        keyHint: entered.keyHint,
        accountName: entered.accountName,
        visiblePatients: entered.visiblePatients,
        worksAgainQueued: entered.worksAgainQueued,
      },
    };
  },
});

/** The most a probe request waits for its result (`Prefer: wait=N` asks for less). */
const PROBE_WAIT_MAX_SECONDS = 10;

/** RFC 7240 `Prefer: wait=N`, capped; the full wait without it. */
function preferredWaitMs(request: Request): number {
  const m = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(request.headers.get("Prefer") ?? "");
  return Math.min(m ? Number(m[1]) : PROBE_WAIT_MAX_SECONDS, PROBE_WAIT_MAX_SECONDS) * 1000;
}

export const probeClinicEndpoint = defineEndpoint({
  operationId: "probeClinic",
  method: "post",
  path: "/clinics/{clinicId}/probes",
  summary: "Probe the connection now",
  description: `Queues a probe (run by the worker like a scheduled one, alerts included) and waits up to ${PROBE_WAIT_MAX_SECONDS} s for it (\`Prefer: wait=N\` for less). 200 with the result when it finished in time; else 202 with a Location to poll (GET /clinics/{clinicId}: lastProbeAt moves when it has run).`,
  tags: ["Clinics"],
  scope: "write",
  params: ClinicParams,
  responses: {
    200: {
      description: "The probe finished",
      schema: z.object({
        status: z.literal("done"),
        state: z.enum(CONNECTION_STATES).nullable(),
        failureCode: z.enum(FAILURE_CODES).nullable(),
        probedAt: Instant,
      }),
    },
    202: {
      description: "Queued; not finished within the wait. Poll the Location.",
      schema: z.object({ status: z.literal("queued"), poll: z.string() }),
      headers: LocationHeaders.extend({ "Retry-After": z.string().meta({ description: "Seconds before polling makes sense" }) }),
    },
  },
  requestHeaders: z.object({
    Prefer: z
      .string()
      .optional()
      .meta({ description: `\`wait=N\` (RFC 7240): wait at most N seconds for the result, up to ${PROBE_WAIT_MAX_SECONDS}` }),
  }),
  errors: [404, 409],
  async handle({ params, caller, services, request }) {
    const { connection } = await activeClinic(params.clinicId, services.db);
    const result = await probeThroughQueue(
      { clinicId: params.clinicId, connectionId: connection.id, actor: caller.actor, waitMs: preferredWaitMs(request) },
      { db: services.db, probes: services.queues.probe },
    );
    const poll = `/api/v1/clinics/${params.clinicId}`;
    if (!result) return { status: 202, headers: { Location: poll, "Retry-After": "5" }, body: { status: "queued", poll } };
    return { status: 200, body: { status: "done", state: result.state, failureCode: result.failureCode, probedAt: result.lastProbeAt!.toISOString() } };
  },
});

const ReconnectLinkBody = z.strictObject({
  purpose: ReconnectPurposeSchema.meta({ description: "Why the clinic should reconnect; the page and the email show it" }),
  email: z.boolean().default(false).meta({ description: "Also email the link to the clinic admin (needs an admin email on file)" }),
});

export const createReconnectLinkEndpoint = defineEndpoint({
  operationId: "createReconnectLink",
  method: "post",
  path: "/clinics/{clinicId}/reconnect-links",
  summary: "Create a reconnect link",
  description:
    "A one-use link where the clinic pastes a new key (older support links are revoked). The URL is in this response only: it is stored hashed and never written to the audit log.",
  tags: ["Clinics"],
  scope: "write",
  params: ClinicParams,
  body: ReconnectLinkBody,
  responses: {
    201: {
      description: "The link",
      schema: z
        .object({
          url: z.url().meta({ description: "Shown once; send it to the clinic" }),
          expiresAt: Instant,
          emailedTo: z.string().nullable().meta({ description: "The admin address it is queued to, when email was asked" }),
        })
        .meta({ id: "ReconnectLink" }),
    },
  },
  errors: [404, 409, 422],
  async handle({ params, body, caller, services }) {
    const { clinic, connection } = await activeClinic(params.clinicId, services.db);
    const link = await asApi(() =>
      createClinicReconnectLink(
        {
          clinic,
          vendor: connection.vendor,
          purpose: body.purpose,
          email: body.email,
          actor: caller.actor,
          publicUrl: publicUrl(services.env),
          ttlHours: services.env.RECONNECT_LINK_TTL_HOURS,
        },
        { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
      ),
    );
    return {
      status: 201,
      headers: { "Cache-Control": "no-store" },
      body: { url: link.url, expiresAt: link.expiresAt.toISOString(), emailedTo: link.emailQueuedTo },
    };
  },
});

export const syncClinicEndpoint = defineEndpoint({
  operationId: "syncClinic",
  method: "post",
  path: "/clinics/{clinicId}/syncs",
  summary: "Sync now",
  description: "Queues a sync of the clinic's records (absorbed by one already waiting). Poll GET /clinics/{clinicId} for its progress.",
  tags: ["Clinics"],
  scope: "write",
  params: ClinicParams,
  responses: { 202: { description: "Queued", schema: z.object({ status: z.literal("queued"), poll: z.string() }), headers: LocationHeaders } },
  errors: [404, 409],
  async handle({ params, caller, services }) {
    const { connection } = await activeClinic(params.clinicId, services.db);
    await requestSync({ clinicId: params.clinicId, connectionId: connection.id, actor: caller.actor }, { db: services.db, queue: services.queues.sync });
    const poll = `/api/v1/clinics/${params.clinicId}`;
    return { status: 202, headers: { Location: poll }, body: { status: "queued", poll } };
  },
});

const TimelineEventSchema = z
  .object({
    id: z.string(),
    at: Instant,
    kind: z.string(),
    fromState: z.enum(CONNECTION_STATES).nullable(),
    toState: z.enum(CONNECTION_STATES).nullable(),
    failureCode: z.enum(FAILURE_CODES).nullable(),
    httpStatus: z.number().int().nullable(),
    actor: z.string().meta({ description: "Who acted, in words: a person's name, an API token's creator, “scheduled probe”, …" }),
    message: z.string(),
  })
  .meta({ id: "TimelineEvent" });

export const clinicTimelineEndpoint = defineEndpoint({
  operationId: "listClinicTimeline",
  method: "get",
  path: "/clinics/{clinicId}/timeline",
  summary: "The clinic's timeline",
  description: "What happened to the connection, newest first; pass `next` as `cursor` for older events.",
  tags: ["Clinics"],
  scope: "read",
  params: ClinicParams,
  query: z.strictObject({ cursor: cursorParam(/^\d{1,19}$/), limit: LimitParam }),
  responses: { 200: { description: "One page of events", schema: z.object({ data: z.array(TimelineEventSchema), next: z.string().nullable() }) } },
  errors: [400, 404],
  async handle({ params, query, services }) {
    const { rows, more } = await loadClinicTimeline({ clinicId: params.clinicId, beforeId: query.cursor?.[0] ?? null, limit: query.limit }, services.db);
    const last = rows.at(-1);
    return {
      status: 200,
      body: {
        data: rows.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          kind: e.kind,
          fromState: e.fromState,
          toState: e.toState,
          failureCode: e.failureCode,
          httpStatus: e.httpStatus,
          actor: e.actor,
          message: e.message,
        })),
        next: more && last ? encodeCursor([last.id]) : null,
      },
    };
  },
});
