import { z } from "zod";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { closeOpenAccountChanges } from "../../db/queries/identity.ts";
import { lockConnection, revokeLiveLinks } from "../../db/queries/reconnect-links.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import { recordKeyCheck } from "../health/key-check.ts";
import { applyAlertWork } from "../alerts/apply.ts";
import { accountChangeOf, checkKeyIdentity, storeNewKey } from "../connections/key-identity.ts";
import { sealApiKey } from "../connections/key-storage.ts";
import { DomainError } from "../errors.ts";
import { acceptWorkingKey } from "../health/accept-key.ts";
import { acceptedKeyPacket } from "../health/escalation.ts";
import { verifyCandidateKey } from "../health/verify-key.ts";
import { holdAccountChangeKey } from "../reconnect/account-change.ts";
import { NOOKAL_REGIONS, type Vendor } from "../vocabulary.ts";
import type { AccountChangeDeps } from "./account-change.ts";
import { describeVerdict, keyInUse, type VerdictView } from "./add-clinic.ts";
import type { Actor } from "./console-actions.ts";
import { accountChangedEvent } from "./preapproval.ts";

/**
 * Support enters a new key for an existing clinic on the clinic page (issue 11): the same live
 * verify and the same identity check as the reconnect page (docs/decisions/0026) — a key another
 * clinic uses is refused next to the field, a key of a different account is not connected but held
 * as an account change waiting for support's own confirmation (the card that confirms a clinic's
 * held key), and a working key of the same account goes through the one key-accepted transition
 * (0025), so a recovery resolves the alerts and the clinic admin gets the "works again" email like
 * every other recovery path. The key never leaves this call in plaintext.
 */

export const SupportKeySchema = z.object({
  key: z.string().trim().min(1, "Paste the clinic's new API key").max(2000, "That is far longer than any API key"),
  // why: Cliniko keys name their shard; only Nookal needs the region (the stored one when not picked)
  region: z.enum(NOOKAL_REGIONS).optional().catch(undefined),
});

export type SupportKeyResult =
  | { kind: "connected"; keyHint: string; accountName: string | null; worksAgainQueued: boolean; visiblePatients: number }
  /** The key did not work: nothing stored; the verdict in support's words. */
  | { kind: "refused"; verdict: VerdictView }
  /** A different account: held for confirmation on the clinic page, nothing connected. */
  | { kind: "account_held"; accountName: string; previousName: string };

interface Target {
  clinicId: string;
  connectionId: string;
  vendor: Vendor;
  region: string;
  apiVersion: string;
}

export async function enterKeyForClinic(
  { target, input, actor, now = new Date() }: { target: Target; input: z.output<typeof SupportKeySchema>; actor: Actor; now?: Date },
  deps: AccountChangeDeps,
): Promise<SupportKeyResult> {
  const verdict =
    target.vendor === "cliniko"
      ? // why clinikoShard: a key pasted without its ending is tried on the clinic's known shard, as on the reconnect page
        await verifyCandidateKey({ vendor: "cliniko", rawKey: input.key, clinikoShard: target.region }, deps.vendors)
      : await verifyCandidateKey(
          { vendor: "nookal", rawKey: input.key, region: input.region ?? (target.region as (typeof NOOKAL_REGIONS)[number]), apiVersion: undefined },
          deps.vendors,
        );
  if (!verdict.ok) return { kind: "refused", verdict: describeVerdict(verdict) };
  const { verified } = verdict;
  const region = verified.region || verdict.region;
  const actorTag = `user:${actor.userId}`;

  return deps.db.transaction(async (tx) => {
    const conn = await lockConnection({ connectionId: target.connectionId }, tx);
    if (!conn) throw new DomainError(404, "This clinic has no connection.");
    const identity = await checkKeyIdentity({ keyring: deps.keyring, vendor: conn.vendor, key: verdict.key, verified, connection: conn }, tx);
    if (!identity.ok && identity.reason === "shared_key") throw keyInUse(identity.otherClinics);
    const sealed = sealApiKey(deps.keyring, conn.id, { vendor: conn.vendor, key: verdict.key, region }, now);

    if (!identity.ok) {
      // a different account: held exactly like a clinic's "yes" on the reconnect page, for an explicit confirmation
      const id = await holdAccountChangeKey(
        { conn, vendor: conn.vendor, linkId: null, status: "awaiting_support", verdict, region, check: identity, keyHint: sealed.keyHint, now, by: actorTag },
        deps.keyring,
        tx,
      );
      const drop = identity.drop ? ` Visible patients would fall from ${identity.drop.before} to ${identity.drop.after}.` : "";
      await insertConnectionEvents(
        [
          {
            connectionId: conn.id,
            clinicId: conn.clinicId,
            at: now,
            kind: "note",
            actor: actorTag,
            message: `${actor.label} entered a key for a different account (${sealed.keyHint}): it belongs to ${identity.identity.name}; this connection's account is ${identity.previous.name}. Not connected until support confirms the change.${drop}`,
            details: { accountChangeId: id, account: identity.identity, previousAccount: identity.previous, drop: identity.drop },
          },
        ],
        tx,
      );
      await recordAudit(
        {
          actorUserId: actor.userId,
          actorLabel: actor.label,
          action: "connection.account_change_requested",
          clinicId: conn.clinicId,
          details: { accountChangeId: id, via: "console", keyHint: sealed.keyHint, account: identity.identity, previousAccount: identity.previous },
        },
        tx,
      );
      return { kind: "account_held" as const, accountName: identity.identity.name, previousName: identity.previous.name };
    }

    await closeOpenAccountChanges({ connectionId: conn.id, status: "discarded", now, by: actorTag }, tx);
    const accepted = acceptWorkingKey({ connection: conn, verified, now, by: { kind: "support", label: actor.label } });
    const changed = accountChangeOf(identity);
    await storeNewKey(
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        sealed,
        region,
        apiVersion: verdict.apiVersion,
        accepted,
        before: conn,
        now,
        identity,
      },
      tx,
    );
    // why: the connection works with this key; a link still out would only invite a second, needless key
    await revokeLiveLinks({ clinicId: conn.clinicId, now }, tx);
    const who = `${verified.user.name}${verified.user.role ? ` (${verified.user.role})` : ""}`;
    const events: NewConnectionEvent[] = [
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "key_replaced",
        fromState: conn.state,
        toState: accepted.nextState,
        actor: actorTag,
        message: `${actor.label} entered a new key on the clinic page: ${sealed.keyHint}, connected as ${who}${identity.identity ? ` (${identity.identity.name})` : ""}.`,
        details: { via: "console", keyHint: sealed.keyHint, region, apiVersion: verdict.apiVersion, account: identity.identity, drop: identity.drop },
      },
    ];
    if (changed) events.push(await accountChangedEvent({ conn, changed, actor: actorTag, now }, tx));
    if (region !== conn.region)
      events.push({
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "region_changed",
        actor: actorTag,
        message: `Region changed from ${conn.region} to ${region} with the new key.`,
        details: { from: conn.region, to: region },
      });
    if (accepted.event)
      events.push({ connectionId: conn.id, clinicId: conn.clinicId, at: now, ...accepted.event, actor: actorTag, details: { via: "console" } });
    await insertConnectionEvents(events, tx);
    await recordKeyCheck({ connectionId: conn.id, accepted, now }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "connection.key_replaced",
        clinicId: conn.clinicId,
        details: { via: "console", keyHint: sealed.keyHint, region, fromState: conn.state, toState: accepted.nextState, vendorUser: who },
      },
      tx,
    );
    const packet = acceptedKeyPacket({
      organisationName: identity.identity?.name ?? "",
      vendor: conn.vendor,
      region,
      apiVersion: verdict.apiVersion,
      state: accepted.nextState,
      keyHint: sealed.keyHint,
      verified,
      now,
    });
    const work = await applyAlertWork(
      { connectionId: conn.id, clinicId: conn.clinicId, ...accepted.alerts, recovered: accepted.recovered, packet, now },
      tx,
      deps.alerts,
    );
    return {
      kind: "connected" as const,
      keyHint: sealed.keyHint,
      accountName: identity.identity?.name ?? null,
      // why from the alert work: "works again" goes only to whoever was alerted; say so only when it was queued
      worksAgainQueued: accepted.recovered && work.resolved.length > 0 && work.deliveriesQueued > 0,
      visiblePatients: verified.visiblePatients,
    };
  });
}
