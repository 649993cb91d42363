import { z } from "zod";
import { VendorError } from "./errors.ts";
import { vendorText, type VendorRequest, type VendorResponse } from "./transport.ts";

/** Shared zod pieces: ids stay strings, money stays exact decimal text. */

// why: Cliniko ids exceed 2^53; a number here has already lost digits, so only safe integers pass
export const IdSchema = z.union([z.string().min(1), z.number().int().refine(Number.isSafeInteger, "id beyond 2^53 sent as a number")]).transform(String);

const DECIMAL = /^-?\d+(\.\d+)?$/;
export const MoneySchema = z.union([
  z.string().trim().regex(DECIMAL, "money must be a decimal string"),
  // why: tolerated, not preferred — a JSON number with two decimals prints back exactly
  z
    .number()
    .refine(Number.isFinite)
    .transform((n) => String(n)),
]);

export const NullableText = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

type Req = Pick<VendorRequest, "vendor" | "region" | "method" | "path">;

function invalidResponse(req: Req, message: string, res?: VendorResponse, cause?: unknown): VendorError {
  return new VendorError({
    vendor: req.vendor,
    region: req.region,
    request: { method: req.method, path: req.path },
    kind: "invalid_response",
    status: res?.status,
    // why: a truncated JSON body is patient data, not a vendor message; HTML/text pages are kept
    // because they say "maintenance" and the like
    vendorMessage: res && !/^\s*[[{]/.test(res.text) ? vendorText(res.text).slice(0, 300) || undefined : undefined,
    message,
    cause,
  });
}

export function parseJson(req: Req, res: VendorResponse): unknown {
  try {
    return JSON.parse(res.text);
  } catch (err) {
    throw invalidResponse(req, `${req.vendor} answered with something that is not JSON`, res, err);
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, req: Req, res?: VendorResponse): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // why: issue paths and expectations only — never the values, which hold patient data
  const summary = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new VendorError({
    vendor: req.vendor,
    region: req.region,
    request: { method: req.method, path: req.path },
    kind: "invalid_response",
    status: res?.status,
    message: `${req.vendor} answered in an unexpected shape (${summary})`,
  });
}

/** Latest of two ISO instants (either may be missing). */
export function laterOf(a: string | undefined, b: string | null | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** The cursor to hand out: one second before the newest change seen (see Page.cursor). */
export function overlapCursor(latest: string | undefined): string | undefined {
  if (!latest) return undefined;
  const ms = Date.parse(latest);
  return Number.isFinite(ms) ? new Date(ms - 1000).toISOString().replace(".000Z", "Z") : undefined;
}
