import { z } from "zod";
import { VendorError } from "./errors.ts";
import { parseNookalKey } from "./nookal-key.ts";
import type { VendorRequest } from "./transport.ts";
import type { AppointmentStatus, InvoiceStatus } from "./types.ts";

/**
 * `{"status":"failure","details":{…}}` — sent with HTTP 200. A missing key was captured live as
 * `{"errorCode":"L000_1","alerts":["Missing variable: api_key"]}` (no errorMessage); an
 * `errorMessage` is tolerated too.
 */
const NookalFailureSchema = z.object({
  status: z.string().regex(/^failure$/i),
  details: z
    .object({
      errorMessage: z.string().nullish(),
      errorCode: z.union([z.string(), z.number()]).nullish(),
      alerts: z.union([z.array(z.unknown()), z.string()]).nullish(),
    })
    .loose()
    .nullish(),
});

function alertText(alerts: unknown[] | string | null | undefined): string | undefined {
  if (alerts == null) return undefined;
  const list = (Array.isArray(alerts) ? alerts : [alerts]).map((a) =>
    typeof a === "string" ? a : a && typeof a === "object" && "message" in a ? String((a as { message: unknown }).message) : JSON.stringify(a),
  );
  const text = list.filter(Boolean).join("; ");
  return text || undefined;
}

/** Recognise a Nookal failure envelope anywhere; returns the error to throw, or undefined. */
export function nookalFailure(body: unknown, req: Pick<VendorRequest, "region" | "method" | "path">, status?: number): VendorError | undefined {
  const f = NookalFailureSchema.safeParse(body);
  if (!f.success) return undefined;
  const message = f.data.details?.errorMessage || alertText(f.data.details?.alerts);
  const code = f.data.details?.errorCode;
  return new VendorError({
    vendor: "nookal",
    region: req.region,
    request: { method: req.method, path: req.path },
    kind: "vendor_failure",
    status,
    vendorMessage: message,
    vendorCode: code == null ? undefined : String(code),
    message: `Nookal reported a failure${message ? `: ${message}` : ""}`,
  });
}

export function ensureNookalKey(key: string, region: string): string {
  const parsed = parseNookalKey(key);
  if (parsed.ok) return parsed.key;
  throw new VendorError({ vendor: "nookal", region, kind: parsed.reason === "empty" ? "key_missing" : "key_malformed", message: parsed.message });
}

/** "0"/"1", "true"/"false", booleans. */
export const FlagSchema = z
  .union([z.boolean(), z.number(), z.string()])
  .nullish()
  .transform((v) => (v == null ? null : v === true || v === 1 || v === "1" || /^(true|yes|y)$/i.test(String(v))));

export function appointmentStatus(
  raw: string | null | undefined,
  flags: { arrived?: boolean | null; cancelled?: boolean | null; dna?: boolean | null },
): AppointmentStatus {
  const s = (raw ?? "").toLowerCase();
  if (flags.cancelled || s.includes("cancel")) return "cancelled";
  if (flags.dna || s.includes("did not arrive") || s === "dna" || s.includes("no show")) return "did_not_arrive";
  if (flags.arrived || s.includes("arrived") || s.includes("complete")) return "arrived";
  return "booked";
}

export function invoiceStatus(raw: string | null | undefined): InvoiceStatus {
  const s = (raw ?? "").toLowerCase();
  if (s.includes("credit")) return "open_credit";
  if (s.includes("paid") && !s.includes("unpaid") && !s.includes("part")) return "paid";
  if (s.includes("written") || s.includes("void") || s.includes("closed") || s.includes("cancel")) return "closed";
  if (s.includes("outstanding") || s.includes("unpaid") || s.includes("open") || s.includes("part") || s.includes("due")) return "open";
  return "unknown";
}
