import { z } from "zod";
import { clinicWithConnection } from "../../../domain/clinics/clinic-page.ts";
import type { VerdictView } from "../../../domain/clinics/add-clinic.ts";
import { DomainError, isDomainError } from "../../../domain/errors.ts";
import { FAILURE_CODES } from "../../../domain/vocabulary.ts";
import type { Db } from "../../../db/client.ts";
import { ProblemSchema } from "../problems.server.ts";

/**
 * What the endpoints share (docs/decisions/0044-api-endpoints.md): the opaque cursor, the page
 * size, timestamps, the clinic an action works on, and how a domain rule's 400 reads in the API.
 */

/** An ISO 8601 instant in UTC, as every timestamp in the API is sent. */
export const Instant = z.iso.datetime().meta({ description: "ISO 8601 instant (UTC)" });

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/**
 * The opaque cursor: base64url of a JSON array of the last row's sort key (name and id, or time
 * and id). Clients pass it back unchanged; its contents are not part of the contract.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/**
 * A query member that decodes a cursor into its key (one string per shape, each matching it), or a
 * 400 next to `query.cursor`: a tampered cursor never reaches SQL.
 */
export function cursorParam(...shapes: RegExp[]) {
  return z
    .string()
    .max(1000)
    .transform((s, ctx) => {
      try {
        const key: unknown = JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
        if (Array.isArray(key) && key.length === shapes.length && key.every((k, i) => typeof k === "string" && shapes[i]!.test(k))) return key as string[];
      } catch {
        // fall through: not a cursor this API gave out
      }
      ctx.addIssue({ code: "custom", message: "Not a cursor from this API; pass `next` from the previous page unchanged." });
      return z.NEVER;
    })
    .optional()
    .meta({ description: "`next` from the previous page; omit for the first page" });
}

/** `limit` in the query: 1–200, default 50. */
export const LimitParam = z.coerce.number().int().min(1).max(200).default(50).meta({ description: "Rows per page, 1–200 (default 50)" });

/** A uuid path segment; anything else is a 404 from the router (an address that cannot name anything). */
/** A uuid as a cursor element. */
export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `Location` header of an answer that names where its subject lives (or where to poll). */
export const LocationHeaders = z.object({ Location: z.string().meta({ description: "Path of the resource to read (or poll)" }) });

export const ClinicParams = z.strictObject({ clinicId: z.uuid().meta({ description: "The clinic's id" }) });

/**
 * The clinic and connection an action works on: 404 when there is no such clinic (or it has no
 * connection), 409 when it is archived (as the console: restore it first).
 */
export async function activeClinic(clinicId: string, db: Db) {
  const found = await clinicWithConnection(clinicId, db);
  if (found.clinic.archivedAt) throw new DomainError(409, "This clinic is archived; restore it first.", { code: "clinic_archived" });
  return found;
}

/** Domain codes that mean "this collides with what exists" (409 in the API) rather than a bad value (422). */
const CONFLICT_CODES: ReadonlySet<string> = new Set(["clinic_name_taken", "key_in_use"]);

/**
 * Runs a domain call, re-stating its rule errors in API terms: a 400 next to a form field is a body
 * that is valid JSON but breaks a rule, so 422 (or 409 for a collision with an existing clinic or
 * key), its field renamed to the request member (`key` → `connection.apiKey`). Other errors pass.
 */
export async function asApi<T>(run: () => Promise<T>, fields: Record<string, string> = {}): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isDomainError(err) || err.status !== 400) throw err;
    const status = err.code && CONFLICT_CODES.has(err.code) ? 409 : 422;
    const field = err.field ? (fields[err.field] ?? err.field) : undefined;
    throw new DomainError(status, err.message, { field, code: err.code ?? "invalid_body", details: err.details });
  }
}

export const VerdictSchema = z
  .object({
    ok: z.boolean(),
    title: z.string(),
    failureCode: z.enum(FAILURE_CODES).nullable(),
    clinicMessage: z.string().nullable().meta({ description: "What to tell the clinic" }),
    supportMessage: z.string().nullable(),
    detail: z.string().nullable().meta({ description: "The specific reason: the local check's message or the vendor's classified answer" }),
    notes: z.array(z.string()).meta({ description: "What was cleaned from the pasted key (quotes, spaces)" }),
    suggestedRegion: z.string().nullable(),
    connectedAs: z.string().nullable(),
    visiblePatients: z.number().int().nullable(),
    visiblePatientsAtLeast: z.boolean().meta({ description: "The count stopped at a cap: at least visiblePatients" }),
  })
  .meta({ id: "KeyVerdict", description: "The live check of an API key with the vendor; never carries the key" });

/** The 422 of a call that verifies a key: problem details, with the vendor's `verdict` when it refused the key. */
export const KeyRefusedProblemSchema = ProblemSchema.extend({
  verdict: VerdictSchema.optional().meta({ description: "code key_refused: the live check's verdict (nothing was written)" }),
}).meta({ id: "KeyRefusedProblem", description: "RFC 9457 problem details; a refused key carries its verdict as an extension member" });

/** A key the vendor refused: 422 problem details carrying the verdict; nothing was written. */
export function refusedKey(verdict: VerdictView, instance: string, field: string) {
  return {
    status: 422,
    headers: { "Content-Type": "application/problem+json" },
    body: {
      type: "urn:relink:problem:key_refused",
      title: "Unprocessable content",
      status: 422,
      detail: `The vendor refused the key: ${verdict.title}. Nothing was changed.`,
      instance,
      code: "key_refused",
      errors: [{ field, detail: verdict.detail ?? verdict.title }],
      verdict,
    },
  };
}
