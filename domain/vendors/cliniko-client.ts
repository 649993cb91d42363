import { z } from "zod";
import type { VendorClient, VendorClientDeps, VerifyOptions } from "./client.ts";
import { parseClinikoKey, SHARD_PATTERN } from "./cliniko-key.ts";
import { VendorError } from "./errors.ts";
import { IdSchema, laterOf, MoneySchema, NullableText, overlapCursor, parseJson, parseWith } from "./parse.ts";
import { bucketFor, defaultClinikoRateLimiter } from "./rate-limiter.ts";
import { httpError, vendorFetch, type VendorRequest } from "./transport.ts";
import type {
  AvailabilityBlockRecord,
  DailyAvailabilityRecord,
  ListPosition,
  LocationRecord,
  AppointmentRecord,
  AppointmentTypeRecord,
  ConnectionTarget,
  InvoiceRecord,
  InvoiceStatus,
  ListOptions,
  Page,
  PatientRecord,
  PatientSummary,
  PractitionerRecord,
  VendorSettings,
  VerifyResult,
} from "./types.ts";

// ---- response schemas (only the fields Relink keeps)

/** `{"patient": {"links": {"self": ".../patients/123"}}}`; some payloads use `links.patient` instead. */
const RefSchema = z.object({ links: z.object({ self: z.string() }) }).nullish();
const LinksSchema = z.record(z.string(), z.unknown()).nullish();

const ClinikoUserSchema = z.object({
  id: IdSchema,
  first_name: NullableText,
  last_name: NullableText,
  email: NullableText,
  role: NullableText,
  time_zone: NullableText,
  user_active: z.boolean().nullish(),
});

const ClinikoBusinessSchema = z.object({
  id: IdSchema,
  business_name: z.string(),
  time_zone: NullableText,
  country: NullableText,
  country_code: NullableText,
});

const ClinikoPatientSchema = z.object({
  id: IdSchema,
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  date_of_birth: NullableText,
  email: NullableText,
  archived_at: NullableText,
  deleted_at: NullableText,
  created_at: NullableText,
  updated_at: NullableText,
});

const ClinikoPractitionerSchema = z.object({
  id: IdSchema,
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  designation: NullableText,
  active: z.boolean().nullish(),
  updated_at: NullableText,
});

const ClinikoAppointmentTypeSchema = z.object({
  id: IdSchema,
  name: z.string(),
  duration_in_minutes: z.number().int().nullish(),
  archived_at: NullableText,
  updated_at: NullableText,
});

export const ClinikoAppointmentSchema = z.object({
  id: IdSchema,
  starts_at: z.string(),
  ends_at: NullableText,
  did_not_arrive: z.boolean().nullish(),
  patient_arrived: z.boolean().nullish(),
  cancelled_at: NullableText,
  cancellation_reason: z.union([z.number(), z.string()]).nullish(),
  cancellation_reason_description: NullableText,
  deleted_at: NullableText,
  archived_at: NullableText,
  updated_at: NullableText,
  patient: RefSchema,
  practitioner: RefSchema,
  appointment_type: RefSchema,
  business: RefSchema,
  links: LinksSchema,
});

export const ClinikoInvoiceSchema = z.object({
  id: IdSchema,
  number: z.union([z.string(), z.number()]).nullish(),
  issue_date: NullableText,
  status: z.union([z.number(), z.string()]),
  total_amount: MoneySchema,
  net_amount: MoneySchema.nullish(),
  tax_amount: MoneySchema.nullish(),
  closed_at: NullableText,
  deleted_at: NullableText,
  updated_at: NullableText,
  patient: RefSchema,
  practitioner: RefSchema,
  appointment: RefSchema,
  links: LinksSchema,
});

const ClinikoBusinessRecordSchema = ClinikoBusinessSchema.extend({ archived_at: NullableText, updated_at: NullableText });

const ClinikoDailyAvailabilitySchema = z.object({
  id: IdSchema,
  day_of_week: z.number().int().min(1).max(7),
  availabilities: z.array(z.object({ starts_at: z.string(), ends_at: z.string() })).nullish(),
  updated_at: NullableText,
  practitioner: RefSchema,
  business: RefSchema,
  links: LinksSchema,
});

const ClinikoBlockSchema = z.object({
  id: IdSchema,
  starts_at: z.string(),
  ends_at: NullableText,
  repeat_rule: z.record(z.string(), z.unknown()).nullish(),
  deleted_at: NullableText,
  updated_at: NullableText,
  practitioner: RefSchema,
  business: RefSchema,
  links: LinksSchema,
});

const ClinikoListLinksSchema = z.object({ self: z.string().nullish(), next: z.string().nullish(), previous: z.string().nullish() });

function buildListSchema<T extends z.ZodType>(field: string, item: T) {
  return z.object({ [field]: z.array(item), total_entries: z.number().int().nonnegative().nullish(), links: ClinikoListLinksSchema.nullish() });
}
// why (bench:fleet): zod compiles each new object schema on first use; building the list schema per
// request recompiled it on every probe, so each (field, item) pair is built once per process
const listSchemas = new Map<string, Map<z.ZodType, ReturnType<typeof buildListSchema>>>();
function listSchema<T extends z.ZodType>(field: string, item: T): ReturnType<typeof buildListSchema<T>> {
  let byItem = listSchemas.get(field);
  if (!byItem) listSchemas.set(field, (byItem = new Map()));
  let schema = byItem.get(item);
  if (!schema) byItem.set(item, (schema = buildListSchema(field, item)));
  return schema as ReturnType<typeof buildListSchema<T>>;
}

// ---- mapping to Relink's records

/** The id at the end of a Cliniko resource URL. */
export function idFromUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  const m = /\/(\d+)\/?(?:[?#].*)?$/.exec(url);
  return m ? m[1]! : null;
}

function refId(ref: z.infer<typeof RefSchema>, links: z.infer<typeof LinksSchema>, name: string): string | null {
  if (ref?.links.self) return idFromUrl(ref.links.self);
  const l = links?.[name];
  if (typeof l === "string") return idFromUrl(l);
  if (l && typeof l === "object" && typeof (l as { self?: unknown }).self === "string") return idFromUrl((l as { self: string }).self);
  return null;
}

function toPatient(p: z.infer<typeof ClinikoPatientSchema>): PatientRecord {
  return {
    id: p.id,
    firstName: p.first_name ?? "",
    lastName: p.last_name ?? "",
    dateOfBirth: p.date_of_birth,
    email: p.email,
    locationId: null,
    archived: p.archived_at !== null,
    archivedAt: p.archived_at,
    deleted: p.deleted_at !== null,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

export function toAppointment(a: z.infer<typeof ClinikoAppointmentSchema>): AppointmentRecord {
  const status = a.cancelled_at ? "cancelled" : a.did_not_arrive ? "did_not_arrive" : a.patient_arrived ? "arrived" : "booked";
  return {
    id: a.id,
    startsAt: a.starts_at,
    endsAt: a.ends_at,
    patientId: refId(a.patient, a.links, "patient"),
    practitionerId: refId(a.practitioner, a.links, "practitioner"),
    appointmentTypeId: refId(a.appointment_type, a.links, "appointment_type"),
    locationId: refId(a.business, a.links, "business"),
    status,
    cancelledAt: a.cancelled_at,
    cancellationReason: a.cancellation_reason_description ?? (a.cancellation_reason == null ? null : String(a.cancellation_reason)),
    deleted: a.deleted_at !== null,
    updatedAt: a.updated_at,
  };
}

const INVOICE_STATUS: Record<string, InvoiceStatus> = { "10": "open", "20": "paid", "30": "closed", "40": "open_credit" };

export function toInvoice(i: z.infer<typeof ClinikoInvoiceSchema>): InvoiceRecord {
  return {
    id: i.id,
    number: i.number == null ? null : String(i.number),
    issueDate: i.issue_date,
    status: INVOICE_STATUS[String(i.status)] ?? "unknown",
    vendorStatus: String(i.status),
    totalAmount: i.total_amount,
    netAmount: i.net_amount ?? null,
    taxAmount: i.tax_amount ?? null,
    patientId: refId(i.patient, i.links, "patient"),
    practitionerId: refId(i.practitioner, i.links, "practitioner"),
    appointmentId: refId(i.appointment, i.links, "appointment"),
    closedAt: i.closed_at,
    deleted: i.deleted_at !== null,
    updatedAt: i.updated_at,
  };
}

function toBlock(b: z.infer<typeof ClinikoBlockSchema>): AvailabilityBlockRecord {
  return {
    id: b.id,
    practitionerId: refId(b.practitioner, b.links, "practitioner"),
    locationId: refId(b.business, b.links, "business"),
    startsAt: b.starts_at,
    endsAt: b.ends_at,
    repeatRule: b.repeat_rule ?? null,
    deleted: b.deleted_at !== null,
    updatedAt: b.updated_at,
  };
}

/** Cliniko datetimes in filters: UTC, whole seconds. */
function clinikoFilterTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new TypeError("since must be an ISO-8601 instant");
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---- the client

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function createClinikoClient(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  const parsed = parseClinikoKey(target.key);
  // why: the configured shard wins, so "apply the suggested region" works for keys without a suffix
  const shard = SHARD_PATTERN.test(target.region) ? target.region : parsed.ok ? parsed.shard : target.region;
  const baseUrl = settings.clinikoBaseUrlTemplate.replaceAll("{shard}", shard).replace(/\/+$/, "");
  const origin = (() => {
    try {
      return new URL(baseUrl).origin;
    } catch {
      return "";
    }
  })();
  const rateLimiter = deps.rateLimiter ?? defaultClinikoRateLimiter;
  const transportDeps = { ...deps, rateLimiter };
  const bucket = parsed.ok ? bucketFor("cliniko", parsed.key) : undefined;
  const authorization = parsed.ok ? `Basic ${Buffer.from(`${parsed.key}:`).toString("base64")}` : "";

  function ensureKey(): void {
    if (parsed.ok) return;
    throw new VendorError({
      vendor: "cliniko",
      region: shard,
      kind: parsed.reason === "empty" ? "key_missing" : "key_malformed",
      message: parsed.message,
    });
  }

  /** A path relative to the base ("/patients?per_page=100") or an absolute links.next URL. */
  async function get<S extends z.ZodType>(pathOrUrl: string, schema: S, signal?: AbortSignal): Promise<z.output<S>> {
    ensureKey();
    const url = pathOrUrl.startsWith("/") ? `${baseUrl}${pathOrUrl}` : pathOrUrl;
    const u = new URL(url);
    const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
    const path = `${u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : u.pathname}${u.search}`;
    const req: VendorRequest = {
      vendor: "cliniko",
      region: shard,
      method: "GET",
      url,
      path: safeDecode(path),
      headers: {
        Authorization: authorization,
        Accept: "application/json",
        "User-Agent": `${settings.appName} (${settings.contactEmail})`,
      },
      timeoutMs: settings.timeoutMs,
      bucket,
      signal,
    };
    const res = await vendorFetch(req, transportDeps);
    if (res.status < 200 || res.status >= 300) throw httpError(req, res);
    return parseWith(schema, parseJson(req, res), req, res);
  }

  async function* list<S extends z.ZodType, T>(
    resource: string,
    field: string,
    item: S,
    map: (raw: z.output<S>) => T,
    updatedAt: (t: T) => string | null,
    opts: ListOptions & { extraQuery?: string[] } = {},
  ): AsyncIterable<Page<T>> {
    const schema = listSchema(field, item);
    if (opts.from) {
      yield* keyset(resource, field, schema, map, updatedAt, opts.from, opts);
      return;
    }
    const query = ["per_page=100"];
    if (opts.since !== undefined) {
      let since: string;
      try {
        since = clinikoFilterTime(opts.since);
      } catch (err) {
        throw new VendorError({ vendor: "cliniko", region: shard, kind: "invalid_response", message: "The sync cursor is not a valid instant", cause: err });
      }
      query.push(`q[]=${encodeURIComponent(`updated_at:>${since}`)}`);
    }
    // why: oldest change first, so a page's cursor is safe to persist mid-sync
    query.push("sort=updated_at", ...removedQuery(opts), ...(opts.extraQuery ?? []));
    let next: string | null = `/${resource}?${query.join("&")}`;
    let page = 0;
    let latest: string | undefined = opts.since;
    while (next) {
      const body = (await get(next, schema, opts.signal)) as Record<string, unknown> & {
        total_entries?: number | null;
        links?: z.infer<typeof ClinikoListLinksSchema> | null;
      };
      page++;
      const items = (body[field] as z.output<S>[]).map(map);
      for (const it of items) latest = laterOf(latest, updatedAt(it));
      const following = body.links?.next ?? null;
      if (following !== null) {
        // why: links.next carries our key's Authorization; never follow it to another host
        let sameOrigin = false;
        try {
          sameOrigin = new URL(following).origin === origin;
        } catch {
          sameOrigin = false;
        }
        if (!sameOrigin) {
          throw new VendorError({
            vendor: "cliniko",
            region: shard,
            kind: "invalid_response",
            request: { method: "GET", path: `/${resource}` },
            message: "Cliniko's links.next points to another host; refusing to follow it",
          });
        }
      }
      if (following !== null && items.length === 0) {
        throw new VendorError({
          vendor: "cliniko",
          region: shard,
          kind: "invalid_response",
          request: { method: "GET", path: `/${resource}` },
          message: "Cliniko returned an empty page with a next link",
        });
      }
      yield { items, page, totalItems: body.total_entries ?? undefined, cursor: overlapCursor(latest) ?? opts.since };
      next = following;
    }
  }

  function removedQuery(opts: ListOptions): string[] {
    return opts.includeRemoved ? [`q[]=${encodeURIComponent("archived_at:*")}`, `q[]=${encodeURIComponent("deleted_at:*")}`] : [];
  }

  /**
   * Keyset paging (ListOptions.from): every request asks for `updated_at >= at`, oldest first, and
   * the next starts at the newest `updated_at` seen. Offset paging (links.next) shifts an unread
   * record onto a page already read whenever an earlier one changes mid-sync; this cannot. More than
   * a page sharing one timestamp is walked with `page` under the same filter, so it always advances.
   */
  async function* keyset<T>(
    resource: string,
    field: string,
    schema: z.ZodType,
    map: (raw: never) => T,
    updatedAt: (t: T) => string | null,
    from: ListPosition,
    opts: ListOptions,
  ): AsyncIterable<Page<T>> {
    let at = from.at;
    let page = Math.max(1, from.page);
    let served = 0;
    for (;;) {
      const query = ["per_page=100", `page=${page}`];
      if (at) {
        let since: string;
        try {
          since = clinikoFilterTime(at);
        } catch (err) {
          throw new VendorError({
            vendor: "cliniko",
            region: shard,
            kind: "invalid_response",
            message: "The sync position is not a valid instant",
            cause: err,
          });
        }
        query.push(`q[]=${encodeURIComponent(`updated_at:>=${since}`)}`);
      }
      query.push("sort=updated_at", ...removedQuery(opts));
      const body = (await get(`/${resource}?${query.join("&")}`, schema, opts.signal)) as Record<string, unknown> & {
        total_entries?: number | null;
        links?: z.infer<typeof ClinikoListLinksSchema> | null;
      };
      const items = (body[field] as never[]).map(map);
      served++;
      const last = items.length ? updatedAt(items[items.length - 1]!) : null;
      if (items.length > 0 && last === null) {
        throw new VendorError({
          vendor: "cliniko",
          region: shard,
          kind: "invalid_response",
          request: { method: "GET", path: `/${resource}` },
          message: "Cliniko listed a record without updated_at; it cannot be paged by time",
        });
      }
      const more = Boolean(body.links?.next) && items.length > 0;
      let resume: ListPosition;
      if (!last) resume = { at, page };
      else if (at && Date.parse(last) <= Date.parse(at)) resume = { at, page: page + 1 };
      else resume = { at: clinikoFilterTime(last), page: 1 };
      // why: at the end the next run starts at the newest timestamp again (page 1), re-reading its few records
      if (!more && resume.page > 1) resume = { at: resume.at, page: 1 };
      yield { items, page: served, totalItems: body.total_entries ?? undefined, resume };
      if (!more) return;
      at = resume.at;
      page = resume.page;
    }
  }

  const countPatients = async (opts: { signal?: AbortSignal } = {}) => {
    const body = await get("/patients?per_page=1", listSchema("patients", ClinikoPatientSchema), opts.signal);
    return (body.total_entries as number | null | undefined) ?? (body.patients as unknown[]).length;
  };

  return {
    vendor: "cliniko",
    region: shard,
    apiVersion: "v1",
    async authenticate(opts = {}) {
      await get("/user", ClinikoUserSchema, opts.signal);
    },
    async verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
      // why: /user first — a 401 here is the clearest evidence about the key itself
      const user = await get("/user", ClinikoUserSchema, opts.signal);
      const visiblePatients = await countPatients(opts);
      const businesses =
        opts.includeLocations === false
          ? { businesses: [] }
          : await get("/businesses?per_page=100", listSchema("businesses", ClinikoBusinessSchema), opts.signal).catch((err: unknown) => {
              // why: a role that cannot list businesses still reaches patients; the account is then known by its user id
              if (err instanceof VendorError && err.kind === "http" && (err.status === 403 || err.status === 404)) return { businesses: [] };
              throw err;
            });
      return {
        vendor: "cliniko",
        region: shard,
        apiVersion: "v1",
        user: {
          id: user.id,
          name: [user.first_name, user.last_name].filter(Boolean).join(" "),
          email: user.email ?? undefined,
          role: user.role ?? undefined,
          active: user.user_active ?? undefined,
        },
        locations: (businesses.businesses as z.infer<typeof ClinikoBusinessSchema>[]).map((b) => ({
          id: b.id,
          name: b.business_name,
          timeZone: b.time_zone ?? undefined,
        })),
        visiblePatients,
      };
    },
    countPatients,
    async searchPatients(name, opts = {}): Promise<PatientSummary[]> {
      const limit = Math.min(100, Math.max(1, opts.limit ?? 20));
      const words = name.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return [];
      const schema = listSchema("patients", ClinikoPatientSchema);
      const q = (filters: string[]) => `/patients?per_page=${limit}&${filters.map((f) => `q[]=${encodeURIComponent(f)}`).join("&")}`;
      // why: Cliniko ANDs filters; "Jane Smith" is first + last, one word may be either name
      const queries =
        words.length >= 2
          ? [q([`first_name:~${words[0]}`, `last_name:~${words.slice(1).join(" ")}`])]
          : [q([`last_name:~${words[0]}`]), q([`first_name:~${words[0]}`])];
      const seen = new Map<string, PatientSummary>();
      for (const path of queries) {
        const body = await get(path, schema, opts.signal);
        for (const p of body.patients as z.infer<typeof ClinikoPatientSchema>[]) {
          if (seen.size >= limit) break;
          if (!seen.has(p.id)) seen.set(p.id, { id: p.id, firstName: p.first_name ?? "", lastName: p.last_name ?? "", dateOfBirth: p.date_of_birth });
        }
      }
      return [...seen.values()];
    },
    patients: (opts) => list("patients", "patients", ClinikoPatientSchema, toPatient, (p) => p.updatedAt, opts),
    practitioners: (opts) =>
      list(
        "practitioners",
        "practitioners",
        ClinikoPractitionerSchema,
        (p): PractitionerRecord => ({
          id: p.id,
          firstName: p.first_name ?? "",
          lastName: p.last_name ?? "",
          designation: p.designation,
          active: p.active ?? true,
          updatedAt: p.updated_at,
        }),
        (p) => p.updatedAt,
        opts,
      ),
    appointmentTypes: (opts) =>
      list(
        "appointment_types",
        "appointment_types",
        ClinikoAppointmentTypeSchema,
        (t): AppointmentTypeRecord => ({
          id: t.id,
          name: t.name,
          durationMinutes: t.duration_in_minutes ?? null,
          archived: t.archived_at !== null,
          updatedAt: t.updated_at,
        }),
        (t) => t.updatedAt,
        opts,
      ),
    locations: (opts) =>
      list(
        "businesses",
        "businesses",
        ClinikoBusinessRecordSchema,
        (b): LocationRecord => ({
          id: b.id,
          name: b.business_name,
          timeZone: b.time_zone,
          country: b.country_code ?? b.country,
          archived: b.archived_at !== null,
          updatedAt: b.updated_at,
        }),
        (b) => b.updatedAt,
        opts,
      ),
    inactivePractitioners: (opts) =>
      list(
        "practitioners/inactive",
        "practitioners",
        ClinikoPractitionerSchema,
        (p): PractitionerRecord => ({
          id: p.id,
          firstName: p.first_name ?? "",
          lastName: p.last_name ?? "",
          designation: p.designation,
          active: false,
          updatedAt: p.updated_at,
        }),
        (p) => p.updatedAt,
        opts,
      ),
    dailyAvailabilities: (opts) =>
      list(
        "daily_availabilities",
        "daily_availabilities",
        ClinikoDailyAvailabilitySchema,
        (d): DailyAvailabilityRecord => ({
          id: d.id,
          practitionerId: refId(d.practitioner, d.links, "practitioner"),
          locationId: refId(d.business, d.links, "business"),
          dayOfWeek: d.day_of_week,
          spans: (d.availabilities ?? []).map((a) => ({ startsAt: a.starts_at, endsAt: a.ends_at })),
          updatedAt: d.updated_at,
        }),
        (d) => d.updatedAt,
        opts,
      ),
    availabilityBlocks: (opts) => list("availability_blocks", "availability_blocks", ClinikoBlockSchema, toBlock, (b) => b.updatedAt, opts),
    unavailableBlocks: (opts) => list("unavailable_blocks", "unavailable_blocks", ClinikoBlockSchema, toBlock, (b) => b.updatedAt, opts),
    appointments: (opts) => list("individual_appointments", "individual_appointments", ClinikoAppointmentSchema, toAppointment, (a) => a.updatedAt, opts),
    invoices: (opts) => list("invoices", "invoices", ClinikoInvoiceSchema, toInvoice, (i) => i.updatedAt, opts),
  };
}
