/**
 * The vendor's own product, as clinic admins know it (docs/decisions/0027-clinic-facing-brand-and-messages.md).
 * Clinics never heard of Relink: every page and email a clinic admin sees carries this name, and
 * optionally a logo and a support contact. Configured once (BRAND_* in config/env.ts).
 */
export interface Brand {
  /** "Clinic Connect" unless BRAND_PRODUCT_NAME says otherwise. */
  productName: string;
  logoUrl: string | null;
  supportEmail: string | null;
  supportUrl: string | null;
}

/** A neutral demo name: a page asking for an API key under a name the clinic knows, never "Relink". */
export const DEFAULT_BRAND: Brand = { productName: "Clinic Connect", logoUrl: null, supportEmail: null, supportUrl: null };

/** "Questions? support@vendor.example · https://help.vendor.example", or null when no contact is configured. */
export function brandContactLine(brand: Brand): string | null {
  const parts = [brand.supportEmail, brand.supportUrl].filter((p): p is string => Boolean(p));
  return parts.length ? `Questions? Contact ${brand.productName} support: ${parts.join(" · ")}` : null;
}

/**
 * A moment as the clinic reads it, in its own time zone: "Tuesday 8 December 2026, 10:15 (Australia/Sydney)".
 * Falls back to UTC for a zone the runtime does not know.
 */
export function clinicTime(at: Date, timeZone: string | null | undefined): string {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : "UTC";
  const text = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
  return `${text.replace(" at ", ", ")} (${zone})`;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
