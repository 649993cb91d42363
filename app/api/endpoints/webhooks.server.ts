import { z } from "zod";
import { findUserById } from "../../../db/queries/users.ts";
import { getSubscription, listAttempts, listDeliveries, listSubscriptions, type SubscriptionRow } from "../../../db/queries/webhooks.ts";
import { webhookTargetPolicy } from "../../../config/runtime.ts";
import type { ApiCaller } from "../../../domain/api/tokens.ts";
import { DomainError } from "../../../domain/errors.ts";
import { EVENT_TYPES } from "../../../domain/events/catalog.ts";
import { WEBHOOK_DELIVERY_STATUSES } from "../../../domain/vocabulary.ts";
import {
  createSubscription,
  deleteSubscription,
  EventTypesSchema,
  redeliver,
  rotateSubscriptionSecret,
  SubscriptionUrlSchema,
  updateSubscription,
} from "../../../domain/webhooks/subscriptions.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import type { Services } from "../../services.server.ts";
import { asApi, cursorParam, encodeCursor, Instant, iso, LimitParam, LocationHeaders } from "./shared.server.ts";

/**
 * Webhook subscriptions (docs/webhooks.md, docs/decisions/0048-webhook-subscriptions.md) over the
 * console's own domain calls. Reads need a read token; changes need a write token made by an
 * admin, as the console lets only admins manage them (a subscription receives every clinic's events).
 * The signing secret appears only in the answers that create or rotate it.
 */

const SubscriptionSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.enum(EVENT_TYPES)),
    enabled: z.boolean(),
    disabledAt: Instant.nullable(),
    disabledReason: z.string().nullable().meta({ description: "Who disabled it, or why it was disabled automatically" }),
    failureStreak: z.number().int().meta({ description: "Consecutive failed attempts since the last success" }),
    failingSince: Instant.nullable(),
    lastSuccessAt: Instant.nullable(),
    lastDelivery: z
      .object({ status: z.enum(WEBHOOK_DELIVERY_STATUSES), httpStatus: z.number().int().nullable(), at: Instant.nullable() })
      .nullable()
      .meta({ description: "The newest delivery's status and last response code" }),
    createdAt: Instant,
  })
  .meta({ id: "WebhookSubscription", description: "Where events are sent; never carries the signing secret" });

const SecretSchema = z.string().meta({ description: "The Standard Webhooks signing secret (whsec_…). Shown only in this answer: store it with the receiver." });

const AttemptSchema = z.object({
  attempt: z.number().int(),
  at: Instant,
  ok: z.boolean(),
  httpStatus: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable().meta({ description: "Why it failed (at most 500 characters of the answer)" }),
});

const DeliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().meta({ description: "The event's id: the webhook-id header of every attempt" }),
    eventType: z.enum(EVENT_TYPES),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attemptCount: z.number().int(),
    nextAttemptAt: Instant.nullable().meta({ description: "When the next attempt is due; null once succeeded or dead" }),
    lastHttpStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: Instant,
    attempts: z.array(AttemptSchema),
  })
  .meta({ id: "WebhookDelivery" });

function subscriptionView(s: SubscriptionRow): z.infer<typeof SubscriptionSchema> {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    eventTypes: s.eventTypes,
    enabled: s.enabled,
    disabledAt: iso(s.disabledAt),
    disabledReason: s.disabledReason,
    failureStreak: s.failureStreak,
    failingSince: iso(s.failingSince),
    lastSuccessAt: iso(s.lastSuccessAt),
    lastDelivery: s.lastDelivery ? { ...s.lastDelivery, at: s.lastDelivery.at ? new Date(s.lastDelivery.at).toISOString() : null } : null,
    createdAt: s.createdAt.toISOString(),
  };
}

async function found(id: string, services: Services): Promise<SubscriptionRow> {
  const row = await getSubscription({ id }, services.db);
  if (!row) throw new DomainError(404, "No webhook subscription has that id.", { code: "webhook_subscription_not_found" });
  return row;
}

/** Changes are an admin's (as in the console): a write token made by anyone else gets 403. */
async function forbiddenUnlessAdmin(caller: ApiCaller, services: Services, instance: string) {
  const user = await findUserById({ id: caller.actor.userId }, services.db);
  if (user?.role === "admin") return null;
  return {
    status: 403,
    headers: { "Content-Type": "application/problem+json" },
    body: {
      type: "urn:relink:problem:admin_only",
      title: "Forbidden",
      status: 403,
      detail: "Only a token made by an admin can change webhook subscriptions.",
      instance,
      code: "admin_only",
    },
  };
}

function writeDeps(services: Services) {
  return { keyring: services.keyring, targets: webhookTargetPolicy(services.env), deliveries: services.queues.webhookDeliver };
}

const SubscriptionParams = z.strictObject({ subscriptionId: z.uuid().meta({ description: "The subscription's id" }) });
const URL_FIELDS = { url: "url", eventTypes: "eventTypes" };

export const listWebhookSubscriptionsEndpoint = defineEndpoint({
  operationId: "listWebhookSubscriptions",
  method: "get",
  path: "/webhooks",
  summary: "List webhook subscriptions",
  tags: ["Webhooks"],
  scope: "read",
  responses: { 200: { description: "Every subscription, oldest first", schema: z.object({ data: z.array(SubscriptionSchema) }) } },
  async handle({ services }) {
    return { status: 200, body: { data: (await listSubscriptions(services.db)).map(subscriptionView) } };
  },
});

export const createWebhookSubscriptionEndpoint = defineEndpoint({
  operationId: "createWebhookSubscription",
  method: "post",
  path: "/webhooks",
  summary: "Subscribe a receiver",
  description:
    "Events recorded from now on, of the chosen types (all when omitted), are POSTed to `url`, signed per Standard Webhooks. The answer carries the signing secret: it is never shown again.",
  tags: ["Webhooks"],
  scope: "write",
  body: z.strictObject({
    url: SubscriptionUrlSchema.meta({ description: "The receiver: https:// (http only where the deployment allows private targets)" }),
    description: z.string().trim().max(200).optional(),
    eventTypes: EventTypesSchema.optional().meta({ description: "Event types to send; all when omitted" }),
  }),
  responses: {
    201: {
      description: "The subscription and its secret",
      schema: z.object({ subscription: SubscriptionSchema, secret: SecretSchema }),
      headers: LocationHeaders,
    },
  },
  errors: [422],
  async handle({ body, caller, services, request }) {
    const refused = await forbiddenUnlessAdmin(caller, services, new URL(request.url).pathname);
    if (refused) return refused;
    const created = await asApi(
      () => createSubscription({ input: body, actor: caller.actor, keyring: services.keyring, targets: webhookTargetPolicy(services.env) }, services.db),
      URL_FIELDS,
    );
    return {
      status: 201,
      headers: { "Cache-Control": "no-store", Location: `/api/v1/webhooks/${created.id}` },
      body: { subscription: subscriptionView(await found(created.id, services)), secret: created.secret },
    };
  },
});

export const getWebhookSubscriptionEndpoint = defineEndpoint({
  operationId: "getWebhookSubscription",
  method: "get",
  path: "/webhooks/{subscriptionId}",
  summary: "Get a webhook subscription",
  tags: ["Webhooks"],
  scope: "read",
  params: SubscriptionParams,
  responses: { 200: { description: "The subscription", schema: SubscriptionSchema } },
  errors: [404],
  async handle({ params, services }) {
    return { status: 200, body: subscriptionView(await found(params.subscriptionId, services)) };
  },
});

export const updateWebhookSubscriptionEndpoint = defineEndpoint({
  operationId: "updateWebhookSubscription",
  method: "patch",
  path: "/webhooks/{subscriptionId}",
  summary: "Change a webhook subscription",
  description:
    "Changes its URL, description or event types, or disables / re-enables it. Re-enabled, it resumes where it stopped: waiting deliveries are retried with a fresh schedule and the events recorded while it was disabled are delivered.",
  tags: ["Webhooks"],
  scope: "write",
  params: SubscriptionParams,
  body: z.strictObject({
    url: SubscriptionUrlSchema.optional(),
    description: z.string().trim().max(200).nullable().optional(),
    eventTypes: EventTypesSchema.optional(),
    enabled: z.boolean().optional(),
  }),
  responses: { 200: { description: "The subscription as it now is", schema: SubscriptionSchema } },
  errors: [404, 422],
  async handle({ params, body, caller, services, request }) {
    const refused = await forbiddenUnlessAdmin(caller, services, new URL(request.url).pathname);
    if (refused) return refused;
    await asApi(() => updateSubscription({ id: params.subscriptionId, patch: body, actor: caller.actor }, writeDeps(services), services.db), URL_FIELDS);
    return { status: 200, body: subscriptionView(await found(params.subscriptionId, services)) };
  },
});

export const deleteWebhookSubscriptionEndpoint = defineEndpoint({
  operationId: "deleteWebhookSubscription",
  method: "delete",
  path: "/webhooks/{subscriptionId}",
  summary: "Delete a webhook subscription",
  description: "Stops it for good, with its delivery log.",
  tags: ["Webhooks"],
  scope: "write",
  params: SubscriptionParams,
  responses: { 204: { description: "Deleted" } },
  errors: [404],
  async handle({ params, caller, services, request }) {
    const refused = await forbiddenUnlessAdmin(caller, services, new URL(request.url).pathname);
    if (refused) return refused;
    await deleteSubscription({ id: params.subscriptionId, actor: caller.actor }, services.db);
    return { status: 204 };
  },
});

export const rotateWebhookSecretEndpoint = defineEndpoint({
  operationId: "rotateWebhookSecret",
  method: "post",
  path: "/webhooks/{subscriptionId}/rotate-secret",
  summary: "Rotate a subscription's signing secret",
  description: "Every attempt from now on is signed with the new secret; the old one stops verifying at once.",
  tags: ["Webhooks"],
  scope: "write",
  params: SubscriptionParams,
  responses: { 200: { description: "The new secret", schema: z.object({ secret: SecretSchema }) } },
  errors: [404],
  async handle({ params, caller, services, request }) {
    const refused = await forbiddenUnlessAdmin(caller, services, new URL(request.url).pathname);
    if (refused) return refused;
    const { secret } = await rotateSubscriptionSecret({ id: params.subscriptionId, actor: caller.actor, keyring: services.keyring }, services.db);
    return { status: 200, headers: { "Cache-Control": "no-store" }, body: { secret } };
  },
});

export const listWebhookDeliveriesEndpoint = defineEndpoint({
  operationId: "listWebhookDeliveries",
  method: "get",
  path: "/webhooks/{subscriptionId}/deliveries",
  summary: "A subscription's delivery log",
  description: "Its deliveries newest first, each with every attempt and the receiver's response code; pass `next` as `cursor` for the following page.",
  tags: ["Webhooks"],
  scope: "read",
  params: SubscriptionParams,
  query: z.strictObject({ cursor: cursorParam(/^[1-9]\d{0,5}$/), limit: LimitParam }),
  responses: { 200: { description: "One page of deliveries", schema: z.object({ data: z.array(DeliverySchema), next: z.string().nullable() }) } },
  errors: [400, 404],
  async handle({ params, query, services }) {
    await found(params.subscriptionId, services);
    const page = Number(query.cursor?.[0] ?? 1);
    const { rows, total } = await listDeliveries({ subscriptionId: params.subscriptionId, page, pageSize: query.limit }, services.db);
    const attempts = await listAttempts({ deliveryIds: rows.map((r) => r.id) }, services.db);
    const data = rows.map((d) => ({
      id: d.id,
      eventId: d.eventId,
      eventType: d.eventType,
      status: d.status,
      attemptCount: d.attemptCount,
      nextAttemptAt: d.status === "pending" || d.status === "failed" ? d.nextAttemptAt.toISOString() : null,
      lastHttpStatus: d.lastHttpStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), ok: a.ok, httpStatus: a.httpStatus, durationMs: a.durationMs, error: a.error })),
    }));
    return { status: 200, body: { data, next: page * query.limit < total ? encodeCursor([String(page + 1)]) : null } };
  },
});

export const redeliverWebhookEndpoint = defineEndpoint({
  operationId: "redeliverWebhook",
  method: "post",
  path: "/webhooks/{subscriptionId}/deliveries/{deliveryId}/redeliver",
  summary: "Send a delivery again",
  description: "Queues an attempt now, whatever the delivery's status, with a fresh retry schedule. The receiver sees the same `webhook-id`.",
  tags: ["Webhooks"],
  scope: "write",
  params: z.strictObject({ subscriptionId: z.uuid(), deliveryId: z.uuid().meta({ description: "The delivery's id" }) }),
  responses: { 202: { description: "Queued", schema: z.object({ queued: z.literal(true) }) } },
  errors: [404],
  async handle({ params, caller, services, request }) {
    const refused = await forbiddenUnlessAdmin(caller, services, new URL(request.url).pathname);
    if (refused) return refused;
    await redeliver({ subscriptionId: params.subscriptionId, deliveryId: params.deliveryId, actor: caller.actor }, writeDeps(services), services.db);
    return { status: 202, body: { queued: true as const } };
  },
});
