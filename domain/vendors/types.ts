import type { Vendor } from "../health/states.ts";

/** Settings every vendor client needs; passed in, never read from the environment here. */
export interface VendorSettings {
  /** e.g. `https://api.{shard}.cliniko.com/v1` or `http://127.0.0.1:4010/cliniko/{shard}/v1` */
  clinikoBaseUrlTemplate: string;
  nookalV3BaseUrls: Partial<Record<NookalRegion, string>>;
  nookalV2BaseUrl: string;
  appName: string;
  contactEmail: string;
  timeoutMs: number;
}

export const NOOKAL_REGIONS = ["au", "eu", "us"] as const;
export type NookalRegion = (typeof NOOKAL_REGIONS)[number];
export const NOOKAL_REGION_LABELS: Record<NookalRegion, string> = { au: "AU/NZ", eu: "EU/UK", us: "US" };

export interface ConnectionTarget {
  vendor: Vendor;
  /** The plaintext key, decrypted only for the duration of a call. */
  key: string;
  /** Cliniko shard or Nookal region. */
  region: string;
  /** Cliniko v1; Nookal v3 or v2. */
  apiVersion: string;
}

/** What a successful key check learned. */
export interface VerifyResult {
  vendor: Vendor;
  region: string;
  apiVersion: string;
  user: { id: string; name: string; email?: string; role?: string; active?: boolean };
  /** Businesses (Cliniko) or locations (Nookal) the key can see. */
  locations: { id: string; name: string; timeZone?: string }[];
  visiblePatients: number;
}

export interface PatientSummary {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth?: string | null;
}
