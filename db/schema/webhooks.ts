import { sql } from "drizzle-orm";
import { bigint, boolean, check, customType, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { bytea, inList } from "./columns.ts";
import { users } from "./users.ts";
import { type EventType, WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryStatus } from "../../domain/vocabulary.ts";

/** A Postgres transaction id (xid8), carried as its decimal text: it can exceed 2^53. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });

/**
 * Where events are sent (docs/decisions/0048-webhook-subscriptions.md): a URL, the event types it
 * wants, and its Standard Webhooks signing secret. Replaces the alert-only webhook_endpoints.
 */
export const webhookSubscriptions = pgTable(
  "webhook_subscriptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    url: text("url").notNull(),
    description: text("description"),
    /** Event types (domain/events/catalog.ts EVENT_TYPES); only these are delivered. */
    eventTypes: text("event_types").array().$type<EventType[]>().notNull(),
    /**
     * The `whsec_…` signing secret, AES-256-GCM sealed under the master keyring and bound to this
     * row's id (docs/decisions/0024-secrets-webhooks-hardening.md): shown once, never listed.
     */
    secretCiphertext: bytea("secret_ciphertext").notNull(),
    secretIv: bytea("secret_iv").notNull(),
    secretTag: bytea("secret_tag").notNull(),
    secretKeyId: text("secret_key_id").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /** Why: "disabled by <email>", or the automatic disabling's account of the failures. */
    disabledReason: text("disabled_reason"),
    /**
     * The position in `events` up to which this subscription's deliveries exist: the dispatcher
     * reads after it and moves it in the transaction that inserts the deliveries. It starts at the
     * creating transaction, so a new subscription only gets events committed after it.
     */
    cursorTxid: xid8("cursor_txid")
      .notNull()
      .default(sql`pg_current_xact_id()`),
    cursorSeq: bigint("cursor_seq", { mode: "bigint" })
      .notNull()
      .default(sql`0`),
    /** Consecutive failed attempts since the last success (any delivery), and when the streak began. */
    failureStreak: integer("failure_streak").notNull().default(0),
    failingSince: timestamp("failing_since", { withTimezone: true }),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("webhook_subscriptions_url_http", sql`${t.url} ~ '^https?://[^\\s]+$'`),
    check("webhook_subscriptions_has_types", sql`cardinality(${t.eventTypes}) >= 1`),
    check("webhook_subscriptions_disabled_has_time", sql`${t.enabled} = (${t.disabledAt} is null)`),
    check("webhook_subscriptions_streak_nonneg", sql`${t.failureStreak} >= 0`),
    index("webhook_subscriptions_created_idx").on(t.createdAt, t.id),
  ],
);

/** One event for one subscription: retried on a schedule until the receiver answers 2xx or ~3 days pass. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    subscriptionId: uuid("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    /** events.id: the `webhook-id` header, the same on every attempt, so a receiver drops duplicates. */
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").$type<EventType>().notNull(),
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("pending"),
    attemptCount: integer("attempt_count").notNull().default(0),
    /** When the next attempt is due; also the lease of an attempt in flight (a killed worker's attempt is retried after it). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    /** The start of the current retry schedule: the first attempt, or the last manual redelivery / re-enabling. */
    scheduleStartedAt: timestamp("schedule_started_at", { withTimezone: true }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    lastHttpStatus: integer("last_http_status"),
    /** Capped at 500 characters; never the secret, the signature or the whole response body. */
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check("webhook_deliveries_status_check", inList(t.status, WEBHOOK_DELIVERY_STATUSES)),
    check("webhook_deliveries_attempts_nonneg", sql`${t.attemptCount} >= 0`),
    check("webhook_deliveries_error_length", sql`${t.lastError} is null or length(${t.lastError}) <= 500`),
    // why: a dispatcher that runs twice (or a retried dispatch) never delivers an event twice to one subscription
    uniqueIndex("webhook_deliveries_subscription_event_uidx").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_subscription_created_idx").on(t.subscriptionId, t.createdAt.desc(), t.id.desc()),
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'failed')`),
  ],
);

/** Every attempt of a delivery, as the delivery log shows it. Append-only. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    ok: boolean("ok").notNull(),
    httpStatus: integer("http_status"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
  },
  (t) => [
    check("webhook_attempts_attempt_positive", sql`${t.attempt} >= 1`),
    check("webhook_attempts_error_length", sql`${t.error} is null or length(${t.error}) <= 500`),
    index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt),
  ],
);

export type WebhookSubscription = typeof webhookSubscriptions.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
