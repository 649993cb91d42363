import type { RateLimiter } from "./rate-limiter.ts";
import type { TransportDeps } from "./transport.ts";
import type {
  AvailabilityBlockRecord,
  DailyAvailabilityRecord,
  LocationRecord,
  AppointmentRecord,
  AppointmentTypeRecord,
  InvoiceRecord,
  ListOptions,
  Page,
  PatientRecord,
  PatientSummary,
  PractitionerRecord,
  VerifyResult,
} from "./types.ts";
import type { NookalTokenStore } from "./nookal-token-store.ts";
import type { BudgetLane, Vendor } from "../vocabulary.ts";

/**
 * One interface for both vendors. Every method rejects only with VendorError; list methods are
 * async iterables of pages, so a caller can stop early and resume from a page's cursor.
 */
export interface VendorClient {
  readonly vendor: Vendor;
  /** The Cliniko shard or Nookal region requests go to. */
  readonly region: string;
  readonly apiVersion: string;
  /** The cheapest call that proves the vendor accepts the key here (Cliniko /user, Nookal token or v2 verify). */
  authenticate(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Who the key belongs to, what it can see, and how many patients. */
  verify(opts?: VerifyOptions): Promise<VerifyResult>;
  countPatients(opts?: { signal?: AbortSignal }): Promise<number>;
  searchPatients(name: string, opts?: { limit?: number; signal?: AbortSignal }): Promise<PatientSummary[]>;
  patients(opts?: ListOptions): AsyncIterable<Page<PatientRecord>>;
  practitioners(opts?: ListOptions): AsyncIterable<Page<PractitionerRecord>>;
  appointmentTypes(opts?: ListOptions): AsyncIterable<Page<AppointmentTypeRecord>>;
  appointments(opts?: ListOptions): AsyncIterable<Page<AppointmentRecord>>;
  invoices(opts?: ListOptions): AsyncIterable<Page<InvoiceRecord>>;
  /** Cliniko businesses or Nookal locations. */
  locations(opts?: ListOptions): AsyncIterable<Page<LocationRecord>>;
  /**
   * Inactive practitioners where the vendor lists them apart (Cliniko /practitioners/inactive);
   * absent where `practitioners` already includes them.
   */
  inactivePractitioners?(opts?: ListOptions): AsyncIterable<Page<PractitionerRecord>>;
  /** Availability, where the vendor has it as data (Cliniko); absent otherwise. */
  dailyAvailabilities?(opts?: ListOptions): AsyncIterable<Page<DailyAvailabilityRecord>>;
  availabilityBlocks?(opts?: ListOptions): AsyncIterable<Page<AvailabilityBlockRecord>>;
  unavailableBlocks?(opts?: ListOptions): AsyncIterable<Page<AvailabilityBlockRecord>>;
}

export interface VerifyOptions {
  /**
   * Nookal: fail with the vendor's permission message when the key lacks Clinical Notes access
   * (Relink copies notes, so a key without it is a permission gap). Default true.
   */
  requireClinicalNotes?: boolean;
  /**
   * Cliniko: also list the businesses the key sees (one more request). Default true; the periodic
   * probe turns it off because it only needs the user and the patient count.
   */
  includeLocations?: boolean;
  /**
   * Nookal v3: lists carry no totals, so patients are counted by paging; stop after this many
   * pages (default 10 of 200) and report `visiblePatientsAtLeast`.
   */
  maxPatientPages?: number;
  signal?: AbortSignal;
}

export interface VendorClientDeps extends TransportDeps {
  fetch?: typeof fetch;
  /**
   * Cliniko default: one process-wide limiter at 200 requests/min per key. Web and workers pass the
   * budget shared through Postgres (shared-budget.ts), which also budgets Nookal when configured.
   */
  rateLimiter?: RateLimiter;
  /** Whose share of that budget this client spends: interactive (default), probe or sync. */
  lane?: BudgetLane;
  now?: () => number;
  /**
   * Nookal v3 access tokens. Composition roots pass the Postgres-backed store so every process
   * shares one token per key; the default is one in-memory store for this process.
   */
  tokenStore?: NookalTokenStore;
}
