import { z } from "zod";
import type { VendorClient, VendorClientDeps, VerifyOptions } from "./client.ts";
import { VendorError } from "./errors.ts";
import { appointmentStatus, ensureNookalKey, FlagSchema, invoiceStatus, nookalFailure } from "./nookal-common.ts";
import { defaultTokenStore, nookalTokenId, type StoredToken } from "./nookal-token-store.ts";
import { IdSchema, laterOf, MoneySchema, NullableText, overlapCursor, parseJson, parseWith } from "./parse.ts";
import { normalizeTimestamp } from "./time.ts";
import { httpError, vendorFetch, vendorText, type VendorRequest } from "./transport.ts";
import type {
  LocationRecord,
  AppointmentRecord,
  AppointmentTypeRecord,
  ConnectionTarget,
  InvoiceRecord,
  ListOptions,
  Page,
  PatientRecord,
  PatientSummary,
  PractitionerRecord,
  VendorSettings,
  VerifyResult,
} from "./types.ts";
import type { NookalRegion } from "../vocabulary.ts";

/**
 * Nookal API v3, built only on what public clients show (docs/decisions/0020-nookal-attested-facts.md):
 * the Basic Key, verbatim, buys a bearer token at /oauth/token (form `grant_type=client_credentials`
 * → `accessToken`, `accessTokenExpiresAt`); GraphQL at /graphql. The token is shared by every
 * process through the injected NookalTokenStore, because a new token may invalidate older ones.
 * GraphQL `errors[]` are read whatever the HTTP status; a token problem ("Token has expired",
 * seen as a 400, or any 401) refreshes the token once and retries.
 */

const NookalTokenSchema = z.union([
  z
    .object({ accessToken: z.string().min(1), accessTokenExpiresAt: z.union([z.string(), z.number()]).nullish() })
    .transform((t) => ({ token: t.accessToken, expiresAt: expiryOf(t.accessTokenExpiresAt), expiresIn: undefined as number | undefined })),
  // why: tolerated, not attested — an OAuth-standard answer would look like this
  z
    .object({ access_token: z.string().min(1), expires_in: z.number().nullish() })
    .transform((t) => ({ token: t.access_token, expiresAt: Number.NaN, expiresIn: t.expires_in ?? undefined })),
]);

/** `accessTokenExpiresAt` as epoch ms: ISO text, or epoch seconds/ms (the format is not public). */
function expiryOf(v: string | number | null | undefined): number {
  if (v === null || v === undefined || v === "") return Number.NaN;
  const n = typeof v === "number" ? v : /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (Number.isFinite(n)) return n < 1e12 ? n * 1000 : n;
  return Date.parse(String(v));
}

const GraphQLErrorSchema = z
  .object({
    message: z.string(),
    path: z.array(z.union([z.string(), z.number()])).nullish(),
    extensions: z.object({ code: z.string().nullish() }).loose().nullish(),
  })
  .loose();
const GraphQLBodySchema = z.object({ errors: z.array(GraphQLErrorSchema).min(1), data: z.record(z.string(), z.unknown()).nullish() }).loose();

// why: one public client reports "Token has expired" with HTTP 400; other wordings are guesses
const TOKEN_PROBLEM = /\btoken\b[^.]*\b(expired|invalid|revoked|not valid|unknown)\b|\b(expired|invalid|revoked) (access )?token\b|unauthenticated|\bjwt\b/i;
// why: a field that came back null because the server failed is an outage, not a refusal
const SERVER_FAULT = /internal|timed? ?out|unavailable|try again|overloaded|maintenance/i;

// Attested fields only (healthia-au/nookal-graphql): other selections stay out of the probe's path.
const NookalClientSchema = z.object({
  clientID: IdSchema,
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  DOB: NullableText,
  locationID: IdSchema.nullish(),
  active: FlagSchema,
  dateCreated: NullableText,
  dateModified: NullableText,
});
// Not attested: no public client reads practitioners, appointment types, appointments or invoices
// over v3; these names are the simulator's own choice, used by sync only.
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
const LocationSchema = z.object({ locationID: IdSchema, name: z.string().nullish() });

const LISTS = {
  clients: { id: "clientID", select: "clientID firstName lastName DOB locationID active dateCreated dateModified" },
  locations: { id: "locationID", select: "locationID name" },
  treatmentNotes: { id: "noteID", select: "noteID" },
  practitioners: { id: "practitionerID", select: "practitionerID firstName lastName speciality active dateModified" },
  appointmentTypes: { id: "appointmentTypeID", select: "appointmentTypeID name durationMinutes active dateModified" },
  appointments: {
    id: "appointmentID",
    select:
      "appointmentID clientID practitionerID appointmentTypeID locationID startDateTime endDateTime status arrived cancelledAt cancellationReason dateModified",
  },
  invoices: { id: "invoiceID", select: "invoiceID invoiceNumber invoiceDate clientID practitionerID appointmentID status total tax dateModified" },
} as const;
type ListField = keyof typeof LISTS;

const PAGE_LENGTH = 200;
/** Counting visible patients stops after this many pages and reports "at least N". */
const DEFAULT_PATIENT_COUNT_PAGES = 10;
// why: refresh a little early so a token never expires between our check and the vendor's
const TOKEN_SKEW_MS = 30_000;
const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000;

type ArgValue = string | number | boolean | readonly (string | number)[];

/**
 * Arguments inlined as literals: public clients show the argument names but not their declared
 * types (Int or Int!, ID or String), and a variable declared with the wrong type fails the query.
 */
function argText(args: Record<string, ArgValue | undefined>): string {
  const lit = (v: ArgValue): string => (Array.isArray(v) ? `[${v.map((x) => lit(x)).join(", ")}]` : typeof v === "string" ? JSON.stringify(v) : String(v));
  return Object.entries(args)
    .filter((e): e is [string, ArgValue] => e[1] !== undefined)
    .map(([k, v]) => `${k}: ${lit(v)}`)
    .join(", ");
}

export function createNookalV3Client(target: ConnectionTarget, settings: VendorSettings, deps: VendorClientDeps = {}): VendorClient {
  const region = target.region;
  const baseUrl = (settings.nookalV3BaseUrls[region as NookalRegion] ?? "").replace(/\/+$/, "");
  const now = deps.now ?? Date.now;
  const store = deps.tokenStore ?? defaultTokenStore;
  const userAgent = `${settings.appName} (${settings.contactEmail})`;
  const tokenId = nookalTokenId(region, baseUrl, target.key);
  // why: Nookal publishes no rate limit; the limiter is used only when one is passed in
  const bucket = deps.rateLimiter ? `nookal:${tokenId.slice(0, 22)}` : undefined;
  // why: no public client reads a time zone over v3; naive timestamps use the configured zone
  const timeZone = target.timeZone;
  let bearer: StoredToken | undefined;
  let listShape: "bare" | "wrapped" | undefined;
  let pageBase: 0 | 1 | undefined;
  let sinceArgument: boolean | undefined;

  function prepare(): string {
    const key = ensureNookalKey(target.key, region);
    if (!baseUrl) {
      throw new VendorError({
        vendor: "nookal",
        region,
        kind: "network",
        socketCode: "ENOTCONFIGURED",
        message: `No Nookal API URL is configured for region "${region}"`,
      });
    }
    return key;
  }

  async function mint(key: string, signal?: AbortSignal): Promise<StoredToken> {
    const req: VendorRequest = {
      vendor: "nookal",
      region,
      method: "POST",
      url: `${baseUrl}/oauth/token`,
      path: "/oauth/token",
      // why: the Basic Key is already the encoded credential; re-encoding it is a known mistake
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
    const gql = GraphQLBodySchema.safeParse(body);
    if (gql.success) throw queryError(req, res.status, gql.data.errors, null, []);
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

  /** The shared token: this client's copy, else the store's, else one minted through the store. */
  async function token(key: string, signal?: AbortSignal): Promise<string> {
    const validAfter = now() + TOKEN_SKEW_MS;
    if (bearer && bearer.expiresAt > validAfter) return bearer.token;
    const stored = await store.get(tokenId);
    if (stored && stored.expiresAt > validAfter) bearer = stored;
    else bearer = await store.refresh(tokenId, { stale: stored?.token, validAfter }, () => mint(key, signal));
    return bearer.token;
  }

  async function renew(key: string, refused: string, signal?: AbortSignal): Promise<string> {
    bearer = await store.refresh(tokenId, { stale: refused, validAfter: now() + TOKEN_SKEW_MS }, () => mint(key, signal));
    return bearer.token;
  }

  function queryError(
    req: Pick<VendorRequest, "method" | "path">,
    status: number,
    errors: z.infer<typeof GraphQLErrorSchema>[],
    data: Record<string, unknown> | null | undefined,
    fields: string[],
  ): VendorError {
    const message = vendorText(errors.map((e) => e.message).join("; "));
    const code = errors.find((e) => e.extensions?.code)?.extensions?.code ?? undefined;
    const base = { vendor: "nookal" as const, region, request: { method: req.method, path: req.path }, status, vendorMessage: message, vendorCode: code };
    // why: a key without a query's permission gets that field as null next to an error; name the query
    const nulls = data ? fields.filter((f) => data[f] === null) : [];
    const pathed = errors.map((e) => (typeof e.path?.[0] === "string" ? e.path[0] : undefined)).find((f) => f !== undefined && nulls.includes(f));
    const refusedField = pathed ?? (nulls.length === 1 && errors.every((e) => !e.path?.length) ? nulls[0] : undefined);
    if (refusedField && !SERVER_FAULT.test(message)) {
      return new VendorError({
        ...base,
        kind: "refused",
        field: refusedField,
        message: `Nookal refused the ${refusedField} query for this key: ${message.slice(0, 200)}`,
      });
    }
    if (status === 401 || status === 403 || status >= 500)
      return new VendorError({ ...base, kind: "http", message: `Nookal answered ${status}: ${message.slice(0, 200)}` });
    return new VendorError({ ...base, kind: "vendor_failure", message: `Nookal rejected the query: ${message.slice(0, 200)}` });
  }

  /** One GraphQL query; `fields` are its top-level fields (for naming a refused one). */
  async function graphql(query: string, fields: string[], signal?: AbortSignal): Promise<Record<string, unknown>> {
    const key = prepare();
    let current = await token(key, signal);
    for (let attempt = 0; ; attempt++) {
      const req: VendorRequest = {
        vendor: "nookal",
        region,
        method: "POST",
        url: `${baseUrl}/graphql`,
        path: `/graphql ${fields.join(",")}`,
        headers: { Authorization: `Bearer ${current}`, "Content-Type": "application/json", Accept: "application/json", "User-Agent": userAgent },
        body: JSON.stringify({ query }),
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
      const gql = GraphQLBodySchema.safeParse(body);
      const tokenProblem = res.status === 401 || (gql.success && !gql.data.data && gql.data.errors.some((e) => TOKEN_PROBLEM.test(e.message)));
      if (tokenProblem && attempt === 0) {
        current = await renew(key, current, signal);
        continue;
      }
      const failure = nookalFailure(body, req, res.status);
      if (failure) throw failure;
      if (gql.success) throw queryError(req, res.status, gql.data.errors, gql.data.data, fields);
      if (res.status < 200 || res.status >= 300) throw httpError(req, res);
      if (body === undefined) parseJson(req, res);
      return parseWith(z.object({ data: z.record(z.string(), z.unknown()) }), body, req, res).data;
    }
  }

  const WrapperSchema = z.object({ items: z.array(z.unknown()), totalItems: z.coerce.number().int().nullish() }).loose();

  /** One page of a list field: a bare list (attested), or an `{ totalItems, items }` wrapper if this Nookal sends one. */
  async function fetchPage(
    field: ListField,
    select: string,
    args: Record<string, ArgValue | undefined>,
    page: number,
    pageLength: number,
    signal?: AbortSignal,
  ) {
    const head = `{ ${field}(${argText({ ...args, page, pageLength })})`;
    const run = async (shape: "bare" | "wrapped") =>
      (await graphql(shape === "bare" ? `${head} { ${select} } }` : `${head} { totalItems items { ${select} } } }`, [field], signal))[field];
    let raw: unknown;
    if (listShape === undefined) {
      try {
        raw = await run("bare");
        listShape = "bare";
      } catch (err) {
        // why: selecting item fields on a wrapper type fails validation; try the wrapper once, and
        // if that fails too the first error is the one that explains the problem
        if (!(err instanceof VendorError) || err.kind !== "vendor_failure" || !/Cannot query field/i.test(err.vendorMessage ?? "")) throw err;
        try {
          raw = await run("wrapped");
        } catch {
          throw err;
        }
        listShape = "wrapped";
      }
    } else raw = await run(listShape);
    const req = { vendor: "nookal" as const, region, method: "POST" as const, path: `/graphql ${field}` };
    if (Array.isArray(raw)) return { items: raw as unknown[], totalItems: undefined as number | undefined };
    const w = parseWith(WrapperSchema, raw, req);
    return { items: w.items, totalItems: w.totalItems ?? undefined };
  }

  const idsOf = (field: ListField, items: unknown[]) =>
    items.map((i) => (i && typeof i === "object" ? String((i as Record<string, unknown>)[LISTS[field].id] ?? "") : ""));

  /**
   * Pages a list until a short page. Whether the first page is 0 or 1 is not public (healthia
   * sends 0 by default), so it is learned: page 0 then page 1, and if page 1 repeats page 0 the
   * server clamped 0 to 1; if page 0 is empty the pages start at 1. Records are counted by id, so
   * a repeated page is never counted twice; `maxPages` bounds the walk (`capped` says it stopped).
   */
  async function* walk(
    field: ListField,
    select: string,
    args: Record<string, ArgValue | undefined>,
    opts: { signal?: AbortSignal; maxPages?: number; pageLength?: number } = {},
  ): AsyncGenerator<{ items: unknown[]; totalItems?: number; capped: boolean }> {
    const length = opts.pageLength ?? PAGE_LENGTH;
    const maxPages = opts.maxPages ?? Number.POSITIVE_INFINITY;
    const seen = new Set<string>();
    let fetched = 0;
    const fresh = (page: { items: unknown[] }) => {
      const ids = idsOf(field, page.items);
      const out = page.items.filter((_, i) => !seen.has(ids[i]!));
      for (const id of ids) seen.add(id);
      return out;
    };
    let next: number = pageBase ?? 0;
    let zero: Awaited<ReturnType<typeof fetchPage>> | undefined;
    if (pageBase === undefined) {
      try {
        zero = await fetchPage(field, select, args, 0, length, opts.signal);
      } catch (err) {
        // why: a server whose pages start at 1 may refuse page 0 outright; then it is 1-based
        if (!(err instanceof VendorError) || err.kind !== "vendor_failure" || !/\bpage\b/i.test(err.vendorMessage ?? "")) throw err;
        pageBase = 1;
        next = 1;
      }
    }
    if (pageBase === undefined && zero) {
      fetched++;
      if (zero.items.length > 0 && zero.items.length < length) {
        yield { items: fresh(zero), totalItems: zero.totalItems, capped: false };
        return;
      }
      const one = await fetchPage(field, select, args, 1, length, opts.signal);
      fetched++;
      if (zero.items.length === 0) {
        if (one.items.length > 0) pageBase = 1;
        yield { items: fresh(one), totalItems: one.totalItems ?? zero.totalItems, capped: false };
        if (one.items.length < length) return;
      } else {
        const zeroIds = new Set(idsOf(field, zero.items));
        const repeats = one.items.length > 0 && idsOf(field, one.items).every((id) => zeroIds.has(id));
        pageBase = repeats ? 1 : 0;
        yield { items: fresh(zero), totalItems: zero.totalItems, capped: false };
        if (!repeats) {
          yield { items: fresh(one), totalItems: one.totalItems, capped: false };
          if (one.items.length < length) return;
        }
      }
      next = 2;
    }
    for (let page = next; ; page++) {
      if (fetched >= maxPages) {
        yield { items: [], capped: true };
        return;
      }
      const p = await fetchPage(field, select, args, page, length, opts.signal);
      fetched++;
      const items = fresh(p);
      // why: a server that ignores `page` would repeat itself forever; nothing new means the end
      const done = p.items.length < length || items.length === 0;
      yield { items, totalItems: p.totalItems, capped: false };
      if (done) return;
    }
  }

  /** Visible patients, counted by paging (lists carry no totals) unless a wrapper gives the total. */
  async function countVisible(opts: { signal?: AbortSignal; maxPages?: number } = {}): Promise<{ count: number; capped: boolean }> {
    let count = 0;
    for await (const page of walk("clients", "clientID", {}, { signal: opts.signal, maxPages: opts.maxPages ?? DEFAULT_PATIENT_COUNT_PAGES })) {
      if (page.totalItems !== undefined) return { count: page.totalItems, capped: false };
      count += page.items.length;
      if (page.capped) return { count, capped: true };
    }
    return { count, capped: false };
  }

  /**
   * A record list for sync. `since` goes to the server as `modifiedSince` (not attested); a server
   * that does not know the argument gets the full list, filtered here by the records' own dateModified.
   */
  async function* list<S extends z.ZodType, T>(
    field: ListField,
    item: S,
    map: (raw: z.output<S>, tz: string | undefined) => T,
    updatedAt: (t: T) => string | null,
    opts: ListOptions = {},
  ): AsyncIterable<Page<T>> {
    const req = { vendor: "nookal" as const, region, method: "POST" as const, path: `/graphql ${field}` };
    const sinceMs = opts.since ? Date.parse(opts.since) : undefined;
    let latest = opts.since;
    let page = 0;
    const pass = async function* (args: Record<string, ArgValue | undefined>): AsyncGenerator<Page<T>> {
      const it = walk(field, LISTS[field].select, args, { signal: opts.signal });
      let current = await it.next();
      while (!current.done) {
        const following = await it.next();
        let items = parseWith(z.array(item), current.value.items, req).map((raw) => map(raw, timeZone));
        if (sinceMs !== undefined && !args.modifiedSince) items = items.filter((i) => Date.parse(updatedAt(i) ?? "") >= sinceMs || updatedAt(i) === null);
        for (const x of items) latest = laterOf(latest, updatedAt(x));
        page++;
        // why: Nookal does not promise an order, so only a finished pass yields a cursor to persist
        yield { items, page, totalItems: current.value.totalItems, cursor: following.done ? (overlapCursor(latest) ?? opts.since) : undefined };
        current = following;
      }
    };
    if (opts.since && sinceArgument !== false) {
      try {
        yield* pass({ modifiedSince: opts.since });
        sinceArgument = true;
        return;
      } catch (err) {
        if (page > 0 || !(err instanceof VendorError) || !/Unknown argument "?modifiedSince/i.test(err.vendorMessage ?? "")) throw err;
        sinceArgument = false;
      }
    }
    yield* pass({});
  }

  const toPatient = (c: z.infer<typeof NookalClientSchema>, tz?: string): PatientRecord => ({
    id: c.clientID,
    firstName: c.firstName ?? "",
    lastName: c.lastName ?? "",
    dateOfBirth: c.DOB && !c.DOB.startsWith("0000") ? c.DOB : null,
    // why: no public client reads a client's email over v3, so Relink does not ask for it
    email: null,
    locationId: c.locationID ?? null,
    archived: c.active === false,
    createdAt: normalizeTimestamp(c.dateCreated, tz),
    updatedAt: normalizeTimestamp(c.dateModified, tz),
  });

  /** The key's locations. A key whose permissions leave out `locations` is not broken for Relink: none are listed. */
  async function locations(signal?: AbortSignal): Promise<{ id: string; name: string; timeZone?: string }[]> {
    const out: { id: string; name: string; timeZone?: string }[] = [];
    try {
      for await (const page of walk("locations", LISTS.locations.select, {}, { signal, maxPages: 5 })) {
        for (const l of parseWith(z.array(LocationSchema), page.items, { vendor: "nookal", region, method: "POST", path: "/graphql locations" })) {
          out.push({ id: l.locationID, name: l.name ?? `Location ${l.locationID}`, ...(timeZone ? { timeZone } : {}) });
        }
      }
    } catch (err) {
      if (err instanceof VendorError && err.kind === "refused") return [];
      throw err;
    }
    return out;
  }

  return {
    // why: the attested location fields carry no modified date; sync refreshes them whole every run
    async *locations(opts: ListOptions = {}): AsyncIterable<Page<LocationRecord>> {
      const locs = await locations(opts.signal);
      yield {
        items: locs.map((l) => ({ id: l.id, name: l.name, timeZone: l.timeZone ?? null, country: null, archived: false, updatedAt: null })),
        page: 1,
        totalItems: locs.length,
      };
    },
    vendor: "nookal",
    region,
    apiVersion: "v3",
    async authenticate(opts = {}) {
      await token(prepare(), opts.signal);
    },
    async verify(opts: VerifyOptions = {}): Promise<VerifyResult> {
      const locs = await locations(opts.signal);
      const visible = await countVisible({ signal: opts.signal, maxPages: opts.maxPatientPages });
      if (opts.requireClinicalNotes !== false) {
        // why: a key without Clinical Notes access answers everything else; ask the one thing it cannot do
        await fetchPage("treatmentNotes", LISTS.treatmentNotes.select, {}, pageBase ?? 0, 1, opts.signal);
      }
      // why: no public client reads a practice object; the key's locations are what identify the account
      const ids = locs.map((l) => l.id).sort();
      return {
        vendor: "nookal",
        region,
        apiVersion: "v3",
        user: { id: ids.length ? `locations:${ids.join(",")}` : "nookal", name: locs.length ? locs.map((l) => l.name).join(", ") : "Nookal practice" },
        locations: locs,
        visiblePatients: visible.count,
        ...(visible.capped ? { visiblePatientsAtLeast: true } : {}),
      };
    },
    async countPatients(opts = {}) {
      return (await countVisible(opts)).count;
    },
    async searchPatients(name, opts = {}): Promise<PatientSummary[]> {
      const words = name.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return [];
      const limit = Math.min(PAGE_LENGTH, Math.max(1, opts.limit ?? 20));
      // why: the attested filters are firstName and lastName; one word could be either
      const attempts: Record<string, string>[] =
        words.length >= 2 ? [{ firstName: words[0]!, lastName: words.slice(1).join(" ") }] : [{ lastName: words[0]! }, { firstName: words[0]! }];
      const seen = new Map<string, PatientSummary>();
      for (const args of attempts) {
        for await (const page of walk("clients", LISTS.clients.select, args, { signal: opts.signal, maxPages: 1, pageLength: limit })) {
          for (const c of parseWith(z.array(NookalClientSchema), page.items, { vendor: "nookal", region, method: "POST", path: "/graphql clients" })) {
            if (seen.size < limit && !seen.has(c.clientID))
              seen.set(c.clientID, { id: c.clientID, firstName: c.firstName ?? "", lastName: c.lastName ?? "", dateOfBirth: c.DOB ?? null });
          }
        }
      }
      return [...seen.values()];
    },
    patients: (opts) => list("clients", NookalClientSchema, toPatient, (p) => p.updatedAt, opts),
    practitioners: (opts) =>
      list(
        "practitioners",
        NookalPractitionerSchema,
        (p, tz): PractitionerRecord => ({
          id: p.practitionerID,
          firstName: p.firstName ?? "",
          lastName: p.lastName ?? "",
          designation: p.speciality,
          active: p.active ?? true,
          updatedAt: normalizeTimestamp(p.dateModified, tz),
        }),
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
