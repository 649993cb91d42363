import { z } from "zod";

/**
 * The clinic's own details, shared by the add form, the CSV import and the edit form, so one
 * clinic is valid or invalid the same way whichever door it came through.
 */

/** Offered in a list; any other IANA zone can still be typed. */
export const COMMON_TIME_ZONES = [
  "Australia/Sydney",
  "Australia/Melbourne",
  "Australia/Brisbane",
  "Australia/Adelaide",
  "Australia/Darwin",
  "Australia/Perth",
  "Australia/Hobart",
  "Pacific/Auckland",
  "Europe/London",
  "Europe/Dublin",
  "America/Toronto",
  "America/Vancouver",
  "America/Edmonton",
  "America/Halifax",
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Phoenix",
  "America/Los_Angeles",
  "Pacific/Honolulu",
] as const;

const ZONE_SHAPE = /^(?:UTC|[A-Z][A-Za-z_]+(?:\/[A-Za-z0-9_+-]+){1,2})$/;

/**
 * An IANA zone name the runtime knows. why: Intl also accepts offsets such as "+10:00", which
 * drift with daylight saving and break a clinic's local week; the shape check refuses them.
 */
function isValidTimeZone(zone: string): boolean {
  if (!ZONE_SHAPE.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

/** An ISO 3166-1 alpha-2 code the runtime can name (so "UK" and "XX" are refused; use GB). */
function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && regionNames.of(code) !== undefined && code !== "UK";
}

const optionalText = (max: number, tooLong: string) =>
  z
    .string()
    .trim()
    .max(max, tooLong)
    .optional()
    .transform((v) => (v ? v : null));

export const ClinicDetailsSchema = z.object({
  name: z.string().trim().min(1, "Give the clinic a name").max(200, "Keep the name under 200 characters"),
  timeZone: z
    .string()
    .trim()
    .min(1, "Pick the clinic's time zone")
    .refine(isValidTimeZone, "Not a time zone name this server knows, such as Australia/Sydney or Europe/London"),
  country: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .refine(isCountryCode, "Use the two-letter country code, such as AU, NZ, GB, IE, CA or US"),
  adminName: optionalText(200, "Keep the name under 200 characters"),
  adminEmail: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.union([z.literal(""), z.email("Not an email address")]))
    .optional()
    .transform((v) => (v ? v : null)),
});
export type ClinicDetails = z.output<typeof ClinicDetailsSchema>;

/** Names compare like people read them: case and extra spaces do not make a different clinic. */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}
