import type { NookalRegion, Vendor } from "../vocabulary.ts";

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

export interface ConnectionTarget {
  vendor: Vendor;
  /** The plaintext key, decrypted only for the duration of a call. */
  key: string;
  /** Cliniko shard or Nookal region. */
  region: string;
  /** Cliniko v1; Nookal v3 or v2. */
  apiVersion: string;
  /**
   * The clinic's configured IANA time zone, for vendor timestamps sent without one (Nookal):
   * no public Nookal client reads a time zone from the API.
   */
  timeZone?: string;
}

/** What a successful key check learned. */
export interface VerifyResult {
  vendor: Vendor;
  region: string;
  apiVersion: string;
  user: { id: string; name: string; email?: string; role?: string; active?: boolean };
  /** Businesses (Cliniko) or locations (Nookal) the key can see. */
  locations: { id: string; name: string; timeZone?: string }[];
  /**
   * The account as the vendor names it, when it does: Cliniko's business name(s), Nookal v2's
   * practiceName (and a practice id only if the vendor sends one; the attested API has none).
   */
  practice?: { id?: string; name?: string };
  visiblePatients: number;
  /** Counting stopped at a cap: at least `visiblePatients` patients are visible (Nookal v3 pages without totals). */
  visiblePatientsAtLeast?: boolean;
}

export interface PatientSummary {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth?: string | null;
}

/** One page of a list. `cursor`, when present, is safe to persist: resume with `since: cursor`. */
export interface Page<T> {
  items: T[];
  /** 1-based page number. */
  page: number;
  /** Total matching records when the vendor says so. */
  totalItems?: number;
  /**
   * ISO-8601 UTC. Overlaps the newest record seen by one second, so resuming re-reads a few
   * records rather than missing any that share a timestamp: consumers upsert by id.
   */
  cursor?: string;
  /**
   * Keyset paging (Cliniko, with `ListOptions.from`): where to start again to see everything after
   * this page. Re-reads the records that share the last page's newest `updated_at` (consumers upsert
   * by id), so equal timestamps at a page boundary are never skipped. Safe to persist per page.
   */
  resume?: ListPosition;
}

/** A place in a list ordered by `updated_at`: records with `updated_at >= at`, from their `page`th page. */
export interface ListPosition {
  /** ISO-8601 UTC; "" = from the very first record. */
  at: string;
  /** 1-based page within `updated_at >= at` (above 1 only while more than a page shares `at`). */
  page: number;
}

export interface ListOptions {
  /** Only records changed after this instant (ISO-8601); a cursor from a previous Page. */
  since?: string;
  /**
   * Cliniko: page by `updated_at >= at` instead of following links.next, so a record changed while
   * paging moves behind the reader instead of shifting an unread one onto a page already read.
   * Each page carries `resume`. Ignored by vendors without time-ordered lists.
   */
  from?: ListPosition;
  /** Also list archived and deleted records (Cliniko `q[]=archived_at:*`, `q[]=deleted_at:*`). */
  includeRemoved?: boolean;
  signal?: AbortSignal;
}

/** A Cliniko business or a Nookal location. */
export interface LocationRecord {
  id: string;
  name: string;
  timeZone: string | null;
  country: string | null;
  archived: boolean;
  updatedAt: string | null;
}

/** A practitioner's regular hours on one weekday (Cliniko daily_availabilities). */
export interface DailyAvailabilityRecord {
  id: string;
  practitionerId: string | null;
  locationId: string | null;
  /** ISO weekday, 1 = Monday. */
  dayOfWeek: number;
  /** Wall-clock spans, "HH:MM". */
  spans: { startsAt: string; endsAt: string }[];
  updatedAt: string | null;
}

/** Extra availability (availability_blocks) or time off (unavailable_blocks). */
export interface AvailabilityBlockRecord {
  id: string;
  practitionerId: string | null;
  locationId: string | null;
  startsAt: string;
  endsAt: string | null;
  /** The vendor's repeat rule, verbatim (null for a one-off). */
  repeatRule: Record<string, unknown> | null;
  deleted: boolean;
  updatedAt: string | null;
}

export interface PatientRecord {
  id: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string | null;
  email: string | null;
  /** Nookal location; null for Cliniko (patients belong to the account). */
  locationId: string | null;
  archived: boolean;
  /** When the vendor says (Cliniko archived_at). */
  archivedAt?: string | null;
  /** Listed with includeRemoved (Cliniko deleted_at set). */
  deleted?: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface PractitionerRecord {
  id: string;
  firstName: string;
  lastName: string;
  designation: string | null;
  active: boolean;
  updatedAt: string | null;
}

export interface AppointmentTypeRecord {
  id: string;
  name: string;
  durationMinutes: number | null;
  archived: boolean;
  updatedAt: string | null;
}

export type AppointmentStatus = "booked" | "arrived" | "did_not_arrive" | "cancelled";

export interface AppointmentRecord {
  id: string;
  /** ISO-8601 UTC */
  startsAt: string;
  endsAt: string | null;
  patientId: string | null;
  practitionerId: string | null;
  appointmentTypeId: string | null;
  /** Cliniko business or Nookal location. */
  locationId: string | null;
  status: AppointmentStatus;
  cancelledAt: string | null;
  cancellationReason: string | null;
  deleted: boolean;
  updatedAt: string | null;
}

export type InvoiceStatus = "open" | "paid" | "closed" | "open_credit" | "unknown";

export interface InvoiceRecord {
  id: string;
  number: string | null;
  /** YYYY-MM-DD */
  issueDate: string | null;
  status: InvoiceStatus;
  /** The vendor's own status, verbatim ("20", "Paid"…). */
  vendorStatus: string;
  /** Decimal strings, exactly as the vendor sent them ("123.45"). */
  totalAmount: string;
  netAmount: string | null;
  taxAmount: string | null;
  patientId: string | null;
  practitionerId: string | null;
  appointmentId: string | null;
  closedAt: string | null;
  deleted: boolean;
  updatedAt: string | null;
}
