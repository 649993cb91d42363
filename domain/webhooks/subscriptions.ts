import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import {
  deleteSubscription as deleteSubscriptionRow,
  disableSubscriptionRow,
  enableSubscriptionRow,
  getSubscription,
  insertSubscription,
  redeliverRow,
  replaceSubscriptionSecret,
  updateSubscriptionFields,
} from "../../db/queries/webhooks.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { EVENT_TYPES, type EventType } from "../events/catalog.ts";
import type { WebhookDeliveryJobQueue } from "../jobs.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import { generateWebhookSecret, sealWebhookSecret } from "./secrets.ts";
import { STRICT_WEBHOOK_TARGETS, webhookTargetProblem, type WebhookTargetPolicy } from "./target.ts";

/**
 * What admins do to webhook subscriptions, from the console and the JSON API alike
 * (docs/decisions/0048-webhook-subscriptions.md). Each write and its audit entry commit together;
 * no audit entry carries a secret.
 */

export const SubscriptionUrlSchema = z
  .url({ protocol: /^https?$/, error: "Enter the receiver's full URL, starting with https://" })
  .max(2000, "Keep the URL under 2,000 characters")
  // why: zod 4 runs refinements after a failed check too; an unparsable URL has already been reported
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), "The URL must not contain a user name or password");

export const EventTypesSchema = z
  .array(z.enum(EVENT_TYPES, { error: "Not an event type Relink sends" }))
  .min(1, "Choose at least one event type")
  .transform((types) => [...new Set(types)].sort() as EventType[]);

export const SubscriptionInputSchema = z.object({
  url: SubscriptionUrlSchema,
  description: z.string().trim().max(200, "Keep the description under 200 characters").optional(),
  eventTypes: EventTypesSchema.default([...EVENT_TYPES]),
});

export const SubscriptionPatchSchema = z.object({
  url: SubscriptionUrlSchema.optional(),
  description: z.string().trim().max(200, "Keep the description under 200 characters").nullable().optional(),
  eventTypes: EventTypesSchema.optional(),
  enabled: z.boolean().optional(),
});

interface WriteDeps {
  keyring: Keyring;
  /** Where receivers may be (config/runtime.ts webhookTargetPolicy); default strict. */
  targets?: WebhookTargetPolicy;
  /** The webhook delivery queue: re-enabling and redelivering enqueue attempts. */
  deliveries: WebhookDeliveryJobQueue;
}

async function checkTarget(url: string, targets: WebhookTargetPolicy = STRICT_WEBHOOK_TARGETS): Promise<void> {
  const problem = await webhookTargetProblem(url, targets);
  if (problem) throw new DomainError(400, problem, { field: "url", code: "webhook_target_refused" });
}

function notFound(): never {
  throw new DomainError(404, "No webhook subscription has that id.", { code: "webhook_subscription_not_found" });
}

/**
 * Subscribes a receiver. The secret is returned once, to show the admin; it is stored sealed and
 * never listed. A new subscription gets only events committed after it.
 */
export async function createSubscription(
  { input, actor, keyring, targets }: { input: z.input<typeof SubscriptionInputSchema>; actor: Actor; keyring: Keyring; targets?: WebhookTargetPolicy },
  db: DbOrTx,
): Promise<{ id: string; secret: string }> {
  const parsed = SubscriptionInputSchema.parse(input);
  await checkTarget(parsed.url, targets);
  const secret = generateWebhookSecret();
  // why: the id is chosen first so the ciphertext can be bound to its row
  const id = randomUUID();
  await db.transaction(async (tx) => {
    await insertSubscription(
      {
        id,
        url: parsed.url,
        description: parsed.description || null,
        eventTypes: parsed.eventTypes,
        createdBy: actor.userId,
        ...sealWebhookSecret(keyring, id, secret),
      },
      tx,
    );
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "webhook.create",
        clinicId: null,
        details: { subscriptionId: id, url: parsed.url, eventTypes: parsed.eventTypes },
      },
      tx,
    );
  });
  return { id, secret };
}

/** Changes URL, description, types and/or enabled; one audit entry names what changed. */
export async function updateSubscription(
  { id, patch, actor, now = new Date() }: { id: string; patch: z.input<typeof SubscriptionPatchSchema>; actor: Actor; now?: Date },
  deps: WriteDeps,
  db: DbOrTx,
): Promise<void> {
  const parsed = SubscriptionPatchSchema.parse(patch);
  if (parsed.url !== undefined) await checkTarget(parsed.url, deps.targets);
  await db.transaction(async (tx) => {
    const before = await getSubscription({ id }, tx);
    if (!before) notFound();
    const fields = {
      ...(parsed.url !== undefined ? { url: parsed.url } : {}),
      ...(parsed.description !== undefined ? { description: parsed.description || null } : {}),
      ...(parsed.eventTypes !== undefined ? { eventTypes: parsed.eventTypes } : {}),
    };
    if (Object.keys(fields).length > 0) await updateSubscriptionFields({ id, set: fields }, tx);
    if (parsed.enabled === true && !before.enabled) await resume(id, now, deps, tx);
    if (parsed.enabled === false && before.enabled) await disableSubscriptionRow({ id, reason: `Disabled by ${actor.label}`, at: now }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "webhook.update",
        clinicId: null,
        details: { subscriptionId: id, ...fields, ...(parsed.enabled !== undefined ? { enabled: parsed.enabled } : {}) },
      },
      tx,
    );
  });
}

async function resume(id: string, now: Date, deps: WriteDeps, tx: DbOrTx): Promise<void> {
  const resumed = await enableSubscriptionRow({ id, at: now }, tx);
  // why: the waiting deliveries are due now; the dispatcher picks up the events that arrived meanwhile
  if (resumed)
    await deps.deliveries.enqueue(
      resumed.map((deliveryId) => ({ data: { deliveryId, due: now.toISOString() } })),
      tx,
    );
}

/** Enables or disables; false when it already was. Re-enabling resumes from where it stopped. */
export async function setSubscriptionEnabled(
  { id, enabled, actor, now = new Date() }: { id: string; enabled: boolean; actor: Actor; now?: Date },
  deps: WriteDeps,
  db: DbOrTx,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const before = await getSubscription({ id }, tx);
    if (!before) notFound();
    if (before.enabled === enabled) return false;
    if (enabled) await resume(id, now, deps, tx);
    else await disableSubscriptionRow({ id, reason: `Disabled by ${actor.label}`, at: now }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: enabled ? "webhook.enable" : "webhook.disable",
        clinicId: null,
        details: { subscriptionId: id },
      },
      tx,
    );
    return true;
  });
}

export async function deleteSubscription({ id, actor }: { id: string; actor: Actor }, db: DbOrTx): Promise<void> {
  await db.transaction(async (tx) => {
    const gone = await deleteSubscriptionRow({ id }, tx);
    if (!gone) notFound();
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "webhook.delete", clinicId: null, details: { subscriptionId: id, url: gone.url } },
      tx,
    );
  });
}

/**
 * Replaces the signing secret; the new one is returned once. Attempts from now on are signed
 * with it (the old one stops working at once: docs/webhooks.md).
 */
export async function rotateSubscriptionSecret(
  { id, actor, keyring }: { id: string; actor: Actor; keyring: Keyring },
  db: DbOrTx,
): Promise<{ secret: string }> {
  const secret = generateWebhookSecret();
  await db.transaction(async (tx) => {
    if (!(await replaceSubscriptionSecret({ id, sealed: sealWebhookSecret(keyring, id, secret) }, tx))) notFound();
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "webhook.rotate_secret", clinicId: null, details: { subscriptionId: id } },
      tx,
    );
  });
  return { secret };
}

/**
 * Sends one delivery again now, whatever its status, with a fresh retry schedule. The receiver
 * sees the same `webhook-id`, so one that already processed it can drop it.
 */
export async function redeliver(
  { subscriptionId, deliveryId, actor, now = new Date() }: { subscriptionId: string; deliveryId: string; actor: Actor; now?: Date },
  deps: Pick<WriteDeps, "deliveries">,
  db: DbOrTx,
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await redeliverRow({ id: deliveryId, subscriptionId, at: now }, tx);
    if (!row) throw new DomainError(404, "This subscription has no delivery with that id.", { code: "webhook_delivery_not_found" });
    await deps.deliveries.enqueue([{ data: { deliveryId, due: now.toISOString() } }], tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "webhook.redeliver",
        clinicId: null,
        details: { subscriptionId, deliveryId, eventId: row.eventId },
      },
      tx,
    );
  });
}
