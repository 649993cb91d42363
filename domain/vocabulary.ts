/**
 * The product's shared vocabulary: vendors and their labels, connection states and how bad each
 * is, failure codes, alert kinds and statuses, delivery words, campaign statuses, and the shape of
 * the escalation packet. Plain data and types only: this module imports nothing, so every layer
 * (db schema, queries, domain, routes, workers) may depend on it without depending on each other.
 * An ESLint rule keeps it that way (eslint.config.js).
 */

// ---- vendors

export const VENDORS = ["cliniko", "nookal"] as const;
export type Vendor = (typeof VENDORS)[number];

export const VENDOR_LABELS: Record<Vendor, string> = { cliniko: "Cliniko", nookal: "Nookal" };

export const NOOKAL_REGIONS = ["au", "eu", "us"] as const;
export type NookalRegion = (typeof NOOKAL_REGIONS)[number];
export const NOOKAL_REGION_LABELS: Record<NookalRegion, string> = { au: "AU/NZ", eu: "EU/UK", us: "US" };

/**
 * Who is spending a vendor's rate budget (docs/decisions/0034-shared-rate-budget.md): a clinic
 * admin or support waiting on a verdict, a health probe, or a background sync. Sync may never use
 * the reserve that keeps probes and interactive checks prompt.
 */
export type BudgetLane = "interactive" | "probe" | "sync";

// ---- connection states (transitions: domain/health/states.ts)

export const CONNECTION_STATES = ["setup_pending", "healthy", "degraded", "action_required", "reconnect_pending", "pending_disconnect", "paused"] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const STATE_LABELS: Record<ConnectionState, string> = {
  setup_pending: "Setup pending",
  healthy: "Healthy",
  degraded: "Degraded",
  action_required: "Action required",
  reconnect_pending: "Reconnect pending",
  pending_disconnect: "Pending disconnect",
  paused: "Paused",
};

/**
 * Worst first: the order the console sorts states by. The one definition behind the
 * connections_state_severity_idx expression index and the queries that must match it exactly
 * (db/queries/state-severity.ts builds the SQL from this list).
 */
export const STATE_SEVERITY_ORDER = [
  "action_required",
  "degraded",
  "reconnect_pending",
  "pending_disconnect",
  "setup_pending",
  "paused",
  "healthy",
] as const satisfies readonly ConnectionState[];

export function isConnectionState(value: unknown): value is ConnectionState {
  return typeof value === "string" && (CONNECTION_STATES as readonly string[]).includes(value);
}

// ---- failure codes (meaning, messages and playbooks: domain/health/taxonomy.ts)

export const FAILURE_CODES = [
  "key_missing",
  "key_malformed",
  "auth_rejected",
  "wrong_region",
  "permission_denied",
  "no_patients_visible",
  "rate_limited",
  "vendor_unavailable",
  "network",
  "vendor_response_invalid",
  "key_unreadable",
  "integration_paused",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export function isFailureCode(value: unknown): value is FailureCode {
  return typeof value === "string" && (FAILURE_CODES as readonly string[]).includes(value);
}

// ---- alerts

/** The alerts a probe's decision opens and resolves (domain/health/decide.ts). */
export const HEALTH_ALERT_KINDS = ["connection_needs_action", "no_patients_visible", "degraded_too_long"] as const;
export type HealthAlertKind = (typeof HEALTH_ALERT_KINDS)[number];

/**
 * Health kinds, plus "briefing_held", raised by the weekly briefing job, and "account_change_pending",
 * raised when a clinic entered a key of a different vendor account (docs/decisions/0026).
 */
export const ALERT_KINDS = [...HEALTH_ALERT_KINDS, "briefing_held", "account_change_pending"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  connection_needs_action: "Connection needs action",
  no_patients_visible: "No patients visible",
  degraded_too_long: "Degraded for too long",
  briefing_held: "Weekly briefing held",
  account_change_pending: "Key for a different account waiting",
};

/**
 * open → acknowledged (someone is on it) / muted (quiet until a date) → resolved.
 * Resolved is terminal: a recurrence opens a new row (docs/decisions/0006-alerts.md).
 */
export const ALERT_STATUSES = ["open", "acknowledged", "muted", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** The only moments that notify anyone: a repeat of an open alert never does. */
const ALERT_EVENTS = ["opened", "reopened", "recovered"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/**
 * What a stored message is about: an alert event, a reconnect link emailed to a clinic admin, or a
 * clinic's weekly briefing (docs/decisions/0040-briefing-delivery.md), or a webhook subscription
 * disabled after sustained failure (to each admin; docs/decisions/0048-webhook-subscriptions.md), or a
 * vendor incident opened, updated or resolved (to support; docs/decisions/0049-vendor-incidents.md).
 * Every outgoing email and webhook is one alert_notifications row delivered by the `deliver` queue.
 */
export const NOTIFICATION_EVENTS = [
  ...ALERT_EVENTS,
  "reconnect_link",
  "briefing",
  "webhook_disabled",
  "incident_opened",
  "incident_update",
  "incident_resolved",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const DELIVERY_CHANNELS = ["email", "webhook"] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** Who a notification is written for: clinic-facing words, support-facing words, or machine JSON. */
export const NOTIFICATION_AUDIENCES = ["clinic_admin", "support", "webhook"] as const;
export type NotificationAudience = (typeof NOTIFICATION_AUDIENCES)[number];

/**
 * queued: a job will deliver it. delivered: SMTP or the receiver accepted it. outboxed: no SMTP
 * configured, the email waits in email_outbox for the console. suppressed: the alert was muted
 * before the job ran. failed: retries exhausted (the dead-letter handler sets it).
 */
export const NOTIFICATION_STATUSES = ["queued", "delivered", "outboxed", "suppressed", "failed"] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** The outcome of one attempt, recorded in alert_deliveries. */
export const DELIVERY_ATTEMPT_STATUSES = ["delivered", "outboxed", "suppressed", "failed"] as const;
export type DeliveryAttemptStatus = (typeof DELIVERY_ATTEMPT_STATUSES)[number];

/**
 * The per-message status the console shows (queued / sent / failed / dead), from the stored
 * status: "Queued" until the worker really sent it, "Sent" after; a failed attempt that will be
 * retried is "Failed, retrying"; retries exhausted is "Dead".
 */
export function messageStatusLabel(status: NotificationStatus, retrying = false): { label: string; tone: "ok" | "warn" | "bad" | "idle" } {
  switch (status) {
    case "queued":
      return retrying ? { label: "Failed, retrying", tone: "warn" } : { label: "Queued", tone: "idle" };
    case "delivered":
      return { label: "Sent", tone: "ok" };
    case "outboxed":
      return { label: "Not sent: no SMTP (in the outbox)", tone: "warn" };
    case "suppressed":
      return { label: "Not sent: suppressed", tone: "idle" };
    case "failed":
      return { label: "Dead: gave up after retries", tone: "bad" };
  }
}

// ---- support staff

/** Console roles, each including the ones after it: admin ⊃ agent ⊃ viewer (domain/auth/roles.ts). */
export const USER_ROLES = ["admin", "agent", "viewer"] as const;
export type UserRole = (typeof USER_ROLES)[number];

// ---- campaigns

/** Where a clinic in a campaign stands (derived in db/queries/campaigns.ts). */
export const CAMPAIGN_STATUSES = ["reconnected", "waiting", "failing", "past_deadline"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

// ---- the escalation packet (built in domain/health/escalation.ts, stored with alerts)

/** no patients visible at all, vs one patient the clinic cannot find, vs not known. */
export type PatientScope = "none_visible" | "one_missing" | "unknown";

/**
 * What support learned while working a clinic, recorded by console actions and carried in the
 * escalation packet (docs/decisions/0027): the live patient lookup's count (never the name), and
 * that the clinic is copying notes by hand for the day.
 */
/** What a probe-strip tick is: a probe of the stored key, or the live check of a key as it was entered. */
export const PROBE_TICK_KINDS = ["probe", "key_check"] as const;
export type ProbeTickKind = (typeof PROBE_TICK_KINDS)[number];

export interface SupportFindings {
  patientLookup?: { matches: number; capped: boolean; at: string };
  manualNotes?: { since: string; note: string | null; by: string } | null;
  /** A probe learned this key's fingerprint and found other clinics storing the same key (one key must serve one clinic). */
  sharedKey?: { at: string; clinics: { clinicId: string; clinicName: string }[] } | null;
}

/**
 * Support expects the clinic to move to a different vendor account (a migration): the next working
 * key of another account connects without asking the clinic, and this is then consumed.
 */
export interface AccountChangePreapproval {
  at: string;
  by: string;
  byUserId: string;
  note: string;
}

export interface EscalationPacket {
  organisationName: string;
  vendor: Vendor;
  vendorLabel: string;
  region: string;
  /** Only for Nookal: the region's label (AU/NZ, EU/UK, US). */
  nookalRegion: string | null;
  /** Only for Cliniko. */
  clinikoShard: string | null;
  apiVersion: string | null;
  state: ConnectionState | null;
  failureCode: FailureCode | null;
  failureTitle: string | null;
  /** The vendor's answer, verbatim where there was one. */
  exactError: string;
  request: string | null;
  /** null when there is no failure streak to compare with. */
  keyReEnteredSinceFailure: boolean | null;
  patientScope: PatientScope;
  visiblePatients: number | null;
  /** The count stopped at a cap: at least `visiblePatients` are visible. Absent in packets stored before it existed. */
  visiblePatientsAtLeast?: boolean;
  firstFailureAt: string | null;
  lastSuccessAt: string | null;
  keyHint: string | null;
  suggestedAction: string | null;
  /** What support learned (patient lookup, notes copied by hand); absent in packets stored before it existed. */
  supportFindings?: SupportFindings | null;
  /** A sync saw far fewer records than the one before (docs/decisions/0033): which, before and after. */
  recordDrop?: { resource: string; before: number; after: number } | null;
  /** The weekly briefing is held (docs/decisions/0040): which week, and why, in recorded words. */
  briefingHeld?: { weekStart: string; reason: string } | null;
  /** The vendor region had an open incident when this was seen (docs/decisions/0049): say so in the ticket. */
  vendorIncident?: { id: string; summary: string } | null;
}

// ---- "broken now" and "failing since" (the SQL: db/queries/broken-now.ts; docs/decisions/0028-broken-now.md)

/**
 * "Broken now": the connection's last probe failed (it has an open failure episode, first_failure_at
 * set), whatever its workflow state — action required, degraded, reconnect pending, pending
 * disconnect or setup pending — except a deliberate pause by support, which is not a failure.
 */
export const BROKEN_NOW_MEANING = "the last probe failed (whatever the workflow state), except a deliberate pause";

/** "Failing since" bands, rolling windows back from now (zone-free, so every agent sees the same rows). */
export const FAILING_SINCE_BANDS = ["today", "yesterday", "week"] as const;
export type FailingSinceBand = (typeof FAILING_SINCE_BANDS)[number];
export const FAILING_SINCE_LABELS: Record<FailingSinceBand, string> = {
  today: "Failing since today",
  yesterday: "Since yesterday",
  week: "Over 7 days",
};

/** The band a failure start falls in, for the chip on a row (the same edges as the SQL filter). */
export function failingSinceBand(firstFailureAt: Date | string | null, now: number): FailingSinceBand | "days" | null {
  if (!firstFailureAt) return null;
  const age = now - new Date(firstFailureAt).getTime();
  if (age < 86_400_000) return "today";
  if (age < 2 * 86_400_000) return "yesterday";
  if (age >= 7 * 86_400_000) return "week";
  return "days";
}

// ---- identity continuity (docs/decisions/0026-identity-continuity.md)

/**
 * Who a working key belongs to, as the vendor said: exact id strings (Cliniko ids exceed 2^53).
 * Stored on the connection at every successful verify and kept current by probes.
 */
export interface VendorAccountIdentity {
  /** Cliniko: the key's user id. Nookal keys have no user: null. */
  userId: string | null;
  /** Cliniko business ids or Nookal location ids the key sees, sorted. */
  accountIds: string[];
  /** Nookal practice id when the vendor names it (not in the attested API); null otherwise. */
  practiceId: string | null;
  /** The business or practice name, for "This key belongs to …". */
  name: string;
}

/** The states of a pending account change: asked on the reconnect page, then waiting for support. */
export const ACCOUNT_CHANGE_STATUSES = ["asked", "awaiting_support", "confirmed", "declined", "discarded"] as const;
export type AccountChangeStatus = (typeof ACCOUNT_CHANGE_STATUSES)[number];

// ---- sync (docs/decisions/0033-sync.md)

/** What sync keeps per connection, in the order a run walks them (names before the records that use them). */
export const SYNC_RESOURCES = [
  "locations",
  "practitioners",
  "practitioners_inactive",
  "appointment_types",
  "patients",
  "appointments",
  "invoices",
  "daily_availabilities",
  "availability_blocks",
  "unavailable_blocks",
] as const;
export type SyncResource = (typeof SYNC_RESOURCES)[number];

export const SYNC_RESOURCE_LABELS: Record<SyncResource, string> = {
  locations: "Businesses / locations",
  practitioners: "Practitioners",
  practitioners_inactive: "Inactive practitioners",
  appointment_types: "Appointment types",
  patients: "Patients",
  appointments: "Appointments",
  invoices: "Invoices",
  daily_availabilities: "Daily availability",
  availability_blocks: "Extra availability",
  unavailable_blocks: "Unavailable blocks",
};

/** A run's or a resource's state. paused: the connection is paused (or not usable), so sync waits. */
export const SYNC_STATES = ["running", "succeeded", "failed", "paused"] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export const SYNC_STATE_LABELS: Record<SyncState, string> = { running: "Running", succeeded: "Succeeded", failed: "Failed", paused: "Paused" };

/** Why a sync ran. */
export const SYNC_TRIGGERS = ["schedule", "manual", "bulk"] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

// ---- the weekly briefing (docs/decisions/0040-briefing-delivery.md)

/**
 * One clinic's briefing of one week: due (claimed, not yet decided), held (the connection is not
 * healthy or the data stale; retried until the end of the clinic's Monday), sent (in the outbox /
 * on its way), skipped (not sent this week; the reason is recorded). sent and skipped are final.
 */
export const BRIEFING_STATES = ["due", "held", "sent", "skipped"] as const;
export type BriefingState = (typeof BRIEFING_STATES)[number];

export const BRIEFING_STATE_LABELS: Record<BriefingState, string> = { due: "Due", held: "Held", sent: "Sent", skipped: "Skipped" };

/**
 * What a JSON API token may do (docs/decisions/0042-json-api.md): `read` calls GET endpoints only;
 * `write` also calls the POST/PUT/DELETE ones, each authorised as an agent's console action.
 */
export const API_TOKEN_SCOPES = ["read", "write"] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/**
 * One event for one webhook subscription (docs/decisions/0048-webhook-subscriptions.md).
 * pending: not tried yet; failed: the last attempt failed and the next is due at next_attempt_at
 * (both wait while their subscription is disabled). succeeded: the receiver answered 2xx.
 * dead: every attempt of the ~3-day schedule failed (a manual redelivery can still send it).
 */
export const WEBHOOK_DELIVERY_STATUSES = ["pending", "failed", "succeeded", "dead"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
export const WEBHOOK_DELIVERY_STATUS_LABELS: Record<WebhookDeliveryStatus, { label: string; tone: "ok" | "warn" | "bad" | "idle" }> = {
  pending: { label: "Queued", tone: "idle" },
  failed: { label: "Failed, retrying", tone: "warn" },
  succeeded: { label: "Delivered", tone: "ok" },
  dead: { label: "Dead", tone: "bad" },
};

// ---- events (payload schemas and envelope: domain/events/catalog.ts; docs/events.md)

/** What Relink tells integrations about, through GET /api/v1/events and webhooks. */
export const EVENT_TYPES = [
  "connection.state_changed",
  "connection.recovered",
  "alert.opened",
  "alert.resolved",
  "sync.failed",
  "briefing.held",
  "briefing.sent",
  "incident.opened",
  "incident.updated",
  "incident.resolved",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// ---- vendor incidents (docs/decisions/0049-vendor-incidents.md)

/** What an incident's timeline records: its opening, each update sent to support, its resolution. */
export const INCIDENT_TIMELINE_KINDS = ["opened", "update", "resolved"] as const;
export type IncidentTimelineKind = (typeof INCIDENT_TIMELINE_KINDS)[number];

/** The probe outcome that opened an incident, as stored (no key, no request body). */
export interface IncidentEvidence {
  failureCode: FailureCode;
  httpStatus: number | null;
  /** What the vendor said (a maintenance page's title, a socket code), verbatim and cut short. */
  vendorMessage: string | null;
  at: string;
  /** The clinic whose probe tipped the count over the threshold. */
  clinicId: string;
}
