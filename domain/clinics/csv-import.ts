import { randomUUID } from "node:crypto";
import type { ProbeJobQueue } from "../jobs.ts";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { recordAudit, recordAuditMany } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { findClinicsByNameKeys, insertClinics, insertConnections, lockClinicNames } from "../../db/queries/clinic-records.ts";
import type { NewConnection } from "../../db/schema/index.ts";
import { sealApiKey, type Keyring } from "../connections/key-storage.ts";
import { findClinicsUsingKey } from "../../db/queries/identity.ts";
import { keyFingerprint, keyFingerprintCandidates } from "../secrets/key-fingerprint.ts";
import { cleanPastedKey, guessNookalApiVersion } from "../health/verify-key.ts";
import { DEFAULT_CLINIKO_SHARD, parseClinikoKey, SHARD_PATTERN } from "../vendors/cliniko-key.ts";
import { parseNookalKey } from "../vendors/nookal-key.ts";
import { ClinicDetailsSchema, nameKey } from "./clinic-fields.ts";
import type { Actor } from "./console-actions.ts";
import { CLINIC_CSV_COLUMNS, MAX_IMPORT_ROWS } from "./csv-format.ts";
import { parseCsv, readHeader, type LineError } from "./csv.ts";
import { NOOKAL_REGIONS, type Vendor, VENDORS } from "../vocabulary.ts";

/**
 * Importing many clinics from a CSV (admins only). Every row is checked before anything is
 * written; one bad row means nothing is imported, and every bad row is reported with its line.
 * Keys are not verified live per row (a thousand vendor calls inside one request would be slow
 * and rate-limited): the connections start in setup_pending and a probe job per keyed
 * connection is enqueued in the same transaction, so the worker checks them within seconds.
 */

const REQUIRED = ["name", "time_zone", "country", "vendor"] as const;

type Column = (typeof CLINIC_CSV_COLUMNS)[number];

const RowSchema = ClinicDetailsSchema.extend({
  vendor: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(VENDORS, "must be cliniko or nookal")),
});

const FIELD_TO_COLUMN: Record<string, Column> = {
  name: "name",
  timeZone: "time_zone",
  country: "country",
  adminName: "admin_name",
  adminEmail: "admin_email",
  vendor: "vendor",
};

interface ImportRow {
  line: number;
  name: string;
  timeZone: string;
  country: string;
  adminName: string | null;
  adminEmail: string | null;
  vendor: Vendor;
  region: string;
  apiVersion: string;
  /** Cleaned; never put into an error or a response. */
  key: string | null;
}

function rowError(line: number, column: string, message: string): LineError {
  return { line, message: `${column}: ${message}` };
}

/** Vendor-specific columns: the region and API version, taken from the key where the key decides them. */
function connectionColumns(
  line: number,
  vendor: Vendor,
  cells: { region: string; apiVersion: string; key: string },
): { ok: true; region: string; apiVersion: string; key: string | null } | { ok: false; errors: LineError[] } {
  const errors: LineError[] = [];
  const region = cells.region.trim().toLowerCase();
  const apiVersion = cells.apiVersion.trim().toLowerCase();
  const key = cells.key.trim() ? cleanPastedKey(cells.key).key : null;
  if (vendor === "cliniko") {
    if (apiVersion && apiVersion !== "v1") errors.push(rowError(line, "api_version", "Cliniko has only API v1; leave it empty."));
    if (region && !SHARD_PATTERN.test(region)) errors.push(rowError(line, "region", `"${region}" is not a Cliniko shard such as au1 or uk2.`));
    let shard = region || DEFAULT_CLINIKO_SHARD;
    if (key) {
      // why: the parse messages never quote the key, so they are safe to show
      const parsed = parseClinikoKey(key);
      if (!parsed.ok) errors.push(rowError(line, "key", parsed.message));
      else if (parsed.hasSuffix) {
        if (region && region !== parsed.shard)
          errors.push(
            rowError(line, "region", `The key belongs to shard ${parsed.shard}, not ${region}. Leave region empty for Cliniko keys that end in their shard.`),
          );
        shard = parsed.shard;
      }
    }
    return errors.length ? { ok: false, errors } : { ok: true, region: shard, apiVersion: "v1", key };
  }
  if (!(NOOKAL_REGIONS as readonly string[]).includes(region))
    errors.push(rowError(line, "region", region ? `"${region}" is not a Nookal region (au, eu or us).` : "Nookal needs a region: au, eu or us."));
  if (apiVersion && apiVersion !== "v2" && apiVersion !== "v3")
    errors.push(rowError(line, "api_version", "Nookal API version is v2 or v3 (or empty to tell from the key)."));
  if (key) {
    const parsed = parseNookalKey(key);
    if (!parsed.ok) errors.push(rowError(line, "key", parsed.message));
  }
  const version = apiVersion || (key ? guessNookalApiVersion(key) : "v3");
  return errors.length ? { ok: false, errors } : { ok: true, region, apiVersion: version, key };
}

type ParsedImport = { ok: true; rows: ImportRow[] } | { ok: false; errors: LineError[] };

/** Reads and validates the whole file (everything except names already in the database). */
function parseClinicCsv(text: string): ParsedImport {
  const csv = parseCsv(text);
  if (!csv.ok) return { ok: false, errors: [{ line: csv.line, message: csv.message }] };
  const [header, ...records] = csv.records;
  if (!header) return { ok: false, errors: [{ line: 1, message: `The file is empty. The first line names the columns: ${CLINIC_CSV_COLUMNS.join(",")}.` }] };
  const head = readHeader(header, CLINIC_CSV_COLUMNS, REQUIRED);
  if (!head.ok) return { ok: false, errors: head.errors };
  if (records.length === 0) return { ok: false, errors: [{ line: header.line, message: "The file has a header but no clinics." }] };
  if (records.length > MAX_IMPORT_ROWS)
    return {
      ok: false,
      errors: [{ line: records[MAX_IMPORT_ROWS]!.line, message: `At most ${MAX_IMPORT_ROWS.toLocaleString("en-AU")} clinics per file; split it.` }],
    };

  const errors: LineError[] = [];
  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  for (const rec of records) {
    if (rec.fields.length !== header.fields.length) {
      errors.push({
        line: rec.line,
        message: `Has ${rec.fields.length} fields; the header has ${header.fields.length}. Check for a missing or extra comma (quote values that contain commas).`,
      });
      continue;
    }
    const cell = (c: Column) => {
      const i = head.index.get(c);
      return i === undefined ? "" : rec.fields[i]!;
    };
    const parsed = RowSchema.safeParse({
      name: cell("name"),
      timeZone: cell("time_zone"),
      country: cell("country"),
      adminName: cell("admin_name"),
      adminEmail: cell("admin_email"),
      vendor: cell("vendor"),
    });
    const lineErrors: LineError[] = parsed.success
      ? []
      : parsed.error.issues.map((i) => rowError(rec.line, FIELD_TO_COLUMN[String(i.path[0])] ?? String(i.path[0]), i.message));
    // why: the vendor alone decides the connection rules, so they are checked even when another column is wrong
    const vendor = RowSchema.shape.vendor.safeParse(cell("vendor"));
    const conn = vendor.success
      ? connectionColumns(rec.line, vendor.data, { region: cell("region"), apiVersion: cell("api_version"), key: cell("key") })
      : null;
    if (conn && !conn.ok) lineErrors.push(...conn.errors);
    if (parsed.success) {
      const k = nameKey(parsed.data.name);
      const first = seen.get(k);
      if (first !== undefined) lineErrors.push(rowError(rec.line, "name", `"${parsed.data.name}" is already on line ${first} of this file.`));
      else seen.set(k, rec.line);
    }
    if (lineErrors.length) {
      errors.push(...lineErrors);
      continue;
    }
    if (parsed.success && conn?.ok) rows.push({ line: rec.line, ...parsed.data, region: conn.region, apiVersion: conn.apiVersion, key: conn.key });
  }
  return errors.length ? { ok: false, errors } : { ok: true, rows };
}

export interface ImportDeps {
  db: Db;
  keyring: Keyring;
  /** A first probe per new connection is enqueued on the import's transaction (commits with it). */
  probes?: ProbeJobQueue;
}

export type ImportResult = { ok: true; created: number; withKey: number; withoutKey: number } | { ok: false; errors: LineError[] };

/**
 * Imports every clinic in the file or none: the names already taken are checked under the
 * clinic-name lock inside the same transaction that inserts, so a concurrent add cannot slip a
 * duplicate in between.
 */
export async function importClinicsCsv(
  { text, actor, fileName, now = new Date() }: { text: string; actor: Actor; fileName?: string; now?: Date },
  deps: ImportDeps,
): Promise<ImportResult> {
  const parsed = parseClinicCsv(text);
  if (!parsed.ok) return parsed;
  const rows = parsed.rows;
  return deps.db.transaction(async (tx) => {
    await lockClinicNames(tx);
    const taken = await findClinicsByNameKeys({ keys: [...new Set(rows.map((r) => nameKey(r.name)))] }, tx);
    if (taken.length) {
      const byKey = new Map(taken.map((t) => [t.key, t]));
      const errors = rows.flatMap((r) => {
        const t = byKey.get(nameKey(r.name));
        return t ? [rowError(r.line, "name", `A clinic called "${t.name}" already exists${t.archivedAt ? " (archived; restore it instead)" : ""}.`)] : [];
      });
      return { ok: false as const, errors };
    }
    const keyErrors = await sharedKeyErrors(rows, deps.keyring, tx);
    if (keyErrors.length) return { ok: false as const, errors: keyErrors };
    // why: ids chosen here, so matching rows to clinics never relies on the order RETURNING yields
    const clinicIds = rows.map(() => randomUUID());
    await insertClinics(
      rows.map((r, i) => ({
        id: clinicIds[i]!,
        name: r.name,
        timeZone: r.timeZone,
        country: r.country,
        adminName: r.adminName,
        adminEmail: r.adminEmail,
        createdAt: now,
        updatedAt: now,
      })),
      tx,
    );
    const actorTag = `user:${actor.userId}`;
    const connectionRows: NewConnection[] = [];
    const made = rows.map((r, i) => {
      const clinicId = clinicIds[i]!;
      const connectionId = randomUUID();
      const sealed = r.key ? sealApiKey(deps.keyring, connectionId, { vendor: r.vendor, key: r.key, region: r.region }, now) : null;
      connectionRows.push({
        id: connectionId,
        clinicId,
        vendor: r.vendor,
        region: r.region,
        apiVersion: r.apiVersion,
        ...(sealed ?? {}),
        // why: the account is learned by the first probe (keys are not verified per row); the key's fingerprint is known now
        keyFingerprint: r.key ? keyFingerprint(deps.keyring, r.vendor, r.key) : null,
        state: "setup_pending",
        stateChangedAt: now,
        // why: a clinic imported without a key shows what is missing at once instead of a blank problem column
        failureCode: sealed ? null : "key_missing",
      });
      return { clinicId, connectionId, keyHint: sealed?.keyHint ?? null, row: r };
    });
    await insertConnections(connectionRows, tx);
    await insertConnectionEvents(
      made.map((m) => ({
        connectionId: m.connectionId,
        clinicId: m.clinicId,
        at: now,
        kind: "created" as const,
        toState: "setup_pending" as const,
        failureCode: m.keyHint ? null : ("key_missing" as const),
        actor: actorTag,
        message: m.keyHint
          ? `Imported from CSV by ${actor.label} (line ${m.row.line}) with key ${m.keyHint}; the first probe checks it.`
          : `Imported from CSV by ${actor.label} (line ${m.row.line}) without a key; send the clinic a reconnect link to enter one.`,
        details: { via: "csv", line: m.row.line, fileName: fileName ?? null },
      })),
      tx,
    );
    await recordAuditMany(
      made.map((m) => ({
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "clinic.created",
        clinicId: m.clinicId,
        details: { via: "csv", line: m.row.line, vendor: m.row.vendor, region: m.row.region, apiVersion: m.row.apiVersion, keyHint: m.keyHint },
      })),
      tx,
    );
    const withKey = made.filter((m) => m.keyHint).length;
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.import", details: { fileName: fileName ?? null, created: made.length, withKey } },
      tx,
    );
    if (deps.probes && withKey) {
      await deps.probes.enqueue(
        made.filter((m) => m.keyHint).map((m) => ({ data: { connectionId: m.connectionId, reason: "setup" as const } })),
        tx,
      );
    }
    return { ok: true as const, created: made.length, withKey, withoutKey: made.length - withKey };
  });
}

/**
 * One key never serves two clinics (docs/decisions/0026): a row whose key is already another
 * clinic's, or repeats an earlier row's, is refused with its line. Runs under the clinic-name lock
 * that adding a clinic by hand takes too.
 */
async function sharedKeyErrors(rows: ImportRow[], keyring: Keyring, tx: Parameters<typeof findClinicsUsingKey>[1]): Promise<LineError[]> {
  const errors: LineError[] = [];
  const firstLine = new Map<string, number>();
  const candidates: { line: number; fingerprints: string[] }[] = [];
  for (const r of rows) {
    if (!r.key) continue;
    const fp = keyFingerprint(keyring, r.vendor, r.key);
    const first = firstLine.get(fp);
    if (first !== undefined) errors.push(rowError(r.line, "key", `The same key is on line ${first} of this file. Each clinic needs its own key.`));
    else firstLine.set(fp, r.line);
    candidates.push({ line: r.line, fingerprints: keyFingerprintCandidates(keyring, r.vendor, r.key) });
  }
  // why: one query for the whole file, then matched back to lines
  const all = candidates.flatMap((c) => c.fingerprints);
  const CHUNK = 1000;
  const used = new Map<string, string>();
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK);
    for (const hit of await findClinicsUsingKey({ fingerprints: chunk, limit: chunk.length }, tx)) used.set(hit.fingerprint, hit.clinicName);
  }
  for (const c of candidates) {
    const name = c.fingerprints.map((f) => used.get(f)).find(Boolean);
    if (name) errors.push(rowError(c.line, "key", `This key is already connected for "${name}". Each clinic needs its own key.`));
  }
  return errors.sort((a, b) => a.line - b.line);
}
