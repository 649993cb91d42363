import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { z } from "zod";
import { recordAudit } from "../../db/queries/audit.ts";
import {
  acknowledgeUnresolvedAlerts,
  insertWebhookEndpoint,
  setWebhookEndpointActive,
  unmuteUnresolvedAlert,
  updateUnresolvedAlert,
  type AlertRow,
} from "../../db/queries/alerts.ts";
import { DomainError } from "../errors.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import { generateWebhookSecret } from "./webhook.ts";
import { sealWebhookSecret } from "./webhook-secrets.ts";
import { STRICT_WEBHOOK_TARGETS, webhookTargetProblem, type WebhookTargetPolicy } from "./webhook-target.ts";

/**
 * What support does to alerts and webhook endpoints from the console. Each write and its audit
 * entry commit together. Functions return null for an alert that does not exist or is already
 * resolved (a resolved incident is history; a recurrence is a new alert).
 */

export interface Actor {
  userId: string;
  /** The user's email, for the audit log. */
  label: string;
}

// why: at most a year ahead, so nothing is silenced forever by a typo in a date field
const MAX_MUTE_DAYS = 366;

export const WebhookEndpointInputSchema = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    // why: zod 4 runs refinements after a failed check too; an unparsable URL has already been reported
    .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), "must not contain credentials"),
  description: z.string().trim().max(200).optional(),
});

export async function acknowledgeAlert(
  { alertId, actor, now = new Date() }: { alertId: string; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow | null> {
  return db.transaction(async (tx) => {
    // why: acknowledging ends a mute: someone is now on it and wants to hear about recovery
    const row = await updateUnresolvedAlert(
      { alertId, set: { status: "acknowledged", acknowledgedAt: now, acknowledgedBy: actor.userId, mutedUntil: null } },
      tx,
    );
    if (!row) return null;
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "alert.acknowledge", clinicId: row.clinicId, details: { alertId, kind: row.kind } },
      tx,
    );
    return row;
  });
}

/** The most alerts one bulk acknowledge takes (a page of the inbox is 50). */
export const BULK_ACK_LIMIT = 200;

/**
 * Acknowledges several alerts at once (the inbox's bulk acknowledge): one update, one audit entry
 * per alert, all in one transaction. Alerts already acknowledged or resolved are left as they are.
 */
export async function acknowledgeAlerts(
  { alertIds, actor, now = new Date() }: { alertIds: readonly string[]; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow[]> {
  const ids = [...new Set(alertIds)];
  if (ids.length > BULK_ACK_LIMIT) throw new DomainError(400, `Acknowledge at most ${BULK_ACK_LIMIT} alerts at once.`, { field: "alertId" });
  return db.transaction(async (tx) => {
    const rows = await acknowledgeUnresolvedAlerts({ alertIds: ids, by: actor.userId, now }, tx);
    for (const row of rows)
      await recordAudit(
        {
          actorUserId: actor.userId,
          actorLabel: actor.label,
          action: "alert.acknowledge",
          clinicId: row.clinicId,
          details: { alertId: row.id, kind: row.kind, bulk: true },
        },
        tx,
      );
    return rows;
  });
}

/** Silences an alert until a date: repeats still count, nothing is sent (not even its recovery). */
export async function muteAlert(
  { alertId, until, actor, now = new Date() }: { alertId: string; until: Date; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow | null> {
  if (!(until.getTime() > now.getTime())) throw new DomainError(400, "mute date must be in the future", { field: "until", code: "mute_date" });
  if (until.getTime() - now.getTime() > MAX_MUTE_DAYS * 86_400_000)
    throw new DomainError(400, `mute date must be within ${MAX_MUTE_DAYS} days`, { field: "until", code: "mute_date" });
  return db.transaction(async (tx) => {
    const row = await updateUnresolvedAlert({ alertId, set: { status: "muted", mutedUntil: until } }, tx);
    if (!row) return null;
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "alert.mute",
        clinicId: row.clinicId,
        details: { alertId, kind: row.kind, until: until.toISOString() },
      },
      tx,
    );
    return row;
  });
}

export async function unmuteAlert({ alertId, actor }: { alertId: string; actor: Actor }, db: DbOrTx): Promise<AlertRow | null> {
  return db.transaction(async (tx) => {
    const row = await unmuteUnresolvedAlert({ alertId }, tx);
    if (!row) return null;
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "alert.unmute", clinicId: row.clinicId, details: { alertId, kind: row.kind } },
      tx,
    );
    return row;
  });
}

/**
 * Registers a receiver. The secret is returned once, to show the admin; lists never include it,
 * and it is stored sealed. Throws a DomainError on the URL field when the URL is
 * not https in production or points at a loopback, private or link-local address.
 */
export async function createWebhookEndpoint(
  {
    input,
    actor,
    keyring,
    targets = STRICT_WEBHOOK_TARGETS,
  }: { input: z.input<typeof WebhookEndpointInputSchema>; actor: Actor; keyring: Keyring; targets?: WebhookTargetPolicy },
  db: DbOrTx,
): Promise<{ id: string; url: string; secret: string }> {
  const parsed = WebhookEndpointInputSchema.parse(input);
  const problem = await webhookTargetProblem(parsed.url, targets);
  if (problem) throw new DomainError(400, problem, { field: "url", code: "webhook_target_refused" });
  const secret = generateWebhookSecret();
  // why: the id is chosen first so the ciphertext can be bound to its row
  const id = randomUUID();
  return db.transaction(async (tx) => {
    await insertWebhookEndpoint({ id, url: parsed.url, description: parsed.description || null, ...sealWebhookSecret(keyring, id, secret) }, tx);
    // why: the audit entry names the endpoint, never its secret
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "webhook.create", clinicId: null, details: { endpointId: id, url: parsed.url } },
      tx,
    );
    return { id, url: parsed.url, secret };
  });
}

export async function setWebhookEndpointEnabled(
  { endpointId, active, actor }: { endpointId: string; active: boolean; actor: Actor },
  db: DbOrTx,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const changed = await setWebhookEndpointActive({ endpointId, active }, tx);
    if (changed) {
      await recordAudit(
        { actorUserId: actor.userId, actorLabel: actor.label, action: active ? "webhook.enable" : "webhook.disable", clinicId: null, details: { endpointId } },
        tx,
      );
    }
    return changed;
  });
}
