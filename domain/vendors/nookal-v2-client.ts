import { z } from "zod";
import type { VendorClient, VendorClientDeps, VerifyOptions } from "./client.ts";
import { VendorError } from "./errors.ts";
import { appointmentStatus, ensureNookalKey, FlagSchema, invoiceStatus, nookalFailure } from "./nookal-common.ts";
import { nookalTokenId } from "./nookal-token-store.ts";
import { IdSchema, laterOf, MoneySchema, NullableText, overlapCursor, parseJson, parseWith } from "./parse.ts";
import { normalizeTimestamp, toLocalDateTime } from "./time.ts";
import { httpError, vendorFetch, type VendorRequest } from "./transport.ts";
import type {
  LocationRecord,
  AppointmentRecord,
  ConnectionTarget,
  InvoiceRecord,
  ListOptions,
  Page,
  PatientRecord,
  PatientSummary,
  VendorSettings,
  VerifyResult,
} from "./types.ts";

/**
 * Nookal API v2 (older keys): `POST {base}/<function>` with a form-encoded `api_key`. Every
 * answer is an envelope; failures arrive as HTTP 200 `status: failure`. Timestamps are naive
 * wall-clock times in the practice's zone, booleans are "0"/"1".
 */

const EnvelopeSchema = z.object({
  status: z.string().regex(/^success$/i),
  data: z
    .object({ results: z.record(z.string(), z.unknown()).nullish() })
    .loose()
    .nullish(),
  details: z.object({ totalItems: z.coerce.number().int().nullish(), currentItems: z.coerce.number().int().nullish() }).loose().nullish(),
  settings: z
    .object({ currentPage: z.coerce.number().nullish(), nextPage: z.union([z.number(), z.string()]).nullish(), pageLength: z.coerce.number().nullish() })
    .loose()
    .nullish(),
});

const V2PatientSchema = z.object({
  ID: IdSchema,
  FirstName: z.string().nullish(),
  LastName: z.string().nullish(),
  DOB: NullableText,
  Email: NullableText,
  LocationID: IdSchema.nullish(),
  active: FlagSchema,
  DateCreated: NullableText,
  DateModified: NullableText,
});
const V2LocationSchema = z.object({ ID: IdSchema, Name: z.string(), Timezone: NullableText });
const V2PractitionerSchema = z.object({
  ID: IdSchema,
  FirstName: z.string().nullish(),
  LastName: z.string().nullish(),
  Speciality: NullableText,
  active: FlagSchema,
  DateModified: NullableText,
});
const V2AppointmentTypeSchema = z.object({
  ID: IdSchema,
  Name: z.string(),
  Duration: z.union([z.string(), z.number()]).nullish(),
  active: FlagSchema,
  DateModified: NullableText,
});
const V2AppointmentSchema = z.object({
  ID: IdSchema,
  appointmentDate: z.string(),
  startTime: z.string(),
  endTime: NullableText,
  locationID: IdSchema.nullish(),
  patientID: IdSchema.nullish(),
  practitionerID: IdSchema.nullish(),
  appointmentTypeID: IdSchema.nullish(),
  Status: NullableText,
  arrived: FlagSchema,
  DNA: FlagSchema,
  cancelled: FlagSchema,
  cancellationDate: NullableText,
  DateModified: NullableText,
});
const V2InvoiceSchema = z.object({
  ID: IdSchema,
  InvoiceNumber: z.union([z.string(), z.number()]).nullish(),
  InvoiceDate: NullableText,
  PatientID: IdSchema.nullish(),
  PractitionerID: IdSchema.nullish(),
  AppointmentID: IdSchema.nullish(),
  Status: NullableText,
  Total: MoneySchema,
  Tax: MoneySchema.nullish(),
  DateModified: NullableText,
});

// why: public sources give page_length a default of 100 and a maximum of 200
const PAGE_LENGTH = 200;
/** Counting without a total stops after this many pages ("at least N"). */
const COUNT_PAGES = 10;

export function createNookalV2Client(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  const region = target.region;
  const baseUrl = settings.nookalV2BaseUrl.replace(/\/+$/, "");
  const bucket = deps.rateLimiter ? `nookal:${nookalTokenId("v2", baseUrl, target.key).slice(0, 22)}` : undefined;
  let timeZone: string | undefined;

  async function call(fn: string, params: Record<string, string>, signal?: AbortSignal) {
    const key = ensureNookalKey(target.key, region);
    const query = new URLSearchParams(params).toString();
    const req: VendorRequest = {
      vendor: "nookal",
      region,
      method: "POST",
      url: `${baseUrl}/${fn}`,
      // why: the key travels in the form body; the path shown in errors carries only the other fields
      path: `/${fn}${query ? `?${query}` : ""}`,
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "User-Agent": `${settings.appName} (${settings.contactEmail})`,
      },
      body: new URLSearchParams({ ...params, api_key: key }).toString(),
      timeoutMs: settings.timeoutMs,
      bucket,
      signal,
    };
    const res = await vendorFetch(req, deps);
    if (res.status < 200 || res.status >= 300) throw httpError(req, res);
    const body = parseJson(req, res);
    const failure = nookalFailure(body, req, res.status);
    if (failure) throw failure;
    return { req, envelope: parseWith(EnvelopeSchema, body, req, res) };
  }

  async function results<S extends z.ZodType>(fn: string, field: string, item: S, params: Record<string, string>, signal?: AbortSignal) {
    const { req, envelope } = await call(fn, params, signal);
    const raw = envelope.data?.results?.[field] ?? [];
    return { items: parseWith(z.array(item), raw, req) as z.output<S>[], envelope };
  }

  async function zone(signal?: AbortSignal): Promise<string | undefined> {
    // why: the clinic's configured zone wins; a location's Timezone field is read only if it exists
    if (target.timeZone) return target.timeZone;
    if (timeZone === undefined) {
      const { items } = await results("getLocations", "locations", V2LocationSchema, {}, signal);
      timeZone = items.find((l) => l.Timezone)?.Timezone ?? "";
    }
    return timeZone || undefined;
  }

  async function* list<S extends z.ZodType, T>(
    fn: string,
    field: string,
    item: S,
    map: (raw: z.output<S>, tz: string | undefined) => T,
    updatedAt: (t: T) => string | null,
    opts: ListOptions = {},
  ): AsyncIterable<Page<T>> {
    const tz = await zone(opts.signal);
    const params: Record<string, string> = { page_length: String(PAGE_LENGTH) };
    // why: v2 reads last_modified as wall-clock time in the practice's zone
    if (opts.since) params.last_modified = tz ? toLocalDateTime(opts.since, tz) : opts.since.replace("T", " ").replace(/(\.\d+)?Z$/, "");
    let latest = opts.since;
    for (let page = 1; ; page++) {
      const { items, envelope } = await results(fn, field, item, { ...params, page: String(page) }, opts.signal);
      const mapped = items.map((raw) => map(raw, tz));
      for (const it of mapped) latest = laterOf(latest, updatedAt(it));
      const next = envelope.settings?.nextPage;
      const hasNext = next !== null && next !== undefined && next !== "" && Number(next) > page && mapped.length > 0;
      yield { items: mapped, page, totalItems: envelope.details?.totalItems ?? undefined, cursor: hasNext ? undefined : (overlapCursor(latest) ?? opts.since) };
      if (!hasNext) return;
    }
  }

  const toPatient = (p: z.infer<typeof V2PatientSchema>, tz?: string): PatientRecord => ({
    id: p.ID,
    firstName: p.FirstName ?? "",
    lastName: p.LastName ?? "",
    dateOfBirth: p.DOB && !p.DOB.startsWith("0000") ? p.DOB : null,
    email: p.Email || null,
    locationId: p.LocationID ?? null,
    archived: p.active === false,
    createdAt: normalizeTimestamp(p.DateCreated, tz),
    updatedAt: normalizeTimestamp(p.DateModified, tz),
  });

  /** The total from `details.totalItems` when sent; otherwise counted by paging (capped). Also one patient's id. */
  async function countVisible(signal?: AbortSignal, maxPages = COUNT_PAGES): Promise<{ count: number; capped: boolean; firstId: string | undefined }> {
    let count = 0;
    let firstId: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const { items, envelope } = await results("getPatients", "patients", V2PatientSchema, { page: String(page), page_length: String(PAGE_LENGTH) }, signal);
      firstId ??= items[0]?.ID;
      const total = envelope.details?.totalItems;
      if (page === 1 && total != null && total >= items.length) return { count: total, capped: false, firstId };
      count += items.length;
      const next = envelope.settings?.nextPage;
      if (next === null || next === undefined || next === "" || items.length === 0) return { count, capped: false, firstId };
    }
    return { count, capped: true, firstId };
  }

  /**
   * Clinical Notes access, with a call that is valid for this key: `getAllTreatmentNotes` takes no
   * patient; where it is unknown (HTML 404) or wants a variable, `getTreatmentNotes` is asked
   * about one visible patient — public sources show it requires `patient_id`.
   */
  async function checkClinicalNotes(patientId: string | undefined, signal?: AbortSignal): Promise<void> {
    try {
      await call("getAllTreatmentNotes", { page: "1", page_length: "1" }, signal);
      return;
    } catch (err) {
      const unknownFunction = err instanceof VendorError && err.kind === "http" && err.status === 404;
      const wantsVariable = err instanceof VendorError && err.kind === "vendor_failure" && /missing variable|required/i.test(err.vendorMessage ?? "");
      if (!unknownFunction && !wantsVariable) throw err;
      // why: with no visible patient there is nothing valid to ask; zero patients is reported anyway
      if (patientId === undefined) return;
    }
    await call("getTreatmentNotes", { patient_id: patientId, page: "1", page_length: "1" }, signal);
  }

  return {
    vendor: "nookal",
    region,
    apiVersion: "v2",
    // why: v2 locations carry no modified date; sync refreshes them whole every run
    async *locations(opts: ListOptions = {}): AsyncIterable<Page<LocationRecord>> {
      const { items } = await results("getLocations", "locations", V2LocationSchema, {}, opts.signal);
      yield {
        items: items.map((l) => ({ id: l.ID, name: l.Name, timeZone: l.Timezone || null, country: null, archived: false, updatedAt: null })),
        page: 1,
        totalItems: items.length,
      };
    },
    async authenticate(opts = {}) {
      await call("verify", {}, opts.signal);
    },
    async verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
      const { envelope } = await call("verify", {}, opts.signal);
      const practiceName = z.object({ practiceName: z.string() }).safeParse(envelope.data?.results);
      // why: no public source shows a practice id in verify; read one only if Nookal sends it
      const practiceId = z.object({ practiceID: z.union([z.string(), z.number()]) }).safeParse(envelope.data?.results);
      const { items: locations } = await results("getLocations", "locations", V2LocationSchema, {}, opts.signal);
      timeZone = locations.find((l) => l.Timezone)?.Timezone ?? "";
      const visible = await countVisible(opts.signal, opts.maxPatientPages);
      if (opts.requireClinicalNotes !== false) await checkClinicalNotes(visible.firstId, opts.signal);
      const zoneOf = (l: z.infer<typeof V2LocationSchema>) => target.timeZone ?? l.Timezone ?? undefined;
      return {
        vendor: "nookal",
        region,
        apiVersion: "v2",
        user: { id: locations[0]?.ID ?? "nookal", name: practiceName.success ? practiceName.data.practiceName : (locations[0]?.Name ?? "Nookal practice") },
        locations: locations.map((l) => ({ id: l.ID, name: l.Name, ...(zoneOf(l) ? { timeZone: zoneOf(l) } : {}) })),
        practice: {
          ...(practiceName.success ? { name: practiceName.data.practiceName } : {}),
          ...(practiceId.success ? { id: String(practiceId.data.practiceID) } : {}),
        },
        visiblePatients: visible.count,
        ...(visible.capped ? { visiblePatientsAtLeast: true } : {}),
      };
    },
    async countPatients(opts = {}) {
      return (await countVisible(opts.signal)).count;
    },
    async searchPatients(name, opts = {}): Promise<PatientSummary[]> {
      const words = name.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return [];
      const limit = Math.min(PAGE_LENGTH, Math.max(1, opts.limit ?? 20));
      const attempts: Record<string, string>[] =
        words.length >= 2 ? [{ first_name: words[0]!, last_name: words.slice(1).join(" ") }] : [{ last_name: words[0]! }, { first_name: words[0]! }];
      const seen = new Map<string, PatientSummary>();
      for (const params of attempts) {
        const { items } = await results("searchPatients", "patients", V2PatientSchema, { ...params, page: "1", page_length: String(limit) }, opts.signal);
        for (const p of items)
          if (seen.size < limit && !seen.has(p.ID))
            seen.set(p.ID, { id: p.ID, firstName: p.FirstName ?? "", lastName: p.LastName ?? "", dateOfBirth: p.DOB ?? null });
      }
      return [...seen.values()];
    },
    patients: (opts) => list("getPatients", "patients", V2PatientSchema, toPatient, (p) => p.updatedAt, opts),
    practitioners: (opts) =>
      list(
        "getPractitioners",
        "practitioners",
        V2PractitionerSchema,
        (p, tz) => ({
          id: p.ID,
          firstName: p.FirstName ?? "",
          lastName: p.LastName ?? "",
          designation: p.Speciality,
          active: p.active ?? true,
          updatedAt: normalizeTimestamp(p.DateModified, tz),
        }),
        (p) => p.updatedAt,
        opts,
      ),
    appointmentTypes: (opts) =>
      list(
        "getAppointmentTypes",
        "appointmentTypes",
        V2AppointmentTypeSchema,
        (t, tz) => ({
          id: t.ID,
          name: t.Name,
          durationMinutes: t.Duration == null || Number.isNaN(Number(t.Duration)) ? null : Number(t.Duration),
          archived: t.active === false,
          updatedAt: normalizeTimestamp(t.DateModified, tz),
        }),
        (t) => t.updatedAt,
        opts,
      ),
    appointments: (opts) =>
      list(
        "getAppointments",
        "appointments",
        V2AppointmentSchema,
        (a, tz): AppointmentRecord => ({
          id: a.ID,
          startsAt: normalizeTimestamp(`${a.appointmentDate} ${a.startTime}`, tz) ?? `${a.appointmentDate}T${a.startTime}`,
          endsAt: a.endTime ? normalizeTimestamp(`${a.appointmentDate} ${a.endTime}`, tz) : null,
          patientId: a.patientID ?? null,
          practitionerId: a.practitionerID ?? null,
          appointmentTypeId: a.appointmentTypeID ?? null,
          locationId: a.locationID ?? null,
          status: appointmentStatus(a.Status, { arrived: a.arrived, cancelled: a.cancelled, dna: a.DNA }),
          cancelledAt: normalizeTimestamp(a.cancellationDate, tz),
          cancellationReason: null,
          deleted: false,
          updatedAt: normalizeTimestamp(a.DateModified, tz),
        }),
        (a) => a.updatedAt,
        opts,
      ),
    invoices: (opts) =>
      list(
        "getInvoices",
        "invoices",
        V2InvoiceSchema,
        (i, tz): InvoiceRecord => ({
          id: i.ID,
          number: i.InvoiceNumber == null ? null : String(i.InvoiceNumber),
          issueDate: i.InvoiceDate,
          status: invoiceStatus(i.Status),
          vendorStatus: i.Status ?? "",
          totalAmount: i.Total,
          netAmount: null,
          taxAmount: i.Tax ?? null,
          patientId: i.PatientID ?? null,
          practitionerId: i.PractitionerID ?? null,
          appointmentId: i.AppointmentID ?? null,
          closedAt: null,
          deleted: false,
          updatedAt: normalizeTimestamp(i.DateModified, tz),
        }),
        (i) => i.updatedAt,
        opts,
      ),
  };
}
