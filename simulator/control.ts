import { z } from "zod";
import { readBody, sendJson, type Req, type Res } from "./http.ts";
import { isoSeconds } from "./time.ts";
import {
  addClinikoAccount,
  addClinikoKey,
  addClinikoUser,
  addNookalAccount,
  addNookalKey,
  datasetOf,
  findAccount,
  invalidate,
  regionFaultKey,
  type ClinikoAccount,
  type NookalAccount,
  type World,
} from "./world.ts";

/**
 * The control API under /_control: build accounts and keys, change their lifecycle and inject
 * faults. Documented in simulator/README.md. Plain JSON in and out; keys are shown here because
 * this is a fake vendor.
 */

const FaultsSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(120_000),
    errorRate: z.number().min(0).max(1),
    failNext: z.number().int().min(0),
    errorStatus: z.number().int().min(500).max(599),
    outage: z.object({ from: z.number().optional(), until: z.number().optional(), status: z.number().int().min(500).max(599).optional() }).nullable(),
    malformedRate: z.number().min(0).max(1),
    malformedNext: z.number().int().min(0),
    hangRate: z.number().min(0).max(1),
    hangNext: z.number().int().min(0),
    reset: z.boolean(),
    rateLimit: z.number().int().min(0),
    rateWindowMs: z.number().int().min(1),
  })
  .partial()
  .strict();

const SettingsSchema = z
  .object({
    rateLimit: z.number().int().min(0),
    rateWindowMs: z.number().int().min(1),
    tokenTtlSeconds: z.number().int().min(1),
    nookalAuthFailure: z.enum(["status_failure", "http_401"]),
    nookalListShape: z.enum(["page", "array"]),
    nookalFirstPage: z.enum(["zero", "one_clamped", "one_empty", "one_strict"]),
    nookalBadToken: z.enum(["graphql_errors", "oauth_401"]),
    nookalTokensPerKey: z.enum(["one", "many"]),
    nookalRefusedQuery: z.enum(["partial_error", "status_failure", "http_403"]),
    nookalV3Schema: z.enum(["attested", "extended"]),
    nookalV2FailureShape: z.enum(["alerts", "error_message"]),
    nookalV2Numbers: z.enum(["string", "number"]),
    nookalV2AllTreatmentNotes: z.enum(["no_arguments", "needs_patient", "absent"]),
    nookalV2TreatmentNotesPatient: z.enum(["required", "optional"]),
    requireUserAgent: z.boolean(),
    requireAccept: z.boolean(),
    clinikoForbiddenBody: z.enum(["text", "empty"]),
    echoKeyInErrors: z.boolean(),
    nookalDisabledKeyText: z.enum(["disabled", "credentials_not_found", "integration_disabled"]),
  })
  .partial()
  .strict();

const ShardSchema = z.string().regex(/^[a-z]{2}\d{1,2}$/);
const RegionSchema = z.enum(["au", "eu", "us"]);
const DeniedSchema = z.record(z.string(), z.union([z.literal(403), z.literal(404)]));
const UserSchema = z
  .object({ firstName: z.string(), lastName: z.string(), email: z.string(), role: z.string(), active: z.boolean(), denied: DeniedSchema })
  .partial();

const ClinikoAccountSchema = z.object({
  label: z.string().min(1).optional(),
  shard: ShardSchema,
  businessName: z.string().optional(),
  timeZone: z.string().optional(),
  country: z.string().length(2).optional(),
  patients: z.number().int().min(0).max(1_000_000).optional(),
  patientsOnly: z.boolean().optional(),
  practitioners: z.number().int().min(1).max(2000).optional(),
  invoiceShare: z.number().min(0).max(1).optional(),
  user: UserSchema.optional(),
  faults: FaultsSchema.optional(),
  /** How many keys to create for the first user (default 1). */
  keys: z.number().int().min(0).max(20).optional(),
  keyWithSuffix: z.boolean().optional(),
});

const NookalAccountSchema = z.object({
  label: z.string().min(1).optional(),
  region: RegionSchema,
  practiceName: z.string().optional(),
  timeZone: z.string().optional(),
  country: z.string().length(2).optional(),
  locations: z
    .array(z.object({ name: z.string(), patients: z.number().int().min(0).max(1_000_000) }))
    .min(1)
    .optional(),
  patientsOnly: z.boolean().optional(),
  faults: FaultsSchema.optional(),
  keys: z.number().int().min(0).max(20).optional(),
  apiVersion: z.enum(["v2", "v3"]).optional(),
});

const NookalKeySchema = z.object({
  apiVersion: z.enum(["v2", "v3"]).optional(),
  status: z.enum(["enabled", "disabled"]).optional(),
  locationIds: z.array(z.string()).optional(),
  clinicalNotes: z.boolean().optional(),
  name: z.string().optional(),
});

const KeyRefSchema = z.object({ key: z.string().min(1) });

function describeCliniko(world: World, a: ClinikoAccount) {
  return {
    vendor: a.vendor,
    id: a.id,
    label: a.label,
    shard: a.shard,
    businessName: a.businessName,
    timeZone: a.timeZone,
    patients: a.patients,
    users: a.users,
    faults: a.faults,
    keys: [...world.cliniko.keys.values()].filter((k) => k.accountId === a.id),
  };
}

function describeNookal(world: World, a: NookalAccount) {
  return {
    vendor: a.vendor,
    id: a.id,
    label: a.label,
    region: a.region,
    practiceName: a.practiceName,
    timeZone: a.timeZone,
    locations: a.locations,
    faults: a.faults,
    keys: [...world.nookal.keys.values()].filter((k) => k.accountId === a.id),
  };
}

function describe(world: World, a: ClinikoAccount | NookalAccount) {
  return a.vendor === "cliniko" ? describeCliniko(world, a) : describeNookal(world, a);
}

class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function account(world: World, id: string): ClinikoAccount | NookalAccount {
  const a = findAccount(world, decodeURIComponent(id));
  if (!a) throw new ControlError(404, `no account ${id}`);
  return a;
}

function keyRecord(world: World, key: string) {
  const record = world.cliniko.keys.get(key) ?? world.nookal.keys.get(key);
  if (!record) throw new ControlError(404, "no such key");
  return record;
}

/** Records whose updated_at the control API may bump, to exercise incremental sync. */
const TOUCHABLE = {
  patients: "patients",
  practitioners: "practitioners",
  appointments: "appointments",
  invoices: "invoices",
  appointment_types: "appointmentTypes",
  daily_availabilities: "dailyAvailabilities",
  availability_blocks: "availabilityBlocks",
  unavailable_blocks: "unavailableBlocks",
} as const;

/** What POST /accounts/:id/change may do to the first `count` live records of a resource. */
const CHANGES = ["delete", "archive", "cancel"] as const;

export async function handleControl(world: World, req: Req, res: Res, path: string, reset: (seed?: number) => void): Promise<void> {
  const method = req.method ?? "GET";
  const text = method === "GET" || method === "DELETE" ? "" : await readBody(req);
  let body: unknown = {};
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      sendJson(world, res, 400, { error: "body must be JSON" });
      return;
    }
  }
  const { route, params } = matchRoute(method, path);
  try {
    const out = run(world, route, params, body, reset);
    sendJson(world, res, 200, out ?? { ok: true });
  } catch (err) {
    if (err instanceof z.ZodError) sendJson(world, res, 400, { error: "invalid body", issues: err.issues });
    else if (err instanceof ControlError) sendJson(world, res, err.status, { error: err.message });
    else sendJson(world, res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The segments that take parameters after them: `/accounts/:id`, `/users/:id`, `/regions/:vendor/:region`. */
const PARAMS_AFTER = new Map<string, readonly string[]>([
  ["accounts", ["id"]],
  ["users", ["id"]],
  ["regions", ["vendor", "region"]],
]);

/** `POST /accounts/123/faults` → route `POST /accounts/:id/faults`, params `{ id: "123" }` (raw, not decoded). */
function matchRoute(method: string, path: string): { route: string; params: Record<string, string> } {
  const seg = path.split("/").filter(Boolean);
  const parts: string[] = [];
  const params: Record<string, string> = {};
  for (let i = 0; i < seg.length; i++) {
    parts.push(seg[i]!);
    for (const name of PARAMS_AFTER.get(seg[i]!) ?? []) {
      if (i + 1 >= seg.length) break;
      params[name] = seg[++i]!;
      parts.push(`:${name}`);
    }
  }
  return { route: `${method} /${parts.join("/")}`, params };
}

/** The region-faults key for `/regions/:vendor/:region`, checked: a Cliniko shard or a Nookal region. */
function regionTarget(params: Record<string, string>): string {
  const vendor = decodeURIComponent(params.vendor ?? "");
  const region = decodeURIComponent(params.region ?? "");
  if (vendor !== "cliniko" && vendor !== "nookal") throw new ControlError(400, `unknown vendor ${JSON.stringify(vendor)}: use cliniko or nookal`);
  const valid = vendor === "cliniko" ? ShardSchema.safeParse(region).success : RegionSchema.safeParse(region).success;
  if (!valid)
    throw new ControlError(
      400,
      vendor === "cliniko"
        ? `${JSON.stringify(region)} is not a Cliniko shard (two letters and a number, like au1)`
        : `${JSON.stringify(region)} is not a Nookal region (au, eu or us)`,
    );
  return regionFaultKey(vendor, region);
}

function run(world: World, route: string, params: Record<string, string>, body: unknown, reset: (seed?: number) => void): unknown {
  const id = params.id ?? "";
  switch (route) {
    case "GET /health":
      return { ok: true };
    case "GET /world":
      return {
        seed: world.seed,
        anchor: isoSeconds(world.anchor),
        settings: world.settings,
        globalFaults: world.globalFaults,
        regionFaults: [...world.regionFaults].map(([key, faults]) => {
          const [vendor, region] = key.split(":");
          return { vendor, region, faults };
        }),
        stats: world.stats,
        accounts: [...world.cliniko.accounts.values(), ...world.nookal.accounts.values()].map((a) => describe(world, a)),
      };
    case "GET /stats":
      return world.stats;
    case "POST /reset": {
      const { seed } = z.object({ seed: z.number().int().optional() }).parse(body);
      reset(seed);
      return { ok: true };
    }
    case "PATCH /settings":
    case "POST /settings":
      Object.assign(world.settings, SettingsSchema.parse(body));
      return world.settings;
    case "POST /faults":
      world.globalFaults = FaultsSchema.parse(body);
      return world.globalFaults;
    case "DELETE /faults":
      world.globalFaults = {};
      return world.globalFaults;
    case "POST /regions/:vendor/:region/faults": {
      const key = regionTarget(params);
      const faults = FaultsSchema.parse(body);
      world.regionFaults.set(key, faults);
      return faults;
    }
    case "DELETE /regions/:vendor/:region/faults":
      world.regionFaults.delete(regionTarget(params));
      return {};
    case "GET /rate-limits":
      return { buckets: [...world.rateLog].map(([bucket, log]) => ({ bucket, admitted: log.admitted, limited: log.limited })) };
    case "POST /rate-limits/reset":
      world.rateWindows.clear();
      world.rateLog.clear();
      return { ok: true };
    case "POST /cliniko/accounts": {
      const spec = ClinikoAccountSchema.parse(body);
      const a = addClinikoAccount(world, spec);
      for (let i = 0; i < (spec.keys ?? 1); i++) addClinikoKey(world, a, { withSuffix: spec.keyWithSuffix });
      return describeCliniko(world, a);
    }
    case "POST /cliniko/accounts/:id/users": {
      const a = account(world, id);
      if (a.vendor !== "cliniko") throw new ControlError(400, "not a Cliniko account");
      return addClinikoUser(world, a, UserSchema.parse(body));
    }
    case "POST /cliniko/accounts/:id/keys": {
      const a = account(world, id);
      if (a.vendor !== "cliniko") throw new ControlError(400, "not a Cliniko account");
      const spec = z
        .object({ userId: z.string().optional(), status: z.enum(["active", "archived"]).optional(), withSuffix: z.boolean().optional() })
        .parse(body);
      if (spec.userId && !a.users.some((u) => u.id === spec.userId)) throw new ControlError(404, "no such user");
      return addClinikoKey(world, a, spec);
    }
    case "PATCH /cliniko/users/:id": {
      const user = [...world.cliniko.accounts.values()].flatMap((a) => a.users).find((u) => u.id === id);
      if (!user) throw new ControlError(404, "no such user");
      Object.assign(user, UserSchema.parse(body));
      return user;
    }
    case "POST /cliniko/keys/archive":
    case "POST /cliniko/keys/activate": {
      const record = world.cliniko.keys.get(KeyRefSchema.parse(body).key);
      if (!record) throw new ControlError(404, "no such key");
      record.status = route.endsWith("archive") ? "archived" : "active";
      return record;
    }
    case "POST /nookal/accounts": {
      const spec = NookalAccountSchema.parse(body);
      const a = addNookalAccount(world, spec);
      for (let i = 0; i < (spec.keys ?? 1); i++) addNookalKey(world, a, { apiVersion: spec.apiVersion });
      return describeNookal(world, a);
    }
    case "POST /nookal/accounts/:id/keys": {
      const a = account(world, id);
      if (a.vendor !== "nookal") throw new ControlError(400, "not a Nookal account");
      const spec = NookalKeySchema.parse(body);
      if (spec.locationIds?.some((l) => !a.locations.some((loc) => loc.id === l))) throw new ControlError(400, "unknown location id");
      return addNookalKey(world, a, spec);
    }
    case "POST /nookal/keys/disable":
    case "POST /nookal/keys/enable": {
      const record = world.nookal.keys.get(KeyRefSchema.parse(body).key);
      if (!record) throw new ControlError(404, "no such key");
      record.status = route.endsWith("disable") ? "disabled" : "enabled";
      return record;
    }
    case "PATCH /nookal/keys": {
      const spec = KeyRefSchema.extend(NookalKeySchema.omit({ apiVersion: true }).shape).parse(body);
      const record = world.nookal.keys.get(spec.key);
      if (!record) throw new ControlError(404, "no such key");
      const { key: _key, ...changes } = spec;
      Object.assign(record, changes);
      return record;
    }
    case "POST /nookal/tokens/expire": {
      // why: expired, not forgotten — the vendor answers "Token has expired" for these
      const at = Date.now() - 1000;
      for (const t of world.nookal.tokens.values()) t.expiresAt = Math.min(t.expiresAt, at);
      return { ok: true };
    }
    case "POST /nookal/tokens/count": {
      const { key } = z.object({ key: z.string().optional() }).parse(body);
      const tokens = [...world.nookal.tokens.values()].filter((t) => key === undefined || t.keyId === key);
      return { live: tokens.filter((t) => !t.superseded && t.expiresAt > Date.now()).length, issued: tokens.length };
    }
    case "POST /keys/hide-patients": {
      const spec = KeyRefSchema.extend({ hidden: z.boolean().default(true) }).parse(body);
      const record = keyRecord(world, spec.key);
      record.hidePatients = spec.hidden;
      return { ok: true, hidden: spec.hidden };
    }
    case "GET /accounts/:id":
      return describe(world, account(world, id));
    case "POST /accounts/:id/move": {
      const a = account(world, id);
      if (a.vendor === "cliniko") a.shard = z.object({ shard: ShardSchema }).parse(body).shard;
      else a.region = z.object({ region: RegionSchema }).parse(body).region;
      return describe(world, a);
    }
    case "POST /accounts/:id/faults": {
      const a = account(world, id);
      a.faults = FaultsSchema.parse(body);
      return a.faults;
    }
    case "DELETE /accounts/:id/faults": {
      const a = account(world, id);
      a.faults = {};
      return a.faults;
    }
    case "POST /accounts/:id/patients": {
      const a = account(world, id);
      const { count, location } = z.object({ count: z.number().int().min(0).max(1_000_000), location: z.string().optional() }).parse(body);
      if (a.vendor === "cliniko") a.patients = count;
      else {
        const loc = location ? a.locations.find((l) => l.id === location) : a.locations[0];
        if (!loc) throw new ControlError(404, "no such location");
        loc.patients = count;
      }
      invalidate(a);
      return describe(world, a);
    }
    case "POST /accounts/:id/touch": {
      const a = account(world, id);
      const spec = z
        .object({ resource: z.enum(Object.keys(TOUCHABLE) as [keyof typeof TOUCHABLE]), count: z.number().int().min(1), at: z.number().optional() })
        .parse(body);
      const records = datasetOf(world, a)[TOUCHABLE[spec.resource]];
      const at = Math.floor((spec.at ?? Date.now()) / 1000) * 1000;
      const touched = records.slice(0, spec.count);
      for (const r of touched) r.updatedAt = at;
      // why: keep the mutated data, only drop what was rendered from it
      a.version++;
      return { touched: touched.length, updatedAt: isoSeconds(at) };
    }
    case "POST /accounts/:id/change": {
      // why: sync must apply deletions, archivals and cancellations; these bump updated_at as the vendor does
      const a = account(world, id);
      const spec = z
        .object({
          resource: z.enum(Object.keys(TOUCHABLE) as [keyof typeof TOUCHABLE]),
          change: z.enum(CHANGES),
          count: z.number().int().min(1),
          at: z.number().optional(),
        })
        .parse(body);
      const at = Math.floor((spec.at ?? Date.now()) / 1000) * 1000;
      const records = datasetOf(world, a)[TOUCHABLE[spec.resource]] as unknown as Record<string, unknown>[];
      const field = spec.change === "delete" ? "deletedAt" : spec.change === "archive" ? "archivedAt" : "cancelledAt";
      if (!records.some((r) => field in r)) throw new ControlError(400, `${spec.resource} cannot be ${spec.change}d`);
      // why: only records nothing has happened to yet, so each change is counted once
      const changed = records.filter((r) => r.deletedAt == null && r.archivedAt == null && r.cancelledAt == null).slice(0, spec.count);
      for (const r of changed) {
        r[field] = at;
        r.updatedAt = at;
        if (spec.change === "cancel") {
          r.status = "cancelled";
          r.cancellationReason = "Other";
        }
      }
      a.version++;
      return { changed: changed.length, updatedAt: isoSeconds(at) };
    }
    default:
      throw new ControlError(404, `no control route ${route}`);
  }
}
