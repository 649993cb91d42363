import type { Dataset, GenBlock } from "./dataset.ts";
import { money } from "./dataset.ts";
import { applyFaults, faultScopes, send, sendJson, takeRateLimit, truncate, type Req, type Res } from "./http.ts";
import { isoDate, isoSeconds } from "./time.ts";
import { clinikoId, datasetOf, KIND, regionFaultsOf, type ClinikoAccount, type ClinikoKeyRecord, type ClinikoUser, type World } from "./world.ts";

/**
 * Cliniko v1 for every shard, served at /cliniko/{shard}/v1/... . Behaviour follows
 * shared/VENDOR_APIS.md: Basic auth with the whole key, identical 401s for every key problem,
 * role gaps as 403 or 404, 200 requests/min per user with X-RateLimit-Reset, page/per_page with
 * links.next, q[] filters, ids as int64 strings, money as decimal strings.
 */

// why: records are serialised once per account version with a placeholder for the base URL,
// so a list request only joins strings (the simulator must sustain thousands of lists/s)
const BASE = "@@BASE@@";

interface Row {
  id: string;
  json: string;
  str: Record<string, string | null>;
  time: Record<string, number | null>;
}

interface Collection {
  /** JSON field of the list body. */
  field: string;
  rows: (data: Dataset, account: ClinikoAccount) => Row[];
  /** Which rows the plain list shows; q[]=archived_at:* / deleted_at:* widen it. */
  variants: Record<string, (r: Row) => boolean>;
}

const DEFAULT_VARIANT = "";
const live = (r: Row) => r.time.archived_at == null && r.time.deleted_at == null;

function link(path: string): { links: { self: string } } {
  return { links: { self: `${BASE}${path}` } };
}

function row(id: string, obj: Record<string, unknown>, timeFields: Record<string, number | null>, strFields: Record<string, string | null> = {}): Row {
  return { id, json: JSON.stringify(obj), time: timeFields, str: { id, ...strFields } };
}

const BUSINESS_CREATED = Date.parse("2019-03-01T00:00:00Z");
const ts = (ms: number | null) => (ms === null ? null : isoSeconds(ms));

const CANCELLATION_CODES: Record<string, number> = { "Feeling better": 10, "Condition worse": 20, Sick: 30, Away: 40, Work: 50, Other: 60 };
const INVOICE_STATUS: Record<number, string> = { 10: "Open", 20: "Paid", 30: "Closed", 40: "Open credit" };

/** availability_blocks and unavailable_blocks share a shape: a span, an optional repeat rule, soft deletion. */
function blockCollection(field: string, kind: number, of: (d: Dataset) => GenBlock[]): Collection {
  return {
    field,
    rows: (data, a) =>
      of(data).map((b) => {
        const id = clinikoId(a.label, kind, b.idx);
        const practitioner = clinikoId(a.label, KIND.practitioner, b.practitioner);
        const business = clinikoId(a.label, KIND.business, 0);
        return row(
          id,
          {
            id,
            starts_at: isoSeconds(b.startsAt),
            ends_at: isoSeconds(b.endsAt),
            repeat_rule: b.repeatRule,
            deleted_at: ts(b.deletedAt),
            archived_at: null,
            created_at: ts(b.createdAt),
            updated_at: ts(b.updatedAt),
            business: link(`/businesses/${business}`),
            practitioner: link(`/practitioners/${practitioner}`),
            links: { self: `${BASE}/${field}/${id}` },
          },
          { created_at: b.createdAt, updated_at: b.updatedAt, starts_at: b.startsAt, ends_at: b.endsAt, archived_at: null, deleted_at: b.deletedAt },
          { practitioner_id: practitioner, business_id: business },
        );
      }),
    variants: { [DEFAULT_VARIANT]: live, deleted: (r) => r.time.deleted_at != null },
  };
}

const COLLECTIONS: Record<string, Collection> = {
  patients: {
    field: "patients",
    rows: (data, a) =>
      data.patients.map((p) => {
        const id = clinikoId(a.label, KIND.patient, p.idx);
        return row(
          id,
          {
            id,
            title: p.title || null,
            first_name: p.firstName,
            last_name: p.lastName,
            date_of_birth: p.dob,
            email: p.email,
            archived_at: ts(p.archivedAt),
            deleted_at: ts(p.deletedAt),
            created_at: ts(p.createdAt),
            updated_at: ts(p.updatedAt),
            appointments: link(`/patients/${id}/appointments`),
            links: { self: `${BASE}/patients/${id}` },
          },
          { created_at: p.createdAt, updated_at: p.updatedAt, archived_at: p.archivedAt, deleted_at: p.deletedAt },
          { first_name: p.firstName, last_name: p.lastName, email: p.email, date_of_birth: p.dob },
        );
      }),
    variants: {
      [DEFAULT_VARIANT]: live,
      archived: (r) => r.time.archived_at != null && r.time.deleted_at == null,
      deleted: (r) => r.time.deleted_at != null,
    },
  },
  practitioners: {
    field: "practitioners",
    rows: (data, a) =>
      data.practitioners.map((p) => {
        const id = clinikoId(a.label, KIND.practitioner, p.idx);
        return row(
          id,
          {
            id,
            title: p.title || null,
            first_name: p.firstName,
            last_name: p.lastName,
            designation: p.designation,
            active: p.active,
            created_at: ts(p.createdAt),
            updated_at: ts(p.updatedAt),
            links: { self: `${BASE}/practitioners/${id}` },
          },
          { created_at: p.createdAt, updated_at: p.updatedAt, archived_at: null, deleted_at: null },
          { first_name: p.firstName, last_name: p.lastName, active: String(p.active) },
        );
      }),
    variants: { [DEFAULT_VARIANT]: (r) => r.str.active === "true", inactive: (r) => r.str.active === "false" },
  },
  appointment_types: {
    field: "appointment_types",
    rows: (data, a) =>
      data.appointmentTypes.map((t) => {
        const id = clinikoId(a.label, KIND.appointmentType, t.idx);
        return row(
          id,
          {
            id,
            name: t.name,
            duration_in_minutes: t.minutes,
            archived_at: ts(t.archivedAt),
            created_at: ts(t.createdAt),
            updated_at: ts(t.updatedAt),
            links: { self: `${BASE}/appointment_types/${id}` },
          },
          { created_at: t.createdAt, updated_at: t.updatedAt, archived_at: t.archivedAt, deleted_at: null },
          { name: t.name },
        );
      }),
    variants: { [DEFAULT_VARIANT]: live },
  },
  individual_appointments: {
    field: "individual_appointments",
    rows: (data, a) => {
      const business = clinikoId(a.label, KIND.business, 0);
      return data.appointments.map((ap) => {
        const id = clinikoId(a.label, KIND.appointment, ap.idx);
        return row(
          id,
          {
            id,
            starts_at: isoSeconds(ap.startsAt),
            ends_at: isoSeconds(ap.endsAt),
            did_not_arrive: ap.status === "did_not_arrive",
            patient_arrived: ap.status === "arrived",
            cancelled_at: ts(ap.cancelledAt),
            cancellation_reason: ap.cancellationReason ? CANCELLATION_CODES[ap.cancellationReason] : null,
            cancellation_reason_description: ap.cancellationReason,
            archived_at: null,
            deleted_at: ts(ap.deletedAt),
            created_at: ts(ap.createdAt),
            updated_at: ts(ap.updatedAt),
            patient: link(`/patients/${clinikoId(a.label, KIND.patient, ap.patient)}`),
            practitioner: link(`/practitioners/${clinikoId(a.label, KIND.practitioner, ap.practitioner)}`),
            appointment_type: link(`/appointment_types/${clinikoId(a.label, KIND.appointmentType, ap.type)}`),
            business: link(`/businesses/${business}`),
            links: { self: `${BASE}/individual_appointments/${id}` },
          },
          {
            created_at: ap.createdAt,
            updated_at: ap.updatedAt,
            starts_at: ap.startsAt,
            ends_at: ap.endsAt,
            cancelled_at: ap.cancelledAt,
            archived_at: null,
            deleted_at: ap.deletedAt,
          },
        );
      });
    },
    variants: { [DEFAULT_VARIANT]: live },
  },
  invoices: {
    field: "invoices",
    rows: (data, a) => {
      const business = clinikoId(a.label, KIND.business, 0);
      return data.invoices.map((inv) => {
        const id = clinikoId(a.label, KIND.invoice, inv.idx);
        return row(
          id,
          {
            id,
            number: inv.number,
            issue_date: isoDate(inv.issueDate),
            status: inv.status,
            status_description: INVOICE_STATUS[inv.status],
            net_amount: money(inv.netCents),
            tax_amount: money(inv.taxCents),
            total_amount: money(inv.netCents + inv.taxCents),
            closed_at: ts(inv.closedAt),
            deleted_at: ts(inv.deletedAt),
            created_at: ts(inv.createdAt),
            updated_at: ts(inv.updatedAt),
            patient: link(`/patients/${clinikoId(a.label, KIND.patient, inv.patient)}`),
            practitioner: link(`/practitioners/${clinikoId(a.label, KIND.practitioner, inv.practitioner)}`),
            appointment: link(`/individual_appointments/${clinikoId(a.label, KIND.appointment, inv.appointment)}`),
            business: link(`/businesses/${business}`),
            links: { self: `${BASE}/invoices/${id}` },
          },
          { created_at: inv.createdAt, updated_at: inv.updatedAt, closed_at: inv.closedAt, archived_at: null, deleted_at: inv.deletedAt },
          { status: String(inv.status), number: String(inv.number) },
        );
      });
    },
    variants: { [DEFAULT_VARIANT]: live },
  },
  daily_availabilities: {
    field: "daily_availabilities",
    rows: (data, a) =>
      data.dailyAvailabilities.map((d) => {
        const id = clinikoId(a.label, KIND.dailyAvailability, d.idx);
        const practitioner = clinikoId(a.label, KIND.practitioner, d.practitioner);
        const business = clinikoId(a.label, KIND.business, 0);
        return row(
          id,
          {
            id,
            day_of_week: d.dayOfWeek,
            availabilities: d.spans.map((s) => ({ starts_at: s.startsAt, ends_at: s.endsAt })),
            created_at: ts(d.createdAt),
            updated_at: ts(d.updatedAt),
            business: link(`/businesses/${business}`),
            practitioner: link(`/practitioners/${practitioner}`),
            links: { self: `${BASE}/daily_availabilities/${id}` },
          },
          { created_at: d.createdAt, updated_at: d.updatedAt, archived_at: null, deleted_at: null },
          { practitioner_id: practitioner, business_id: business, day_of_week: String(d.dayOfWeek) },
        );
      }),
    variants: { [DEFAULT_VARIANT]: live },
  },
  availability_blocks: blockCollection("availability_blocks", KIND.availabilityBlock, (d) => d.availabilityBlocks),
  unavailable_blocks: blockCollection("unavailable_blocks", KIND.unavailableBlock, (d) => d.unavailableBlocks),
  businesses: {
    field: "businesses",
    rows: (_data, a) => {
      const id = clinikoId(a.label, KIND.business, 0);
      return [
        row(
          id,
          {
            id,
            business_name: a.businessName,
            time_zone: a.timeZone,
            country_code: a.country,
            created_at: "2019-03-01T00:00:00Z",
            updated_at: "2019-03-01T00:00:00Z",
            links: { self: `${BASE}/businesses/${id}` },
          },
          { created_at: BUSINESS_CREATED, updated_at: BUSINESS_CREATED, archived_at: null, deleted_at: null },
          { business_name: a.businessName },
        ),
      ];
    },
    variants: { [DEFAULT_VARIANT]: live },
  },
};

// why: rendering a 20,000-patient account takes ~50 ms; keep it per account version
const rowCache = new WeakMap<ClinikoAccount, Map<string, { version: number; rows: Row[] }>>();
function rowsOf(world: World, account: ClinikoAccount, resource: string): Row[] {
  let perAccount = rowCache.get(account);
  if (!perAccount) rowCache.set(account, (perAccount = new Map()));
  const hit = perAccount.get(resource);
  if (hit && hit.version === account.version) return hit.rows;
  const rows = COLLECTIONS[resource]!.rows(datasetOf(world, account), account);
  perAccount.set(resource, { version: account.version, rows });
  return rows;
}

// why: sorting and filtering 20,000 rows per page request would cap throughput; pages of one
// query share the filtered list. Keyed per world because two simulators may share account ids.
const queryCaches = new WeakMap<World, Map<string, Row[]>>();
const baseCaches = new WeakMap<World, Map<string, Row[]>>();
const QUERY_CACHE_MAX = 256;

type Op = ">=" | "<=" | "!?" | "!=" | "~~" | ">" | "<" | "=" | "~" | "?" | "*";
const OPS: Op[] = [">=", "<=", "!?", "!=", "~~", ">", "<", "=", "~", "?", "*"];
interface Filter {
  field: string;
  op: Op;
  value: string;
  time?: number;
}

class ValidationFailed extends Error {
  readonly errors: Record<string, string>;
  constructor(errors: Record<string, string>) {
    super("Validation Failed");
    this.errors = errors;
  }
}

function parseFilters(raw: string[], sample: Row | undefined, resource: string): Filter[] {
  const timeFields = new Set(["created_at", "updated_at", "archived_at", "deleted_at", "starts_at", "ends_at", "cancelled_at", "closed_at"]);
  return raw.map((q) => {
    const colon = q.indexOf(":");
    const field = colon === -1 ? q : q.slice(0, colon);
    const rest = colon === -1 ? "" : q.slice(colon + 1);
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) throw new ValidationFailed({ [field || "q"]: "is not a valid filter" });
    const value = rest.slice(op.length);
    const isTime = timeFields.has(field);
    const known = isTime ? sample === undefined || field in sample.time : sample === undefined || field in sample.str;
    if (!known) throw new ValidationFailed({ [field]: `is not a filterable attribute of ${resource}` });
    if (isTime && !["?", "!?", "*"].includes(op)) {
      const time = Date.parse(value);
      if (!Number.isFinite(time) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new ValidationFailed({ [field]: "is not a valid date time" });
      return { field, op, value, time };
    }
    return { field, op, value };
  });
}

function matches(r: Row, f: Filter): boolean {
  if (f.time !== undefined) {
    const v = r.time[f.field];
    if (v == null) return false;
    switch (f.op) {
      case ">":
        return v > f.time;
      case ">=":
        return v >= f.time;
      case "<":
        return v < f.time;
      case "<=":
        return v <= f.time;
      case "=":
        return v === f.time;
      case "!=":
        return v !== f.time;
      default:
        return false;
    }
  }
  const v = f.field in r.time ? r.time[f.field] : r.str[f.field];
  switch (f.op) {
    case "?":
      return v != null;
    case "!?":
      return v == null;
    case "*":
      return true;
    case "=":
      return String(v) === f.value;
    case "!=":
      return String(v) !== f.value;
    case "~":
      return v != null && String(v).toLowerCase().includes(f.value.toLowerCase());
    case "~~": {
      const re = new RegExp(
        `^${f.value
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/%/g, ".*")
          .replace(/\*/g, ".*")}$`,
        "i",
      );
      return v != null && re.test(String(v));
    }
    case ">":
      return v != null && String(v) > f.value;
    case ">=":
      return v != null && String(v) >= f.value;
    case "<":
      return v != null && String(v) < f.value;
    case "<=":
      return v != null && String(v) <= f.value;
  }
}

function sortRows(rows: Row[], sort: string | null, order: string | null): Row[] {
  if (!sort) return rows;
  const keys = sort.split(",").map((part) => {
    const [field, dir] = part.split(":");
    return { field: field!, desc: (dir ?? order ?? "asc") === "desc" };
  });
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const av = k.field in a.time ? a.time[k.field] : a.str[k.field];
      const bv = k.field in b.time ? b.time[k.field] : b.str[k.field];
      if (av === bv) continue;
      if (av == null) return 1;
      if (bv == null) return -1;
      const c = av < bv ? -1 : 1;
      return k.desc ? -c : c;
    }
    return a.id < b.id ? -1 : 1;
  });
}

const ACCESS_DENIED = "HTTP Basic: Access denied.";

function denyAuth(world: World, res: Res, key: string | undefined): void {
  const body = world.settings.echoKeyInErrors && key ? `HTTP Basic: Access denied for key ${key}.` : ACCESS_DENIED;
  send(world, res, 401, body, { "Content-Type": "text/plain; charset=utf-8", "WWW-Authenticate": 'Basic realm="Application"' });
}

function keyFromAuthorization(header: string | undefined): string | undefined {
  if (!header || !header.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.lastIndexOf(":");
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

function safeHost(host: string | undefined): string {
  return host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : "127.0.0.1";
}

function userJson(account: ClinikoAccount, user: ClinikoUser, base: string): string {
  return JSON.stringify({
    id: user.id,
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.email,
    role: user.role,
    time_zone: account.timeZone,
    user_active: user.active,
    created_at: "2019-03-01T00:00:00Z",
    updated_at: "2024-02-01T00:00:00Z",
    links: { self: `${base}/users/${user.id}` },
  });
}

export async function handleCliniko(world: World, req: Req, res: Res, shard: string, path: string, search: URLSearchParams): Promise<void> {
  const s = world.settings;
  const accept = req.headers.accept ?? "";
  // why: fetch sends `Accept: */*` by default; only an explicit application/json proves the client sets it
  if (s.requireAccept && !/application\/json/i.test(accept)) {
    send(world, res, 406, "", { "Content-Type": "text/plain" });
    return;
  }
  if (s.requireUserAgent && !/\S.*\(\s*\S+@\S+\s*\)/.test(req.headers["user-agent"] ?? "")) {
    send(world, res, 403, "Requires a user agent", { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  const key = keyFromAuthorization(req.headers.authorization);
  const record: ClinikoKeyRecord | undefined = key === undefined ? undefined : world.cliniko.keys.get(key);
  const account = record ? world.cliniko.accounts.get(record.accountId) : undefined;
  const fault = await applyFaults(world, res, faultScopes(world, "cliniko", shard, account));
  if (fault.handled) return;
  const user = account?.users.find((u) => u.id === record?.userId);
  // why: Cliniko answers every key problem with the same 401 — wrong, archived, other shard, inactive user
  if (!record || !account || !user || record.status !== "active" || account.shard !== shard || !user.active) {
    denyAuth(world, res, key);
    return;
  }
  // why: the narrowest scope that sets a budget wins: account, then shard, then global, then settings
  const shardFaults = regionFaultsOf(world, "cliniko", shard);
  const limit = account.faults.rateLimit ?? shardFaults.rateLimit ?? world.globalFaults.rateLimit ?? s.rateLimit;
  const windowMs = account.faults.rateWindowMs ?? shardFaults.rateWindowMs ?? world.globalFaults.rateWindowMs ?? s.rateWindowMs;
  const resetAt = takeRateLimit(world, `cliniko:${account.id}:${user.id}`, limit, windowMs);
  if (resetAt !== undefined) {
    send(world, res, 429, "Rate limit exceeded. Try again later.\n", {
      "Content-Type": "text/plain; charset=utf-8",
      "X-RateLimit-Reset": String(Math.ceil(resetAt / 1000)),
    });
    return;
  }
  if (req.method !== "GET") {
    sendJson(world, res, 405, { message: "Method Not Allowed" });
    return;
  }

  const base = `http://${safeHost(req.headers.host)}/cliniko/${shard}/v1`;
  const finish = (status: number, body: string) => {
    const text = body.includes(BASE) ? body.replaceAll(BASE, base) : body;
    sendJson(world, res, status, fault.malformed ? truncate(text) : text);
  };
  const segments = path.split("/").filter(Boolean);
  const resource = segments[0] ?? "";
  const denied = user.denied[resource];
  if (denied === 403) {
    const body = s.clinikoForbiddenBody === "empty" ? "" : "You do not have permission to access this page.";
    send(world, res, 403, body, { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  if (denied === 404) {
    sendJson(world, res, 404, { message: "Not found" });
    return;
  }
  if (resource === "user" && segments.length === 1) {
    finish(200, userJson(account, user, base));
    return;
  }
  const collection = COLLECTIONS[resource];
  if (!collection) {
    sendJson(world, res, 404, { message: "Not found" });
    return;
  }
  const rest = segments.slice(1);
  let variant = DEFAULT_VARIANT;
  if (rest.length === 1 && collection.variants[rest[0]!]) variant = rest[0]!;
  else if (rest.length === 1) {
    const hidden = resource === "patients" && record.hidePatients;
    const found = hidden ? undefined : rowsOf(world, account, resource).find((r) => r.id === rest[0]);
    if (!found) sendJson(world, res, 404, { message: "Not found" });
    else finish(200, found.json);
    return;
  } else if (rest.length > 0) {
    sendJson(world, res, 404, { message: "Not found" });
    return;
  }

  const all = resource === "patients" && record.hidePatients ? [] : rowsOf(world, account, resource);
  let filters: Filter[];
  try {
    filters = parseFilters(search.getAll("q[]"), all[0], resource);
  } catch (err) {
    if (err instanceof ValidationFailed) {
      sendJson(world, res, 422, { message: "Validation Failed", errors: err.errors });
      return;
    }
    throw err;
  }
  const includeArchived = filters.some((f) => f.field === "archived_at" && f.op === "*");
  const includeDeleted = filters.some((f) => f.field === "deleted_at" && f.op === "*");
  const keep =
    variant === DEFAULT_VARIANT && (includeArchived || includeDeleted)
      ? (r: Row) => (includeArchived || r.time.archived_at == null) && (includeDeleted || r.time.deleted_at == null)
      : collection.variants[variant]!;
  const sort = search.get("sort");
  const cacheKey = `${account.id}|${account.version}|${resource}|${variant}|${record.hidePatients}|${search.getAll("q[]").join("&")}|${sort}|${search.get("order")}`;
  let queryCache = queryCaches.get(world);
  if (!queryCache) queryCaches.set(world, (queryCache = new Map()));
  let rows = queryCache.get(cacheKey);
  if (!rows) {
    // why: a sync pages by updated_at (every page a new `updated_at:>=` filter); sorting the whole
    // resource once per variant and filtering the sorted list keeps each page linear, not n log n
    const baseKey = `${account.id}|${account.version}|${resource}|${variant}|${record.hidePatients}|${includeArchived}|${includeDeleted}|${sort}|${search.get("order")}|base`;
    let baseCache = baseCaches.get(world);
    if (!baseCache) baseCaches.set(world, (baseCache = new Map()));
    let base = baseCache.get(baseKey);
    if (!base) {
      base = sortRows(all.filter(keep), sort, search.get("order"));
      if (baseCache.size >= QUERY_CACHE_MAX) baseCache.delete(baseCache.keys().next().value!);
      baseCache.set(baseKey, base);
    }
    const active = filters.filter((f) => f.op !== "*");
    const ascByUpdated = sort === "updated_at" && (search.get("order") ?? "asc") === "asc";
    if (ascByUpdated && active.length > 0 && active.every((f) => f.field === "updated_at" && (f.op === ">=" || f.op === ">"))) {
      // why: keyset pages (`updated_at >= t`, oldest first) are a suffix of the sorted list: binary search, not a scan
      const sorted = base;
      const bound = (pred: (r: Row) => boolean) => {
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (pred(sorted[mid]!)) hi = mid;
          else lo = mid + 1;
        }
        return lo;
      };
      const end = bound((r) => r.time.updated_at == null);
      const start = Math.max(
        ...active.map((f) => bound((r) => r.time.updated_at == null || (f.op === ">=" ? r.time.updated_at >= f.time! : r.time.updated_at > f.time!))),
      );
      rows = sorted.slice(Math.min(start, end), end);
    } else rows = active.length === 0 ? base : base.filter((r) => active.every((f) => matches(r, f)));
    if (queryCache.size >= QUERY_CACHE_MAX) queryCache.delete(queryCache.keys().next().value!);
    queryCache.set(cacheKey, rows);
  }
  const perPage = Math.min(100, Math.max(1, Number.parseInt(search.get("per_page") ?? "50", 10) || 50));
  const page = Math.max(1, Number.parseInt(search.get("page") ?? "1", 10) || 1);
  const slice = rows.slice((page - 1) * perPage, page * perPage);
  const pageUrl = (n: number) => {
    const p = new URLSearchParams(search);
    p.set("page", String(n));
    p.set("per_page", String(perPage));
    return `${base}${path}?${p.toString()}`;
  };
  const links: Record<string, string> = { self: pageUrl(page) };
  if (page * perPage < rows.length) links.next = pageUrl(page + 1);
  if (page > 1) links.previous = pageUrl(page - 1);
  finish(200, `{"${collection.field}":[${slice.map((r) => r.json).join(",")}],"total_entries":${rows.length},"links":${JSON.stringify(links)}}`);
}
