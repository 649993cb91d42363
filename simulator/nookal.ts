import { randomBytes } from "node:crypto";
import type { Dataset, GenAppointment, GenInvoice, GenPatient } from "./dataset.ts";
import { money } from "./dataset.ts";
import { GraphQLError, parseOperation, project } from "./graphql.ts";
import { applyFaults, faultScopes, readBody, send, sendJson, truncate, type Req, type Res } from "./http.ts";
import { isoDate, isoSeconds, localDateTime, parseLocalDateTime } from "./time.ts";
import { datasetOf, type NookalAccount, type NookalKeyRecord, type World, type WorldSettings } from "./world.ts";

/**
 * Nookal: API v3 per region (Basic Key → /oauth/token → GraphQL with a bearer token) and the
 * older v2 REST API (form-encoded `api_key`, or a GET query). By default it behaves as public
 * clients show (../shared/VENDOR_APIS.md, "Nookal as public clients use it"): bare v3 lists,
 * GraphQL `errors[]` with a 4xx for bad tokens, one live token per key, refused queries as partial
 * errors, v2 failures as `details.alerts`. Relink's earlier guesses, and the alternatives where
 * nothing is public, are settings (WorldSettings, PATCH /_control/settings).
 */

const KIND = { client: 1, practitioner: 2, appointmentType: 3, appointment: 4, invoice: 5, note: 6 } as const;
function nookalId(account: NookalAccount, kind: number, idx: number): string {
  return String((Number(account.id) * 10 + kind) * 1_000_000 + idx + 1);
}

const MESSAGES = {
  invalidKey: { errorMessage: "Invalid API Key", errorCode: "1001" },
  disabledKey: { errorMessage: "This API key has been disabled", errorCode: "1002" },
  credentialsNotFound: { errorMessage: "Credentials not found", errorCode: "1002" },
  integrationDisabled: { errorMessage: "Integration disabled", errorCode: "1002" },
  missingKey: { errorMessage: "Missing api_key parameter", errorCode: "1000" },
  // captured live (api-evangelist/nookal README): the alerts-style body for a missing key
  missingVariable: (name: string) => ({ errorMessage: `Missing variable: ${name}`, errorCode: "L000_1" }),
  notes: { errorMessage: "API key is not permitted to read Clinical Notes", errorCode: "1403" },
  badRequest: (what: string) => ({ errorMessage: `Invalid request: ${what}`, errorCode: "1400" }),
} as const;

function failure(world: World, res: Res, details: { errorMessage: string; errorCode: string }, malformed = false): void {
  const body = JSON.stringify(
    world.settings.nookalV2FailureShape === "alerts"
      ? { status: "failure", details: { errorCode: details.errorCode, alerts: [details.errorMessage] } }
      : { status: "failure", details: { errorMessage: details.errorMessage, errorCode: Number(details.errorCode) || details.errorCode } },
  );
  // why: Nookal reports failures with HTTP 200; only the body says it failed
  sendJson(world, res, 200, malformed ? truncate(body) : body);
}

interface Scope {
  account: NookalAccount;
  key: NookalKeyRecord;
  data: Dataset;
  locations: Set<number>;
}

function scopeOf(world: World, account: NookalAccount, key: NookalKeyRecord): Scope {
  const locations = new Set<number>();
  account.locations.forEach((l, i) => {
    if (key.locationIds.includes(l.id)) locations.add(i);
  });
  return { account, key, data: datasetOf(world, account), locations };
}

function visiblePatients(s: Scope): GenPatient[] {
  if (s.key.hidePatients) return [];
  return s.data.patients.filter((p) => s.locations.has(p.location) && p.deletedAt === null);
}

function byModified<T extends { updatedAt: number }>(items: T[], since: number | undefined): T[] {
  return since === undefined ? items : items.filter((i) => i.updatedAt >= since);
}

const APPOINTMENT_STATUS: Record<GenAppointment["status"], string> = {
  booked: "Booked",
  arrived: "Arrived",
  did_not_arrive: "Did Not Arrive",
  cancelled: "Cancelled",
};
const INVOICE_STATUS: Record<GenInvoice["status"], string> = { 10: "Outstanding", 20: "Paid", 30: "Written Off", 40: "Credit" };

// ---------------------------------------------------------------- v3

function bearer(req: Req): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : undefined;
}

function basicKey(req: Req): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith("Basic ") ? h.slice(6).trim() : undefined;
}

function usableKey(world: World, key: string | undefined, region: string | null, apiVersion: "v2" | "v3") {
  const record = key === undefined ? undefined : world.nookal.keys.get(key);
  const account = record ? world.nookal.accounts.get(record.accountId) : undefined;
  // why: a key belongs to one region; elsewhere it is simply unknown
  if (!record || !account || record.apiVersion !== apiVersion || (region !== null && account.region !== region))
    return { problem: MESSAGES.invalidKey, account: undefined, record: undefined };
  if (record.status !== "enabled") {
    const text = world.settings.nookalDisabledKeyText;
    const problem =
      text === "credentials_not_found" ? MESSAGES.credentialsNotFound : text === "integration_disabled" ? MESSAGES.integrationDisabled : MESSAGES.disabledKey;
    return { problem, account, record: undefined };
  }
  return { problem: undefined, account, record };
}

function pageArgs(world: World, args: Record<string, unknown>): { offset: number; pageLength: number; page: number } {
  const asked = Math.floor(Number(args.page ?? (world.settings.nookalFirstPage === "zero" ? 0 : 1))) || 0;
  const pageLength = Math.min(200, Math.max(1, Math.floor(Number(args.pageLength ?? 100)) || 100));
  if (world.settings.nookalFirstPage === "zero") return { offset: Math.max(0, asked) * pageLength, pageLength, page: Math.max(0, asked) };
  if (world.settings.nookalFirstPage === "one_empty" && asked < 1) return { offset: Number.POSITIVE_INFINITY, pageLength, page: asked };
  if (world.settings.nookalFirstPage === "one_strict" && asked < 1)
    throw new GraphQLError(`Argument "page" must be at least 1, got ${asked}.`, "BAD_USER_INPUT");
  const page = Math.max(1, asked);
  return { offset: (page - 1) * pageLength, pageLength, page };
}

function sinceArg(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const ms = Date.parse(String(value));
  if (!Number.isFinite(ms)) throw new GraphQLError(`Invalid date "${String(value)}"`, "BAD_USER_INPUT");
  return ms;
}

function pageOf<T>(world: World, items: T[], args: Record<string, unknown>, render: (item: T) => Record<string, unknown>) {
  const { offset, pageLength, page } = pageArgs(world, args);
  const slice = Number.isFinite(offset) ? items.slice(offset, offset + pageLength).map(render) : [];
  if (world.settings.nookalListShape === "array") return slice;
  return { totalItems: items.length, currentPage: page, pageLength, nextPage: offset + pageLength < items.length ? page + 1 : null, items: slice };
}

/** Keep only fields public clients show, unless the extended (earlier-guess) schema is on. */
function attested<T extends Record<string, unknown>>(world: World, value: T, guessed: string[]): T {
  if (world.settings.nookalV3Schema === "extended") return value;
  const out = { ...value };
  for (const k of guessed) delete out[k];
  return out;
}

const ids = (v: unknown): string[] | undefined => (v === undefined || v === null ? undefined : (Array.isArray(v) ? v : [v]).map(String));

class Forbidden extends Error {
  readonly field: string;
  constructor(field: string) {
    super(field);
    this.field = field;
  }
}

function v3Resolvers(world: World, s: Scope): Record<string, (args: Record<string, unknown>) => unknown> {
  const { account } = s;
  const loc = (i: number) => account.locations[i]!.id;
  const ts = (ms: number | null) => (ms === null ? null : isoSeconds(ms));
  const resolvers: Record<string, (args: Record<string, unknown>) => unknown> = {
    locations: (args) => {
      const wanted = ids(args.locationIDs);
      const items = account.locations.filter((l, i) => s.locations.has(i) && (!wanted || wanted.includes(l.id)));
      return pageOf(world, items, args, (l) =>
        attested(
          world,
          {
            locationID: l.id,
            name: l.name,
            addr1: "1 Example Street",
            suburb: l.name,
            state: "",
            country: account.country,
            timezone: account.timeZone,
            active: true,
          },
          ["timezone"],
        ),
      );
    },
    clients: (args) => {
      let items = visiblePatients(s);
      const locs = ids(args.locationIDs ?? args.locationID);
      if (locs) items = items.filter((p) => locs.includes(loc(p.location)));
      const wanted = ids(args.clientIDs);
      if (wanted) items = items.filter((p) => wanted.includes(nookalId(account, KIND.client, p.idx)));
      // attested filters; matched from the start of the name, case-insensitively
      const match = (value: string, q: unknown) => q === undefined || q === null || value.toLowerCase().startsWith(String(q).toLowerCase());
      items = items.filter((p) => match(p.firstName, args.firstName) && match(p.lastName, args.lastName));
      if (args.search) {
        const q = String(args.search).toLowerCase();
        items = items.filter((p) => `${p.firstName} ${p.lastName}`.toLowerCase().includes(q));
      }
      items = byModified(items, sinceArg(args.modifiedSince));
      return pageOf(world, items, args, (p) =>
        attested(
          world,
          {
            clientID: nookalId(account, KIND.client, p.idx),
            title: p.title,
            firstName: p.firstName,
            middleName: "",
            lastName: p.lastName,
            fullName: `${p.firstName} ${p.lastName}`,
            DOB: p.dob,
            email: p.email,
            locationID: loc(p.location),
            active: p.archivedAt === null,
            deceased: false,
            dateCreated: ts(p.createdAt),
            dateModified: ts(p.updatedAt),
          },
          ["email"],
        ),
      );
    },
    cases: (args) => {
      const items = visiblePatients(s).slice(0, 200);
      return pageOf(world, items, args, (p) => ({
        caseID: nookalId(account, KIND.note, p.idx),
        clientID: nookalId(account, KIND.client, p.idx),
        primaryProviderID: null,
        startDate: isoDate(p.createdAt),
      }));
    },
    practitioners: (args) =>
      pageOf(
        world,
        byModified(
          s.data.practitioners.filter((p) => s.locations.has(p.location)),
          sinceArg(args.modifiedSince),
        ),
        args,
        (p) => ({
          practitionerID: nookalId(account, KIND.practitioner, p.idx),
          title: p.title,
          firstName: p.firstName,
          lastName: p.lastName,
          speciality: p.designation,
          active: p.active,
          locationIDs: [loc(p.location)],
          dateModified: ts(p.updatedAt),
        }),
      ),
    appointmentTypes: (args) =>
      pageOf(world, s.data.appointmentTypes, args, (t) => ({
        appointmentTypeID: nookalId(account, KIND.appointmentType, t.idx),
        name: t.name,
        durationMinutes: t.minutes,
        active: t.archivedAt === null,
        dateModified: ts(t.updatedAt),
      })),
    appointments: (args) => {
      let items = s.data.appointments.filter((a) => s.locations.has(a.location) && a.deletedAt === null);
      const from = sinceArg(args.dateFrom);
      const to = sinceArg(args.dateTo);
      if (from !== undefined) items = items.filter((a) => a.startsAt >= from);
      if (to !== undefined) items = items.filter((a) => a.startsAt < to);
      items = byModified(items, sinceArg(args.modifiedSince));
      return pageOf(world, items, args, (a) => ({
        appointmentID: nookalId(account, KIND.appointment, a.idx),
        clientID: nookalId(account, KIND.client, a.patient),
        practitionerID: nookalId(account, KIND.practitioner, a.practitioner),
        appointmentTypeID: nookalId(account, KIND.appointmentType, a.type),
        locationID: loc(a.location),
        startDateTime: isoSeconds(a.startsAt),
        endDateTime: isoSeconds(a.endsAt),
        status: APPOINTMENT_STATUS[a.status],
        arrived: a.status === "arrived",
        cancelledAt: ts(a.cancelledAt),
        cancellationReason: a.cancellationReason,
        dateCreated: ts(a.createdAt),
        dateModified: ts(a.updatedAt),
      }));
    },
    invoices: (args) =>
      pageOf(
        world,
        byModified(
          s.data.invoices.filter((i) => s.locations.has(i.location) && i.deletedAt === null),
          sinceArg(args.modifiedSince),
        ),
        args,
        (i) => ({
          invoiceID: nookalId(account, KIND.invoice, i.idx),
          invoiceNumber: String(i.number),
          invoiceDate: isoDate(i.issueDate),
          clientID: nookalId(account, KIND.client, i.patient),
          practitionerID: nookalId(account, KIND.practitioner, i.practitioner),
          appointmentID: nookalId(account, KIND.appointment, i.appointment),
          locationID: loc(i.location),
          status: INVOICE_STATUS[i.status],
          total: money(i.netCents + i.taxCents),
          tax: money(i.taxCents),
          dateModified: ts(i.updatedAt),
        }),
      ),
    treatmentNotes: (args) => {
      if (!s.key.clinicalNotes) throw new Forbidden("treatmentNotes");
      const items = s.data.appointments.filter((a) => s.locations.has(a.location) && a.status === "arrived").slice(0, 500);
      return pageOf(world, items, args, (a) => ({
        noteID: nookalId(account, KIND.note, a.idx),
        clientID: nookalId(account, KIND.client, a.patient),
        caseID: null,
        apptID: nookalId(account, KIND.appointment, a.idx),
        practitionerID: nookalId(account, KIND.practitioner, a.practitioner),
        date: isoDate(a.startsAt),
        status: "Final",
        templateID: null,
        dateModified: ts(a.updatedAt),
      }));
    },
  };
  // why: no public client queries a practice object; it exists only in the extended schema
  if (world.settings.nookalV3Schema === "extended")
    resolvers.practice = () => ({ practiceID: account.id, name: account.practiceName, timezone: account.timeZone, country: account.country });
  return resolvers;
}

export async function handleNookalV3(world: World, req: Req, res: Res, region: string, path: string): Promise<void> {
  if (req.method !== "POST") {
    sendJson(world, res, 405, { error: "method_not_allowed" });
    return;
  }
  const body = await readBody(req);
  if (path === "/oauth/token") {
    const key = basicKey(req);
    const { problem, account, record } = usableKey(world, key, region, "v3");
    const fault = await applyFaults(world, res, faultScopes(world, "nookal", region, account));
    if (fault.handled) return;
    if (new URLSearchParams(body).get("grant_type") !== "client_credentials") {
      sendJson(world, res, 400, { error: "unsupported_grant_type", error_description: "grant_type must be client_credentials" });
      return;
    }
    if (problem || !record) {
      if (world.settings.nookalAuthFailure === "http_401") {
        sendJson(world, res, 401, { error: "invalid_client", error_description: problem?.errorMessage ?? "Invalid API Key" });
      } else failure(world, res, problem ?? MESSAGES.invalidKey, fault.malformed);
      return;
    }
    const token = randomBytes(24).toString("hex");
    const expiresAt = Date.now() + world.settings.tokenTtlSeconds * 1000;
    // why: one public client reports that a new token invalidates the key's older ones
    if (world.settings.nookalTokensPerKey === "one") for (const t of world.nookal.tokens.values()) if (t.keyId === record.key) t.superseded = true;
    world.nookal.tokens.set(token, { keyId: record.key, region, expiresAt });
    const out = JSON.stringify({ accessToken: token, accessTokenExpiresAt: new Date(expiresAt).toISOString(), tokenType: "Bearer" });
    sendJson(world, res, 200, fault.malformed ? truncate(out) : out);
    return;
  }
  if (path !== "/graphql") {
    send(world, res, 404, "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>", {
      "Content-Type": "text/html; charset=utf-8",
    });
    return;
  }
  const token = bearer(req);
  const grant = token === undefined ? undefined : world.nookal.tokens.get(token);
  const record = grant ? world.nookal.keys.get(grant.keyId) : undefined;
  const account = record ? world.nookal.accounts.get(record.accountId) : undefined;
  const fault = await applyFaults(world, res, faultScopes(world, "nookal", region, account));
  if (fault.handled) return;
  // why: a token dies with its key — disabling or migrating the key invalidates issued tokens
  const badToken =
    !grant || !record || !account || grant.region !== region || account.region !== region || record.status !== "enabled"
      ? "invalid"
      : grant.superseded || grant.expiresAt <= Date.now()
        ? "expired"
        : null;
  if (badToken || !grant || !record || !account) {
    if (world.settings.nookalBadToken === "oauth_401")
      sendJson(world, res, 401, { error: "invalid_token", error_description: "The access token is invalid or has expired" });
    // attested: "Token has expired" arrives as HTTP 400 with GraphQL errors[]
    else sendJson(world, res, 400, { errors: [{ message: badToken === "expired" ? "Token has expired" : "Invalid token" }] });
    return;
  }
  let request: { query?: unknown; variables?: unknown };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    sendJson(world, res, 400, { errors: [{ message: "Body must be JSON", extensions: { code: "BAD_REQUEST" } }] });
    return;
  }
  const reply = (payload: unknown) => {
    const text = JSON.stringify(payload);
    sendJson(world, res, 200, fault.malformed ? truncate(text) : text);
  };
  try {
    if (typeof request.query !== "string") throw new GraphQLError("Must provide query string.", "BAD_REQUEST");
    const op = parseOperation(request.query, (request.variables ?? {}) as Record<string, unknown>);
    if (op.kind !== "query") throw new GraphQLError("Mutations are not available to this key", "FORBIDDEN");
    const resolvers = v3Resolvers(world, scopeOf(world, account, record));
    for (const f of op.fields) if (!resolvers[f.name]) throw new GraphQLError(`Cannot query field "${f.name}" on type "Query".`);
    const data: Record<string, unknown> = {};
    const refused: { message: string; path: string[]; extensions: { code: string } }[] = [];
    for (const f of op.fields) {
      try {
        data[f.alias] = project(resolvers[f.name]!(f.args), f.selection, f.name, f.name);
      } catch (err) {
        if (!(err instanceof Forbidden)) throw err;
        // why: the wording of a refusal is not public; this one deliberately names no permission
        if (world.settings.nookalRefusedQuery === "status_failure") return failure(world, res, MESSAGES.notes, fault.malformed);
        data[f.alias] = null;
        refused.push({ message: "Access denied.", path: [f.alias], extensions: { code: "FORBIDDEN" } });
      }
    }
    if (refused.length === 0) reply({ data });
    else if (world.settings.nookalRefusedQuery === "http_403") sendJson(world, res, 403, { errors: refused, data });
    else reply({ errors: refused, data });
  } catch (err) {
    if (err instanceof GraphQLError) reply({ errors: [{ message: err.message, extensions: { code: err.code } }], data: null });
    else throw err;
  }
}

// ---------------------------------------------------------------- v2

const NOT_FOUND_PAGE =
  "<!DOCTYPE html><html><head><title>404 - Page Not Found</title></head><body><h1>Page Not Found</h1><p>The page you requested could not be found.</p></body></html>";
const bool01 = (b: boolean) => (b ? "1" : "0");

function v2Functions(
  s: Scope,
  settings: WorldSettings,
): Record<string, (p: URLSearchParams) => { key: string; items: Record<string, unknown>[] } | { results: Record<string, unknown> }> {
  const { account } = s;
  const tz = account.timeZone;
  const local = (ms: number | null) => (ms === null ? null : localDateTime(ms, tz));
  const loc = (i: number) => account.locations[i]!.id;
  const since = (p: URLSearchParams) => {
    const raw = p.get("last_modified");
    if (!raw) return undefined;
    const ms = parseLocalDateTime(raw, tz);
    if (ms === undefined) throw new V2Failure(MESSAGES.badRequest("last_modified must be YYYY-MM-DD hh:mm:ss"));
    return ms;
  };
  const patient = (p: GenPatient) => ({
    ID: nookalId(account, KIND.client, p.idx),
    Title: p.title,
    FirstName: p.firstName,
    MiddleName: "",
    LastName: p.lastName,
    DOB: p.dob,
    Email: p.email,
    LocationID: loc(p.location),
    active: bool01(p.archivedAt === null),
    deceased: "0",
    DateCreated: local(p.createdAt),
    DateModified: local(p.updatedAt),
  });
  return {
    verify: () => ({ results: { verify: "1", practiceName: account.practiceName } }),
    getLocations: () => ({
      key: "locations",
      items: account.locations
        .filter((_, i) => s.locations.has(i))
        .map((l) => ({ ID: l.id, Name: l.name, Timezone: tz, Country: account.country, active: "1" })),
    }),
    getPractitioners: () => ({
      key: "practitioners",
      items: s.data.practitioners
        .filter((p) => s.locations.has(p.location))
        .map((p) => ({
          ID: nookalId(account, KIND.practitioner, p.idx),
          Title: p.title,
          FirstName: p.firstName,
          LastName: p.lastName,
          Speciality: p.designation,
          locationIDs: [loc(p.location)],
          active: bool01(p.active),
          DateModified: local(p.updatedAt),
        })),
    }),
    getAppointmentTypes: () => ({
      key: "appointmentTypes",
      items: s.data.appointmentTypes.map((t) => ({
        ID: nookalId(account, KIND.appointmentType, t.idx),
        Name: t.name,
        Duration: String(t.minutes),
        active: bool01(t.archivedAt === null),
        DateModified: local(t.updatedAt),
      })),
    }),
    getPatients: (p) => ({ key: "patients", items: byModified(visiblePatients(s), since(p)).map(patient) }),
    searchPatients: (p) => {
      const first = (p.get("first_name") ?? "").toLowerCase();
      const last = (p.get("last_name") ?? "").toLowerCase();
      if (!first && !last) throw new V2Failure(MESSAGES.badRequest("first_name or last_name is required"));
      return {
        key: "patients",
        items: visiblePatients(s)
          .filter((x) => (!first || x.firstName.toLowerCase().startsWith(first)) && (!last || x.lastName.toLowerCase().startsWith(last)))
          .map(patient),
      };
    },
    getAppointments: (p) => ({
      key: "appointments",
      items: byModified(
        s.data.appointments.filter((a) => s.locations.has(a.location) && a.deletedAt === null),
        since(p),
      ).map((a) => {
        const start = localDateTime(a.startsAt, tz);
        return {
          ID: nookalId(account, KIND.appointment, a.idx),
          appointmentDate: start.slice(0, 10),
          startTime: start.slice(11),
          endTime: localDateTime(a.endsAt, tz).slice(11),
          locationID: loc(a.location),
          patientID: nookalId(account, KIND.client, a.patient),
          practitionerID: nookalId(account, KIND.practitioner, a.practitioner),
          appointmentTypeID: nookalId(account, KIND.appointmentType, a.type),
          Status: APPOINTMENT_STATUS[a.status],
          arrived: bool01(a.status === "arrived"),
          DNA: bool01(a.status === "did_not_arrive"),
          cancelled: bool01(a.status === "cancelled"),
          cancellationDate: local(a.cancelledAt),
          DateCreated: local(a.createdAt),
          DateModified: local(a.updatedAt),
        };
      }),
    }),
    getInvoices: (p) => ({
      key: "invoices",
      items: byModified(
        s.data.invoices.filter((i) => s.locations.has(i.location) && i.deletedAt === null),
        since(p),
      ).map((i) => ({
        ID: nookalId(account, KIND.invoice, i.idx),
        InvoiceNumber: String(i.number),
        InvoiceDate: localDateTime(i.issueDate, tz).slice(0, 10),
        PatientID: nookalId(account, KIND.client, i.patient),
        PractitionerID: nookalId(account, KIND.practitioner, i.practitioner),
        AppointmentID: nookalId(account, KIND.appointment, i.appointment),
        LocationID: loc(i.location),
        Status: INVOICE_STATUS[i.status],
        Total: money(i.netCents + i.taxCents),
        Tax: money(i.taxCents),
        DateModified: local(i.updatedAt),
      })),
    }),
    getTreatmentNotes: (p) => {
      // public sources: getTreatmentNotes requires patient_id
      if (settings.nookalV2TreatmentNotesPatient === "required" && !p.get("patient_id")) throw new V2Failure(MESSAGES.missingVariable("patient_id"));
      if (!s.key.clinicalNotes) throw new V2Failure(MESSAGES.notes);
      return { key: "notes", items: [] };
    },
    getAllTreatmentNotes: () => {
      if (settings.nookalV2AllTreatmentNotes === "needs_patient") throw new V2Failure(MESSAGES.missingVariable("patient_id"));
      if (!s.key.clinicalNotes) throw new V2Failure(MESSAGES.notes);
      return { key: "notes", items: [] };
    },
  };
}

const V2_FUNCTIONS = new Set([
  "verify",
  "getLocations",
  "getPractitioners",
  "getAppointmentTypes",
  "getPatients",
  "searchPatients",
  "getAppointments",
  "getInvoices",
  "getTreatmentNotes",
  "getAllTreatmentNotes",
]);

class V2Failure extends Error {
  readonly details: { errorMessage: string; errorCode: string };
  constructor(details: { errorMessage: string; errorCode: string }) {
    super(details.errorMessage);
    this.details = details;
  }
}

export async function handleNookalV2(world: World, req: Req, res: Res, fn: string): Promise<void> {
  const body = req.method === "POST" ? await readBody(req) : "";
  const params = new URLSearchParams(body);
  new URL(req.url ?? "/", "http://x").searchParams.forEach((v, k) => {
    if (!params.has(k)) params.set(k, v);
  });
  const apiKey = params.get("api_key") ?? undefined;
  const { problem, account, record } = usableKey(world, apiKey, null, "v2");
  // why: v2's URL names no region, so a known key's practice region stands in for it
  const fault = await applyFaults(world, res, faultScopes(world, "nookal", account?.region, account));
  if (fault.handled) return;
  if (!V2_FUNCTIONS.has(fn) || (fn === "getAllTreatmentNotes" && world.settings.nookalV2AllTreatmentNotes === "absent")) {
    send(world, res, 404, NOT_FOUND_PAGE, { "Content-Type": "text/html; charset=utf-8" });
    return;
  }
  // captured live: a missing key is `{"errorCode":"L000_1","alerts":["Missing variable: api_key"]}`
  if (!apiKey)
    return failure(world, res, world.settings.nookalV2FailureShape === "alerts" ? MESSAGES.missingVariable("api_key") : MESSAGES.missingKey, fault.malformed);
  if (problem || !record || !account) return failure(world, res, problem ?? MESSAGES.invalidKey, fault.malformed);
  const call = v2Functions(scopeOf(world, account, record), world.settings)[fn]!;
  let out: ReturnType<typeof call>;
  try {
    out = call(params);
  } catch (err) {
    if (err instanceof V2Failure) return failure(world, res, err.details, fault.malformed);
    throw err;
  }
  let payload: Record<string, unknown>;
  if ("results" in out) payload = { status: "success", data: { api_call: fn, results: out.results } };
  else {
    const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
    const pageLength = Math.min(200, Math.max(1, Number.parseInt(params.get("page_length") ?? "100", 10) || 100));
    const slice = out.items.slice((page - 1) * pageLength, page * pageLength);
    // why: public fixtures show currentPage as "1" in one and 1 in another; ids and flags are strings
    const num = (n: number) => (world.settings.nookalV2Numbers === "string" ? String(n) : n);
    payload = {
      status: "success",
      data: { api_call: fn, results: { [out.key]: slice } },
      details: { totalItems: num(out.items.length), currentItems: num(slice.length) },
      settings: { currentPage: num(page), nextPage: page * pageLength < out.items.length ? num(page + 1) : null, pageLength: num(pageLength) },
    };
  }
  const text = JSON.stringify(payload);
  sendJson(world, res, 200, fault.malformed ? truncate(text) : text);
}
