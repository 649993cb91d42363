import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { connections } from "./connections.ts";
import { bytea, inList } from "./columns.ts";
import { reconnectLinks } from "./reconnect-links.ts";
import { users } from "./users.ts";
import { vendorIncidents } from "./incidents.ts";
import {
  ALERT_KINDS,
  ALERT_STATUSES,
  type AlertKind,
  type AlertStatus,
  DELIVERY_ATTEMPT_STATUSES,
  DELIVERY_CHANNELS,
  type DeliveryAttemptStatus,
  type DeliveryChannel,
  type EscalationPacket,
  NOTIFICATION_AUDIENCES,
  NOTIFICATION_EVENTS,
  NOTIFICATION_STATUSES,
  type NotificationAudience,
  type NotificationEvent,
  type NotificationStatus,
} from "../../domain/vocabulary.ts";

/** One incident per row: a connection's alert of one kind, from first sighting to resolution. */
export const alerts = pgTable(
  "alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "cascade" }),
    kind: text("kind").$type<AlertKind>().notNull(),
    status: text("status").$type<AlertStatus>().notNull().default("open"),
    /** How many times the condition was seen while this alert stayed unresolved. */
    count: integer("count").notNull().default(1),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: uuid("acknowledged_by").references(() => users.id, { onDelete: "restrict" }),
    /** Kept after resolution, so a recurrence inside the mute window stays quiet too. */
    mutedUntil: timestamp("muted_until", { withTimezone: true }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** The resolved alert this one recurs after (docs/decisions/0006-alerts.md: recurrence opens a new row). */
    reopenedFromId: uuid("reopened_from_id").references((): AnyPgColumn => alerts.id, { onDelete: "set null" }),
    /** The escalation packet as of the last sighting: what support pastes into a vendor ticket. */
    packet: jsonb("packet").$type<EscalationPacket>().notNull(),
    /** The vendor incident this alert is grouped under (docs/decisions/0049-vendor-incidents.md). */
    incidentId: uuid("incident_id").references(() => vendorIncidents.id, { onDelete: "set null" }),
    /**
     * held: opened during the incident, so nobody was told. Its first sighting with no open incident
     * standing for it announces it as a first opening and clears this (domain/alerts/apply.ts).
     * Null: notified as usual.
     */
    hold: text("hold").$type<"held">(),
  },
  (t) => [
    check("alerts_kind_check", inList(t.kind, ALERT_KINDS)),
    check("alerts_status_check", inList(t.status, ALERT_STATUSES)),
    check("alerts_count_positive", sql`${t.count} >= 1`),
    check("alerts_seen_order", sql`${t.lastSeenAt} >= ${t.firstSeenAt}`),
    check("alerts_resolved_has_time", sql`(${t.status} = 'resolved') = (${t.resolvedAt} is not null)`),
    check("alerts_muted_has_until", sql`${t.status} <> 'muted' or ${t.mutedUntil} is not null`),
    check("alerts_hold_check", sql`${t.hold} is null or ${t.hold} = 'held'`),
    index("alerts_incident_idx")
      .on(t.incidentId)
      .where(sql`${t.incidentId} is not null`),
    check("alerts_acknowledged_has_time", sql`${t.status} <> 'acknowledged' or ${t.acknowledgedAt} is not null`),
    // why: the deduplication guarantee lives in the database, not in a read-then-write race
    uniqueIndex("alerts_one_unresolved_uidx")
      .on(t.connectionId, t.kind)
      .where(sql`${t.status} <> 'resolved'`),
    index("alerts_connection_kind_seen_idx").on(t.connectionId, t.kind, t.firstSeenAt.desc()),
    index("alerts_clinic_seen_idx").on(t.clinicId, t.lastSeenAt.desc()),
    index("alerts_unresolved_seen_idx")
      .on(t.lastSeenAt.desc())
      .where(sql`${t.status} <> 'resolved'`),
  ],
);

/**
 * One message for one target about one alert event (opened, reopened, recovered): rendered when
 * the event happens, so every retry sends the same words. Delivered by one `deliver` job (the queue
 * for every email). Rows with channel `webhook` are history: webhooks are event subscriptions now
 * (db/schema/webhooks.ts, docs/decisions/0048-webhook-subscriptions.md).
 */
export const alertNotifications = pgTable(
  "alert_notifications",
  {
    id: uuid("id").primaryKey(),
    /** Null for a message about no clinic (a webhook subscription disabled, to each admin). */
    clinicId: uuid("clinic_id").references(() => clinics.id, { onDelete: "cascade" }),
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "cascade" }),
    // why: one "recovered" message covers every alert the recovery resolved, so it is a list
    // (empty for a reconnect-link email, which is about no alert)
    alertIds: uuid("alert_ids").array().notNull(),
    event: text("event").$type<NotificationEvent>().notNull(),
    channel: text("channel").$type<DeliveryChannel>().notNull(),
    audience: text("audience").$type<NotificationAudience>().notNull(),
    /** An email address or a webhook URL. */
    target: text("target").notNull(),
    /** Stored as shown in the console: a reconnect link appears redacted (`/reconnect/…abcd`). */
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
    /** The reconnect link a reconnect_link email carries. */
    linkId: uuid("link_id").references(() => reconnectLinks.id, { onDelete: "set null" }),
    /**
     * The link's token, AES-256-GCM sealed with the master keyring and bound to this row's id, so
     * only the delivery worker can put the real link into the message it sends; wiped once sent
     * (docs/decisions/0023-delivery-and-probe-reliability.md).
     */
    tokenCiphertext: bytea("token_ciphertext"),
    tokenIv: bytea("token_iv"),
    tokenTag: bytea("token_tag"),
    tokenKeyId: text("token_key_id"),
    status: text("status").$type<NotificationStatus>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** The pg-boss job that delivers it, enqueued in the same transaction. */
    jobId: uuid("job_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    settledAt: timestamp("settled_at", { withTimezone: true }),
  },
  (t) => [
    check("alert_notifications_event_check", inList(t.event, NOTIFICATION_EVENTS)),
    check("alert_notifications_channel_check", inList(t.channel, DELIVERY_CHANNELS)),
    check("alert_notifications_audience_check", inList(t.audience, NOTIFICATION_AUDIENCES)),
    check("alert_notifications_status_check", inList(t.status, NOTIFICATION_STATUSES)),
    check(
      "alert_notifications_has_alerts",
      sql`cardinality(${t.alertIds}) >= 1 or ${t.event} in ('reconnect_link', 'briefing', 'webhook_disabled', 'incident_opened', 'incident_update', 'incident_resolved')`,
    ),
    check(
      "alert_notifications_token_parts_together",
      sql`(${t.tokenCiphertext} is null) = (${t.tokenIv} is null) and (${t.tokenIv} is null) = (${t.tokenTag} is null) and (${t.tokenTag} is null) = (${t.tokenKeyId} is null)`,
    ),
    check("alert_notifications_attempts_nonneg", sql`${t.attempts} >= 0`),
    check("alert_notifications_channel_audience", sql`(${t.channel} = 'webhook') = (${t.audience} = 'webhook')`),
    index("alert_notifications_clinic_created_idx").on(t.clinicId, t.createdAt.desc()),
    index("alert_notifications_alert_ids_idx").using("gin", t.alertIds),
    index("alert_notifications_unsettled_idx")
      .on(t.createdAt)
      .where(sql`${t.status} = 'queued'`),
  ],
);

/** Every delivery attempt, successful or not: what was tried, where, and what came back. Append-only. */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    notificationId: uuid("notification_id")
      .notNull()
      .references(() => alertNotifications.id, { onDelete: "cascade" }),
    channel: text("channel").$type<DeliveryChannel>().notNull(),
    target: text("target").notNull(),
    event: text("event").$type<NotificationEvent>().notNull(),
    attempt: integer("attempt").notNull(),
    status: text("status").$type<DeliveryAttemptStatus>().notNull(),
    httpStatus: integer("http_status"),
    error: text("error"),
    durationMs: integer("duration_ms"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("alert_deliveries_channel_check", inList(t.channel, DELIVERY_CHANNELS)),
    check("alert_deliveries_event_check", inList(t.event, NOTIFICATION_EVENTS)),
    check("alert_deliveries_status_check", inList(t.status, DELIVERY_ATTEMPT_STATUSES)),
    check("alert_deliveries_attempt_positive", sql`${t.attempt} >= 1`),
    uniqueIndex("alert_deliveries_notification_attempt_uidx").on(t.notificationId, t.attempt),
  ],
);

/**
 * Every email Relink composes. With SMTP configured a row is sent and stamped sent_at; without it
 * the row waits here and the console shows it (the zero-config start has no mail server).
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Set for alert emails: a retried job finds its row instead of composing a second one. */
    notificationId: uuid("notification_id").references(() => alertNotifications.id, { onDelete: "set null" }),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    messageId: text("message_id"),
    error: text("error"),
  },
  (t) => [
    check("email_outbox_to_has_at", sql`position('@' in ${t.to}) > 1`),
    uniqueIndex("email_outbox_notification_uidx").on(t.notificationId),
    index("email_outbox_created_idx").on(t.createdAt.desc()),
  ],
);

export type Alert = typeof alerts.$inferSelect;
export type NewAlert = typeof alerts.$inferInsert;
export type AlertNotification = typeof alertNotifications.$inferSelect;
export type NewAlertNotification = typeof alertNotifications.$inferInsert;
export type AlertDelivery = typeof alertDeliveries.$inferSelect;
export type NewAlertDelivery = typeof alertDeliveries.$inferInsert;
export type EmailOutboxRow = typeof emailOutbox.$inferSelect;
export type NewEmailOutboxRow = typeof emailOutbox.$inferInsert;
