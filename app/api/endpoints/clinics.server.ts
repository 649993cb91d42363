import { z } from "zod";
import { listAlertsAfter } from "../../../db/queries/alert-inbox.ts";
import { listClinicsAfter } from "../../../db/queries/clinics.ts";
import { addClinicByHand, addClinicWithoutConnection, AddClinicSchema, type VerdictView } from "../../../domain/clinics/add-clinic.ts";
import { ClinicDetailsSchema } from "../../../domain/clinics/clinic-fields.ts";
import { CLINIC_NOT_FOUND, loadClinicPage } from "../../../domain/clinics/clinic-page.ts";
import { clinicFiltersOf } from "../../../domain/clinics/clinics-table.ts";
import { DomainError } from "../../../domain/errors.ts";
import { TAXONOMY, whoMustAct } from "../../../domain/health/taxonomy.ts";
import { KNOWN_CLINIKO_SHARDS } from "../../../domain/vendors/cliniko-key.ts";
import {
  ALERT_KINDS,
  ALERT_STATUSES,
  CONNECTION_STATES,
  FAILING_SINCE_BANDS,
  FAILURE_CODES,
  NOOKAL_REGIONS,
  SYNC_STATES,
  VENDORS,
} from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import { fieldErrors } from "../problems.server.ts";
import {
  asApi,
  ClinicParams,
  cursorParam,
  encodeCursor,
  Instant,
  iso,
  KeyRefusedProblemSchema,
  LimitParam,
  refusedKey,
  UUID_SHAPE,
  VerdictSchema,
  LocationHeaders,
} from "./shared.server.ts";

/**
 * The clinics collection and one clinic (docs/decisions/0044-api-endpoints.md): the console's
 * filters and add-clinic flow, the clinic page's read model, each over the same domain function.
 */

const REGIONS = [...KNOWN_CLINIKO_SHARDS, ...NOOKAL_REGIONS] as const;

const ClinicSummarySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    adminEmail: z.string().nullable(),
    vendor: z.enum(VENDORS).nullable().meta({ description: "Null when the clinic has no connection yet" }),
    region: z.string().nullable(),
    state: z.enum(CONNECTION_STATES).nullable(),
    failureCode: z.enum(FAILURE_CODES).nullable(),
    lastProbeAt: Instant.nullable(),
    lastSuccessAt: Instant.nullable(),
    failingSince: Instant.nullable(),
    syncState: z.enum(SYNC_STATES).nullable(),
    lastSyncSuccessAt: Instant.nullable(),
    visiblePatients: z.number().int().nullable(),
    visiblePatientsAtLeast: z.boolean().meta({ description: "The count stopped at a cap: at least visiblePatients" }),
    openAlerts: z.number().int(),
  })
  .meta({ id: "ClinicSummary" });

const FailureSchema = z
  .object({
    code: z.enum(FAILURE_CODES),
    title: z.string(),
    transient: z.boolean(),
    whoMustAct: z.enum(["clinic", "vendor", "us", "paused"]).nullable(),
    clinicMessage: z.string().meta({ description: "What to show the clinic's user" }),
    supportMessage: z.string(),
    suggestedAction: z.string(),
  })
  .meta({ id: "ConnectionFailure", description: "The failure code with its words from the taxonomy (GET /failure-codes)" });

const AlertSummarySchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(ALERT_KINDS),
    status: z.enum(ALERT_STATUSES),
    count: z.number().int(),
    firstSeenAt: Instant,
    lastSeenAt: Instant,
  })
  .meta({ id: "AlertSummary" });

const ClinicSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    timeZone: z.string(),
    country: z.string(),
    adminName: z.string().nullable(),
    adminEmail: z.string().nullable(),
    archived: z.boolean(),
    connection: z
      .object({
        vendor: z.enum(VENDORS),
        region: z.string().meta({ description: "Cliniko shard (au1…) or Nookal region (au, eu, us)" }),
        apiVersion: z.string().nullable(),
        state: z.enum(CONNECTION_STATES),
        stateChangedAt: Instant.nullable(),
        failure: FailureSchema.nullable(),
        suggestedRegion: z.string().nullable().meta({ description: "wrong_region: where the key works" }),
        keyHint: z.string().nullable().meta({ description: "The key's last characters and region; never the key" }),
        keyUpdatedAt: Instant.nullable(),
        lastProbeAt: Instant.nullable(),
        lastSuccessAt: Instant.nullable(),
        failingSince: Instant.nullable(),
        visiblePatients: z.number().int().nullable(),
        visiblePatientsAtLeast: z.boolean(),
        sync: z.object({
          state: z.enum(SYNC_STATES).nullable(),
          lastSyncAt: Instant.nullable(),
          lastSuccessAt: Instant.nullable(),
          running: z.boolean(),
          latest: z
            .object({
              state: z.enum(SYNC_STATES),
              startedAt: Instant,
              finishedAt: Instant.nullable(),
              recordsSeen: z.number().int(),
              recordsChanged: z.number().int(),
              lastError: z.string().nullable(),
              failedResource: z.string().nullable(),
            })
            .nullable(),
        }),
        escalationPacket: z.string().meta({ description: "What support pastes into a vendor ticket (no key, no patient data)" }),
      })
      .nullable()
      .meta({ description: "Null when the clinic has no connection yet" }),
    openAlerts: z.array(AlertSummarySchema),
  })
  .meta({ id: "Clinic" });

const ClinicsQuery = z.strictObject({
  state: z.enum(CONNECTION_STATES).optional().meta({ description: "Connection state" }),
  failure: z.enum(FAILURE_CODES).optional().meta({ description: "Failure code" }),
  vendor: z.enum(VENDORS).optional(),
  region: z.enum(REGIONS).optional().meta({ description: "Cliniko shard or Nookal region" }),
  broken: z.enum(["now"]).optional().meta({ description: "`now`: broken now (as the console's chip)" }),
  since: z.enum(FAILING_SINCE_BANDS).optional().meta({ description: "Broken now, failing since this band" }),
  sync: z.enum(["failing"]).optional().meta({ description: "`failing`: the latest sync failed" }),
  q: z.string().trim().min(1).max(200).optional().meta({ description: "Text in the clinic's name or admin email" }),
  cursor: cursorParam(/^.{1,200}$/s, UUID_SHAPE),
  limit: LimitParam,
});

export const listClinicsEndpoint = defineEndpoint({
  operationId: "listClinics",
  method: "get",
  path: "/clinics",
  summary: "List clinics",
  description: "The console's clinics filters, by name then id; pass `next` as `cursor` for the following page. Archived clinics are not listed.",
  tags: ["Clinics"],
  scope: "read",
  query: ClinicsQuery,
  responses: {
    200: {
      description: "One page of clinics",
      schema: z.object({ data: z.array(ClinicSummarySchema), next: z.string().nullable().meta({ description: "Cursor of the next page; null on the last" }) }),
    },
  },
  errors: [400],
  async handle({ query, services }) {
    const filters = clinicFiltersOf({ ...query, sort: "name", dir: "asc", page: 1 });
    const after = query.cursor ? { name: query.cursor[0]!, id: query.cursor[1]! } : null;
    const { rows, more } = await listClinicsAfter({ filters, after, limit: query.limit }, services.db);
    const last = rows.at(-1);
    return {
      status: 200,
      body: {
        data: rows.map((r) => ({
          id: r.id,
          name: r.name,
          adminEmail: r.adminEmail,
          vendor: r.vendor,
          region: r.region,
          state: r.state,
          failureCode: r.failureCode,
          lastProbeAt: iso(r.lastProbeAt),
          lastSuccessAt: iso(r.lastSuccessAt),
          failingSince: iso(r.firstFailureAt),
          syncState: r.syncState,
          lastSyncSuccessAt: iso(r.lastSyncSuccessAt),
          visiblePatients: r.visiblePatientCount,
          visiblePatientsAtLeast: r.visiblePatientsAtLeast === true,
          openAlerts: r.openAlerts,
        })),
        next: more && last ? encodeCursor([last.name, last.id]) : null,
      },
    };
  },
});

const details = ClinicDetailsSchema.shape;
const CreateClinicBody = z
  .strictObject({
    name: details.name.meta({ description: "Unique among clinics (archived ones too), ignoring case and spaces" }),
    timeZone: details.timeZone.meta({ description: "IANA zone, e.g. Australia/Sydney" }),
    country: details.country.meta({ description: "ISO 3166-1 alpha-2, e.g. AU" }),
    adminName: z.string().max(200).optional().meta({ description: "The clinic admin's name" }),
    adminEmail: z.string().max(320).optional().meta({ description: "Where clinic-facing emails go" }),
    connection: z
      .strictObject({
        vendor: z.enum(VENDORS).meta({ description: "The practice-management system" }),
        apiKey: z.string().min(1).max(2000).meta({ description: "The clinic's API key; verified live before anything is saved, never echoed" }),
        region: z.enum(NOOKAL_REGIONS).optional().meta({ description: "Nookal only (required there); a Cliniko key names its shard" }),
        apiVersion: z.enum(["v2", "v3"]).optional().meta({ description: "Nookal only; default: detected" }),
      })
      .optional()
      .meta({ description: "Omit to add the clinic without a connection" }),
  })
  .superRefine((v, ctx) => {
    if (v.connection?.vendor === "nookal" && !v.connection.region)
      ctx.addIssue({ code: "custom", path: ["connection", "region"], message: "Pick the Nookal region the clinic signs in to" });
    if (v.connection?.vendor === "cliniko" && (v.connection.region || v.connection.apiVersion))
      ctx.addIssue({ code: "custom", path: ["connection", "region"], message: "A Cliniko key names its shard; send no region or apiVersion" });
  });

export const createClinicEndpoint = defineEndpoint({
  operationId: "createClinic",
  method: "post",
  path: "/clinics",
  summary: "Add a clinic",
  description:
    "The console's add-clinic flow: with a connection, the key is checked live with the vendor and the clinic is saved only when it works (201 with the verdict); a refused key is a 422 carrying the verdict, and nothing is saved.",
  tags: ["Clinics"],
  scope: "write",
  body: CreateClinicBody,
  responses: {
    201: {
      description: "The clinic was added",
      schema: z.object({
        clinic: ClinicSchema,
        verdict: VerdictSchema.nullable().meta({ description: "The key's live check; null without a connection" }),
        firstBriefing: z.string().nullable().meta({ description: "When the first weekly briefing arrives, in the clinic's words" }),
      }),
      headers: LocationHeaders,
    },
  },
  errors: [409, 422],
  problems: {
    422: {
      description: "The body breaks its schema or a field rule, or the vendor refused the key (code key_refused, with the verdict); nothing was saved",
      schema: KeyRefusedProblemSchema,
    },
  },
  async handle({ body, caller, services, request }) {
    const instance = new URL(request.url).pathname;
    const adminFields = { adminName: body.adminName, adminEmail: body.adminEmail };
    const fields = {
      name: "name",
      timeZone: "timeZone",
      country: "country",
      adminName: "adminName",
      adminEmail: "adminEmail",
      key: "connection.apiKey",
      region: "connection.region",
    };
    let clinicId: string;
    let verdict: VerdictView | null = null;
    let firstBriefing: string | null = null;
    if (!body.connection) {
      const parsed = domainParse(ClinicDetailsSchema, { name: body.name, timeZone: body.timeZone, country: body.country, ...adminFields }, fields, instance);
      if (!parsed.ok) return parsed.result;
      const input = parsed.data;
      ({ clinicId } = await asApi(() => addClinicWithoutConnection({ input, actor: caller.actor }, { db: services.db }), fields));
    } else {
      const c = body.connection;
      const parsed = domainParse(
        AddClinicSchema,
        {
          name: body.name,
          timeZone: body.timeZone,
          country: body.country,
          ...adminFields,
          vendor: c.vendor,
          key: c.apiKey,
          region: c.region,
          apiVersion: c.apiVersion,
        },
        fields,
        instance,
      );
      if (!parsed.ok) return parsed.result;
      const input = parsed.data;
      const result = await asApi(
        () => addClinicByHand({ input, actor: caller.actor }, { db: services.db, keyring: services.keyring, vendors: services.vendors }),
        fields,
      );
      if (!result.ok) return refusedKey(result.verdict, instance, "connection.apiKey");
      ({ clinicId, verdict, firstBriefing } = result);
    }
    return {
      status: 201,
      headers: { Location: `/api/v1/clinics/${clinicId}` },
      body: { clinic: await clinicView(clinicId, services.db), verdict, firstBriefing },
    };
  },
});

/**
 * The domain's own field rules (time zone, country, email) on the request's values: a 422 listing
 * every problem next to its request member, as the router answers a body that breaks its schema.
 */
function domainParse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fields: Record<string, string>,
  instance: string,
): { ok: true; data: z.output<S> } | { ok: false; result: { status: number; headers: Record<string, string>; body: unknown } } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors = fieldErrors(parsed.error).map((e) => ({ ...e, field: fields[e.field] ?? e.field }));
  return {
    ok: false,
    result: {
      status: 422,
      headers: { "Content-Type": "application/problem+json" },
      body: {
        type: "urn:relink:problem:invalid_body",
        title: "Unprocessable content",
        status: 422,
        detail: "The body has problems; see errors.",
        instance,
        code: "invalid_body",
        errors,
      },
    },
  };
}

export const getClinicEndpoint = defineEndpoint({
  operationId: "getClinic",
  method: "get",
  path: "/clinics/{clinicId}",
  summary: "One clinic and its connection's health",
  description:
    "What the clinic page shows: connection state, the failure code with what to tell the clinic and support and what to do, the key hint (never the key), region, last success, visible patients, sync status, open alerts and the escalation packet. An archived clinic is still readable (`archived: true`).",
  tags: ["Clinics"],
  scope: "read",
  params: ClinicParams,
  responses: { 200: { description: "The clinic", schema: ClinicSchema } },
  errors: [404],
  async handle({ params, services }) {
    return { status: 200, body: await clinicView(params.clinicId, services.db) };
  },
});

/** The clinic page's read model (loadClinicPage) in the API's shape, with the clinic's unresolved alerts. */
async function clinicView(clinicId: string, db: Parameters<typeof loadClinicPage>[1]): Promise<z.infer<typeof ClinicSchema>> {
  const [page, open] = await Promise.all([
    loadClinicPage({ clinicId, page: 1 }, db),
    listAlertsAfter({ status: "unresolved", clinicId, after: null, limit: 50 }, db),
  ]);
  if (!page) throw new DomainError(404, CLINIC_NOT_FOUND, { code: "clinic_not_found" });
  const { clinic, connection: c, sync } = page;
  const info = c?.failureCode ? TAXONOMY[c.failureCode] : null;
  return {
    id: clinic.id,
    name: clinic.name,
    timeZone: clinic.timeZone,
    country: clinic.country,
    adminName: clinic.adminName,
    adminEmail: clinic.adminEmail,
    archived: clinic.archivedAt !== null,
    connection: c
      ? {
          vendor: c.vendor,
          region: c.region,
          apiVersion: c.apiVersion,
          state: c.state,
          stateChangedAt: iso(c.stateChangedAt),
          failure: info
            ? {
                code: info.code,
                title: info.title,
                transient: info.transient,
                whoMustAct: whoMustAct(c.state, info.code),
                clinicMessage: info.clinicMessage,
                supportMessage: info.supportMessage,
                suggestedAction: info.suggestedAction,
              }
            : null,
          suggestedRegion: c.suggestedRegion,
          keyHint: c.keyHint,
          keyUpdatedAt: iso(c.keyUpdatedAt),
          lastProbeAt: iso(c.lastProbeAt),
          lastSuccessAt: iso(c.lastSuccessAt),
          failingSince: iso(c.firstFailureAt),
          visiblePatients: c.visiblePatientCount,
          visiblePatientsAtLeast: c.visiblePatientsAtLeast === true,
          sync: {
            state: c.syncState,
            lastSyncAt: iso(c.lastSyncAt),
            lastSuccessAt: iso(c.lastSyncSuccessAt),
            running: sync?.running ?? false,
            latest: sync?.latest
              ? {
                  state: sync.latest.state,
                  startedAt: sync.latest.startedAt,
                  finishedAt: sync.latest.finishedAt,
                  recordsSeen: sync.latest.recordsSeen,
                  recordsChanged: sync.latest.recordsChanged,
                  lastError: sync.latest.lastError,
                  failedResource: sync.latest.failedResource,
                }
              : null,
          },
          escalationPacket: page.packet ?? "",
        }
      : null,
    openAlerts: open.rows.map((a) => ({
      id: a.id,
      kind: a.kind,
      status: a.status,
      count: a.count,
      firstSeenAt: a.firstSeenAt.toISOString(),
      lastSeenAt: a.lastSeenAt.toISOString(),
    })),
  };
}
