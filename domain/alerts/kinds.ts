import { HEALTH_ALERT_KINDS } from "../health/decide.ts";

/**
 * The alert vocabulary, shared by the schema's check constraints, the domain and the console.
 * Health kinds come from decide(); "briefing_held" is raised later by the weekly briefing job.
 */
export const ALERT_KINDS = [...HEALTH_ALERT_KINDS, "briefing_held"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_KIND_LABELS: Record<AlertKind, string> = {
  connection_needs_action: "Connection needs action",
  no_patients_visible: "No patients visible",
  degraded_too_long: "Degraded for too long",
  briefing_held: "Weekly briefing held",
};

/**
 * open → acknowledged (someone is on it) / muted (quiet until a date) → resolved.
 * Resolved is terminal: a recurrence opens a new row (docs/decisions/0006-alerts.md).
 */
export const ALERT_STATUSES = ["open", "acknowledged", "muted", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** The only moments that notify anyone: a repeat of an open alert never does. */
export const ALERT_EVENTS = ["opened", "reopened", "recovered"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/**
 * What a stored message is about: an alert event, or a reconnect link emailed to a clinic admin.
 * Every outgoing email and webhook is one alert_notifications row delivered by the `deliver` queue.
 */
export const NOTIFICATION_EVENTS = [...ALERT_EVENTS, "reconnect_link"] as const;
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
