import { z } from "zod";
import type { VendorClient, VendorClientDeps, VerifyOptions } from "./client.ts";
import { VendorError } from "./errors.ts";
import { appointmentStatus, ensureNookalKey, FlagSchema, invoiceStatus, nookalFailure } from "./nookal-common.ts";
import { defaultTokenCache, tokenCacheId, type CachedToken } from "./nookal-token-cache.ts";
import { IdSchema, laterOf, MoneySchema, NullableText, overlapCursor, parseJson, parseWith } from "./parse.ts";
import { normalizeTimestamp } from "./time.ts";
import { httpError, vendorFetch, vendorText, type VendorRequest } from "./transport.ts";
import type { AppointmentRecord, AppointmentTypeRecord, ConnectionTarget, InvoiceRecord, ListOptions, Page, PatientRecord, PatientSummary, PractitionerRecord, VendorSettings, VerifyResult } from "./types.ts";
import type { NookalRegion } from "../vocabulary.ts";

/**
 * Nookal API v3: the Basic Key buys a bearer token at /oauth/token, cached until shortly before
 * it expires; GraphQL at /graphql. A 401 on /graphql means the token died (expired, key
 * disabled): fetch a new one once, and let the token endpoint say what is wrong with the key.
 */

export const NookalTokenSchema = z.union([
  z.object({ accessToken: z.string().min(1), accessTokenExpiresAt: z.string().nullish() }).transform((t) => ({ token: t.accessToken, expiresAt: t.accessTokenExpiresAt ? Date.parse(t.accessTokenExpiresAt) : Number.NaN, expiresIn: undefined as number | undefined })),
  z.object({ access_token: z.string().min(1), expires_in: z.number().nullish() }).transform((t) => ({ token: t.access_token, expiresAt: Number.NaN, expiresIn: t.expires_in ?? undefined })),
]);

const GraphQLErrorsSchema = z.object({
  errors: z.array(z.object({ message: z.string(), extensions: z.object({ code: z.string().nullish() }).loose().nullish() }).loose()).min(1),
});

export const NookalClientSchema = z.object({
  clientID: IdSchema,
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  DOB: NullableText,
  email: NullableText,
  locationID: IdSchema.nullish(),
  active: FlagSchema,
  dateCreated: NullableText,
  dateModified: NullableText,
});
const NookalPractitionerSchema = z.object({
  practitionerID: IdSchema,
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  speciality: NullableText,
  active: FlagSchema,
  dateModified: NullableText,
});
const NookalAppointmentTypeSchema = z.object({
  appointmentTypeID: IdSchema,
  name: z.string(),
  durationMinutes: z.union([z.number(), z.string()]).nullish(),
  active: FlagSchema,
  dateModified: NullableText,
});
const NookalAppointmentSchema = z.object({
  appointmentID: IdSchema,
  clientID: IdSchema.nullish(),
  practitionerID: IdSchema.nullish(),
  appointmentTypeID: IdSchema.nullish(),
  locationID: IdSchema.nullish(),
  startDateTime: z.string(),
  endDateTime: NullableText,
  status: NullableText,
  arrived: FlagSchema,
  cancelledAt: NullableText,
  cancellationReason: NullableText,
  dateModified: NullableText,
});
const NookalInvoiceSchema = z.object({
  invoiceID: IdSchema,
  invoiceNumber: z.union([z.string(), z.number()]).nullish(),
  invoiceDate: NullableText,
  clientID: IdSchema.nullish(),
  practitionerID: IdSchema.nullish(),
  appointmentID: IdSchema.nullish(),
  status: NullableText,
  total: MoneySchema,
  tax: MoneySchema.nullish(),
  dateModified: NullableText,
});
const PracticeSchema = z.object({ practiceID: IdSchema, name: z.string(), timezone: NullableText });
const LocationSchema = z.object({ locationID: IdSchema, name: z.string(), timezone: NullableText });

const SELECT = {
  clients: "clientID firstName lastName DOB email locationID active dateCreated dateModified",
  practitioners: "practitionerID firstName lastName speciality active dateModified",
  appointmentTypes: "appointmentTypeID name durationMinutes active dateModified",
  appointments: "appointmentID clientID practitionerID appointmentTypeID locationID startDateTime endDateTime status arrived cancelledAt cancellationReason dateModified",
  invoices: "invoiceID invoiceNumber invoiceDate clientID practitionerID appointmentID status total tax dateModified",
};

const PAGE_LENGTH = 200;
// why: refresh a little early so a token never expires between our check and the vendor's
const TOKEN_SKEW_MS = 30_000;
const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000;
const inflightTokens = new Map<string, Promise<CachedToken>>();

export function createNookalV3Client(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  const region = target.region;
  const baseUrl = (settings.nookalV3BaseUrls[region as NookalRegion] ?? "").replace(/\/+$/, "");
  const now = deps.now ?? Date.now;
  const cache = deps.tokenCache ?? defaultTokenCache;
  const userAgent = `${settings.appName} (${settings.contactEmail})`;
  // why: Nookal publishes no rate limit; the limiter is used only when one is passed in
  const bucket = deps.rateLimiter ? `nookal:${tokenCacheId(region, baseUrl, target.key).slice(0, 22)}` : undefined;
  let listShape: "page" | "array" | undefined;
  let timeZone: string | undefined;

  function prepare(): string {
    const key = ensureNookalKey(target.key, region);
    if (!baseUrl) {
      throw new VendorError({ vendor: "nookal", region, kind: "network", socketCode: "ENOTCONFIGURED", message: `No Nookal API URL is configured for region "${region}"` });
    }
    return key;
  }

  async function fetchToken(key: string, signal?: AbortSignal): Promise<CachedToken> {
    const req: VendorRequest = {
      vendor: "nookal",
      region,
      method: "POST",
      url: `${baseUrl}/oauth/token`,
      path: "/oauth/token",
      headers: { Authorization: `Basic ${key}`, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", "User-Agent": userAgent },
      body: "grant_type=client_credentials",
      timeoutMs: settings.timeoutMs,
      bucket,
      signal,
    };
    const res = await vendorFetch(req, deps);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    const failure = nookalFailure(body, req, res.status);
    if (failure) throw failure;
    if (res.status < 200 || res.status >= 300) {
      const err = httpError(req, res);
      const oauth = z.object({ error: z.string(), error_description: z.string().nullish() }).safeParse(body);
      if (!oauth.success) throw err;
      throw new VendorError({ ...errorInit(err), vendorMessage: oauth.data.error_description ?? oauth.data.error, vendorCode: oauth.data.error });
    }
    if (body === undefined) parseJson(req, res);
    const t = parseWith(NookalTokenSchema, body, req, res);
    const expiresAt = Number.isFinite(t.expiresAt) ? t.expiresAt : now() + (t.expiresIn !== undefined ? t.expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_MS);
    return { token: t.token, expiresAt };
  }

  async function token(key: string, signal: AbortSignal | undefined, force: boolean): Promise<string> {
    const id = tokenCacheId(region, baseUrl, key);
    const cached = cache.get(id);
    if (!force && cached && cached.expiresAt - TOKEN_SKEW_MS > now()) return cached.token;
    if (force) cache.delete(id);
    let pending = inflightTokens.get(id);
    if (!pending) {
      pending = fetchToken(key, signal).finally(() => inflightTokens.delete(id));
      inflightTokens.set(id, pending);
    }
    const fresh = await pending;
    cache.set(id, fresh);
    return fresh.token;
  }

  async function graphql(query: string, variables: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const key = prepare();
    for (let attempt = 0; ; attempt++) {
      const bearer = await token(key, signal, attempt > 0);
      const req: VendorRequest = {
        vendor: "nookal",
        region,
        method: "POST",
        url: `${baseUrl}/graphql`,
        path: "/graphql",
        headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json", Accept: "application/json", "User-Agent": userAgent },
        body: JSON.stringify({ query, variables }),
        timeoutMs: settings.timeoutMs,
        bucket,
        signal,
      };
      const res = await vendorFetch(req, deps);
      if (res.status === 401 && attempt === 0) continue;
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        body = undefined;
      }
      const failure = nookalFailure(body, req, res.status);
      if (failure) throw failure;
      if (res.status < 200 || res.status >= 300) throw httpError(req, res);
      if (body === undefined) parseJson(req, res);
      const errors = GraphQLErrorsSchema.safeParse(body);
      if (errors.success) {
        const message = errors.data.errors.map((e) => e.message).join("; ");
        throw new VendorError({
          vendor: "nookal",
          region,
          request: { method: "POST", path: "/graphql" },
          kind: "vendor_failure",
          status: res.status,
          vendorMessage: vendorText(message),
          vendorCode: errors.data.errors[0]?.extensions?.code ?? undefined,
          message: `Nookal rejected the query: ${vendorText(message).slice(0, 200)}`,
        });
      }
      const data = parseWith(z.object({ data: z.record(z.string(), z.unknown()) }), body, req, res);
      return data.data;
    }
  }

  /** Practice time zone, for timestamps sent without a zone. */
  async function zone(signal?: AbortSignal): Promise<string | undefined> {
    if (timeZone === undefined) {
      const data = await graphql("{ practice { practiceID name timezone } }", {}, signal);
      timeZone = parseWith(PracticeSchema, data.practice, { vendor: "nookal", region, method: "POST", path: "/graphql practice" }).timezone ?? "";
    }
    return timeZone || undefined;
  }

  const isShapeError = (err: unknown) =>
    err instanceof VendorError && err.kind === "vendor_failure" && /Cannot query field "(totalItems|items|currentPage|nextPage|pageLength)"|must not have a selection|must have a selection/i.test(err.vendorMessage ?? "");

  /** One page of a list field, in whichever shape this Nookal serves ({items,…} or a bare list). */
  async function fetchPage(field: string, select: string, args: Record<string, unknown>, page: number, pageLength: number, signal?: AbortSignal) {
    const declared = Object.keys(args).map((k) => `, $${k}: ${typeof args[k] === "number" ? "Int" : "String"}`).join("");
    const passed = Object.keys(args).map((k) => `, ${k}: $${k}`).join("");
    const head = `query List($page: Int, $pageLength: Int${declared}) { list: ${field}(page: $page, pageLength: $pageLength${passed})`;
    const variables = { ...args, page, pageLength };
    const run = async (shape: "page" | "array") => {
      const q = shape === "page" ? `${head} { totalItems currentPage nextPage pageLength items { ${select} } } }` : `${head} { ${select} } }`;
      return (await graphql(q, variables, signal)).list;
    };
    let raw: unknown;
    if (listShape === undefined) {
      try {
        raw = await run("page");
        listShape = Array.isArray(raw) ? "array" : "page";
      } catch (err) {
        if (!isShapeError(err)) throw err;
        listShape = "array";
        raw = await run("array");
      }
    } else raw = await run(listShape);
    const req = { vendor: "nookal" as const, region, method: "POST" as const, path: `/graphql ${field}` };
    if (Array.isArray(raw)) return { items: raw as unknown[], totalItems: undefined, hasNext: raw.length >= pageLength };
    const p = parseWith(z.object({ items: z.array(z.unknown()), totalItems: z.number().int().nullish(), nextPage: z.number().int().nullish() }), raw, req);
    return { items: p.items, totalItems: p.totalItems ?? undefined, hasNext: p.nextPage != null && p.items.length > 0 };
  }

  async function* list<S extends z.ZodType, T>(field: keyof typeof SELECT, item: S, map: (raw: z.output<S>, tz: string | undefined) => T, updatedAt: (t: T) => string | null, opts: ListOptions = {}, args: Record<string, unknown> = {}): AsyncIterable<Page<T>> {
    const tz = await zone(opts.signal);
    const req = { vendor: "nookal" as const, region, method: "POST" as const, path: `/graphql ${field}` };
    const allArgs = opts.since ? { ...args, modifiedSince: opts.since } : args;
    let latest = opts.since;
    for (let page = 1; ; page++) {
      const p = await fetchPage(field, SELECT[field], allArgs, page, PAGE_LENGTH, opts.signal);
      const items = parseWith(z.array(item), p.items, req).map((raw) => map(raw, tz));
      for (const it of items) latest = laterOf(latest, updatedAt(it));
      // why: Nookal does not promise an order, so only a finished pass yields a cursor to persist
      yield { items, page, totalItems: p.totalItems, cursor: p.hasNext ? undefined : (overlapCursor(latest) ?? opts.since) };
      if (!p.hasNext) return;
    }
  }

  const toPatient = (c: z.infer<typeof NookalClientSchema>, tz?: string): PatientRecord => ({
    id: c.clientID,
    firstName: c.firstName ?? "",
    lastName: c.lastName ?? "",
    dateOfBirth: c.DOB && !c.DOB.startsWith("0000") ? c.DOB : null,
    email: c.email,
    locationId: c.locationID ?? null,
    archived: c.active === false,
    createdAt: normalizeTimestamp(c.dateCreated, tz),
    updatedAt: normalizeTimestamp(c.dateModified, tz),
  });

  async function countPatients(opts: { signal?: AbortSignal } = {}): Promise<number> {
    const first = await fetchPage("clients", "clientID", {}, 1, listShape === "array" ? PAGE_LENGTH : 1, opts.signal);
    if (first.totalItems !== undefined) return first.totalItems;
    // why: a Nookal that sends bare lists gives no total; count by paging from the start
    let count = 0;
    for (let page = 1; ; page++) {
      const p = await fetchPage("clients", "clientID", {}, page, PAGE_LENGTH, opts.signal);
      count += p.items.length;
      if (!p.hasNext) break;
    }
    return count;
  }

  return {
    vendor: "nookal",
    region,
    apiVersion: "v3",
    async authenticate(opts = {}) {
      await token(prepare(), opts.signal, false);
    },
    async verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
      const data = await graphql("{ practice { practiceID name timezone } locations { locationID name timezone } }", {}, opts.signal);
      const req = { vendor: "nookal" as const, region, method: "POST" as const, path: "/graphql verify" };
      const practice = parseWith(PracticeSchema, data.practice, req);
      const locations = parseWith(z.array(LocationSchema), data.locations, req);
      timeZone = practice.timezone ?? "";
      const visiblePatients = await countPatients(opts);
      if (opts.requireClinicalNotes !== false) {
        // why: a key without Clinical Notes access answers everything else; ask the one thing it cannot do
        await fetchPage("treatmentNotes" as keyof typeof SELECT, "noteID", {}, 1, 1, opts.signal);
      }
      return {
        vendor: "nookal",
        region,
        apiVersion: "v3",
        user: { id: practice.practiceID, name: practice.name },
        locations: locations.map((l) => ({ id: l.locationID, name: l.name, timeZone: l.timezone ?? practice.timezone ?? undefined })),
        visiblePatients,
      };
    },
    countPatients,
    async searchPatients(name, opts = {}): Promise<PatientSummary[]> {
      const term = name.trim();
      if (!term) return [];
      const limit = Math.min(200, Math.max(1, opts.limit ?? 20));
      const p = await fetchPage("clients", SELECT.clients, { search: term }, 1, limit, opts.signal);
      const items = parseWith(z.array(NookalClientSchema), p.items, { vendor: "nookal", region, method: "POST", path: "/graphql clients" });
      return items.slice(0, limit).map((c) => ({ id: c.clientID, firstName: c.firstName ?? "", lastName: c.lastName ?? "", dateOfBirth: c.DOB ?? null }));
    },
    patients: (opts) => list("clients", NookalClientSchema, toPatient, (p) => p.updatedAt, opts),
    practitioners: (opts) =>
      list(
        "practitioners",
        NookalPractitionerSchema,
        (p, tz): PractitionerRecord => ({ id: p.practitionerID, firstName: p.firstName ?? "", lastName: p.lastName ?? "", designation: p.speciality, active: p.active ?? true, updatedAt: normalizeTimestamp(p.dateModified, tz) }),
        (p) => p.updatedAt,
        opts,
      ),
    appointmentTypes: (opts) =>
      list(
        "appointmentTypes",
        NookalAppointmentTypeSchema,
        (t, tz): AppointmentTypeRecord => ({
          id: t.appointmentTypeID,
          name: t.name,
          durationMinutes: t.durationMinutes == null || Number.isNaN(Number(t.durationMinutes)) ? null : Number(t.durationMinutes),
          archived: t.active === false,
          updatedAt: normalizeTimestamp(t.dateModified, tz),
        }),
        (t) => t.updatedAt,
        opts,
      ),
    appointments: (opts) =>
      list(
        "appointments",
        NookalAppointmentSchema,
        (a, tz): AppointmentRecord => ({
          id: a.appointmentID,
          startsAt: normalizeTimestamp(a.startDateTime, tz) ?? a.startDateTime,
          endsAt: normalizeTimestamp(a.endDateTime, tz),
          patientId: a.clientID ?? null,
          practitionerId: a.practitionerID ?? null,
          appointmentTypeId: a.appointmentTypeID ?? null,
          locationId: a.locationID ?? null,
          status: appointmentStatus(a.status, { arrived: a.arrived, cancelled: a.cancelledAt ? true : null }),
          cancelledAt: normalizeTimestamp(a.cancelledAt, tz),
          cancellationReason: a.cancellationReason,
          deleted: false,
          updatedAt: normalizeTimestamp(a.dateModified, tz),
        }),
        (a) => a.updatedAt,
        opts,
      ),
    invoices: (opts) =>
      list(
        "invoices",
        NookalInvoiceSchema,
        (i, tz): InvoiceRecord => ({
          id: i.invoiceID,
          number: i.invoiceNumber == null ? null : String(i.invoiceNumber),
          issueDate: i.invoiceDate,
          status: invoiceStatus(i.status),
          vendorStatus: i.status ?? "",
          totalAmount: i.total,
          netAmount: null,
          taxAmount: i.tax ?? null,
          patientId: i.clientID ?? null,
          practitionerId: i.practitionerID ?? null,
          appointmentId: i.appointmentID ?? null,
          closedAt: null,
          deleted: false,
          updatedAt: normalizeTimestamp(i.dateModified, tz),
        }),
        (i) => i.updatedAt,
        opts,
      ),
  };
}

function errorInit(err: VendorError) {
  return { vendor: err.vendor, kind: err.kind, message: err.message, status: err.status, request: err.request, region: err.region };
}
