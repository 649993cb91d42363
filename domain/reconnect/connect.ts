import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { briefingArrivalFor } from "../briefings/setup.ts";
import { lockConnection, lockLink, markLinkUsed, revokeLiveLinks } from "../../db/queries/reconnect-links.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import { recordKeyCheck } from "../health/key-check.ts";
import { applyAlertWork } from "../alerts/apply.ts";
import { sealApiKey } from "../connections/key-storage.ts";
import { accountChangeOf, checkKeyIdentity, storeNewKey } from "../connections/key-identity.ts";
import { closeOpenAccountChanges } from "../../db/queries/identity.ts";
import { acceptWorkingKey } from "../health/accept-key.ts";
import { askAboutAccount, noteSharedKey, type AccountQuestion } from "./account-change.ts";
import { acceptedKeyPacket } from "../health/escalation.ts";
import { accountChangedEvent } from "../clinics/preapproval.ts";
import type { KeyVerdict } from "../health/verify-key.ts";
import { regionLabel } from "./instructions.ts";
import type { ActiveLink } from "./links.ts";
import type { ReconnectDeps } from "./submit.ts";
import { type Vendor, VENDOR_LABELS } from "../vocabulary.ts";

/** The reconnect page's success outcome: the clinic's new key works, so it is stored and the connection is healthy again. */

/** What the success page says, in plain words. Holds nothing about the key. */
export interface ReconnectConfirmation {
  clinicName: string;
  vendor: Vendor;
  vendorLabel: string;
  userName: string;
  userRole: string | null;
  visiblePatients: number;
  /** The count stopped at a cap: at least `visiblePatients` are visible. */
  visiblePatientsAtLeast: boolean;
  regionLabel: string;
  notes: string[];
  /** Support paused the connection: the key is stored, but syncing waits until they resume it. */
  heldByPause: boolean;
  /** "Your next briefing arrives Monday 7 Dec, 07:00 Australia/Melbourne." (null: the briefing is turned off). */
  briefingLine?: string | null;
}

/** What a working key led to: connected, or held back by the identity rules (docs/decisions/0026). */
export type ConnectResult =
  | { kind: "connected"; confirmation: ReconnectConfirmation }
  /** Another clinic already uses this key: nothing stored. */
  | { kind: "shared_key" }
  /** The key belongs to a different account: the admin is asked; nothing connected. */
  | { kind: "account_question"; question: AccountQuestion };

/** The success path, in one transaction. Null when the link was used or revoked meanwhile. */
export async function connect(link: ActiveLink, verdict: Extract<KeyVerdict, { ok: true }>, now: Date, deps: ReconnectDeps): Promise<ConnectResult | null> {
  const { verified } = verdict;
  // why: a pinned Cliniko retry verifies on another shard than the key's default; the client reports where
  const region = verified.region || verdict.region;
  const vendor = link.view.vendor;
  return deps.db.transaction(async (tx) => {
    const row = await lockLink({ linkId: link.linkId }, tx);
    // why: two tabs submitting at once — the second finds the link used and changes nothing
    if (!row || row.usedAt || row.revokedAt || row.expiresAt.getTime() <= now.getTime()) return null;
    const conn = await lockConnection({ connectionId: link.connectionId }, tx);
    if (!conn) return null;
    // identity continuity: one key never serves two clinics; another account is asked about, not connected
    const identity = await checkKeyIdentity({ keyring: deps.keyring, vendor, key: verdict.key, verified, connection: conn }, tx);
    if (!identity.ok && identity.reason === "shared_key") {
      await noteSharedKey(link, identity, now, tx);
      return { kind: "shared_key" as const };
    }
    if (!identity.ok) return { kind: "account_question" as const, question: await askAboutAccount(link, conn, verdict, region, identity, now, deps, tx) };
    // why: a key of the connection's own account answers any open question about another one
    await closeOpenAccountChanges({ connectionId: conn.id, status: "discarded", now, by: "link" }, tx);
    const sealed = sealApiKey(deps.keyring, conn.id, { vendor, key: verdict.key, region }, now);
    // the one "key accepted" transition: state, cleared failure, reset counters, facts, event, alert work
    const accepted = acceptWorkingKey({ connection: conn, verified, now, by: { kind: "link" } });
    const nextState = accepted.nextState;
    // a different account connects without a question only when pre-approved or when the old account saw nobody
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
    const dropNote = identity.drop
      ? ` Visible patients fell from ${identity.drop.before} to ${identity.drop.after}: check the key's account and locations.`
      : "";

    const who = `${verified.user.name}${verified.user.role ? ` (${verified.user.role})` : ""}`;
    const events: NewConnectionEvent[] = [
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "key_replaced",
        fromState: conn.state,
        toState: nextState,
        actor: "link",
        message: `New key entered through the reconnect link: ${sealed.keyHint}, connected as ${who}${identity.identity ? ` (${identity.identity.name})` : ""}.${dropNote}`,
        details: { linkId: link.linkId, keyHint: sealed.keyHint, region, apiVersion: verdict.apiVersion, account: identity.identity, drop: identity.drop },
      },
    ];
    if (changed) events.push(await accountChangedEvent({ conn, changed, actor: "link", now }, tx));
    if (region !== conn.region) {
      events.push({
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "region_changed",
        actor: "link",
        message: `Region changed from ${conn.region} to ${region} with the new key.`,
        details: { from: conn.region, to: region },
      });
    }
    if (accepted.event) {
      events.push({
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        ...accepted.event,
        actor: "link",
        details: { linkId: link.linkId, visiblePatients: verified.visiblePatients, visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true },
      });
    }
    await insertConnectionEvents(events, tx);
    // why: the live check just made is the connection's latest probe; the strip shows it, not "no probes yet"
    await recordKeyCheck({ connectionId: conn.id, accepted, now }, tx);
    await markLinkUsed({ linkId: link.linkId, now }, tx);
    // why: using a link revokes every other (other action emails' links, a support link): one key was accepted
    await revokeLiveLinks({ clinicId: conn.clinicId, now }, tx);
    await recordAudit(
      {
        actorLabel: "reconnect link",
        action: "connection.key_replaced",
        clinicId: conn.clinicId,
        details: {
          linkId: link.linkId,
          via: "reconnect_link",
          keyHint: sealed.keyHint,
          region,
          apiVersion: verdict.apiVersion,
          fromState: conn.state,
          toState: nextState,
          vendorUser: who,
          visiblePatients: verified.visiblePatients,
          visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
        },
      },
      tx,
    );
    const packet = acceptedKeyPacket({
      organisationName: link.view.clinicName,
      vendor,
      region,
      apiVersion: verdict.apiVersion,
      state: nextState,
      keyHint: sealed.keyHint,
      verified,
      now,
    });
    await applyAlertWork({ connectionId: conn.id, clinicId: conn.clinicId, ...accepted.alerts, recovered: accepted.recovered, packet, now }, tx, deps.alerts);

    const confirmation: ReconnectConfirmation = {
      clinicName: link.view.clinicName,
      vendor,
      vendorLabel: VENDOR_LABELS[vendor],
      userName: verified.user.name,
      userRole: verified.user.role ?? null,
      visiblePatients: verified.visiblePatients,
      visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
      regionLabel: regionLabel(vendor, region),
      heldByPause: accepted.heldByPause,
      notes: verdict.notes,
      briefingLine: accepted.heldByPause ? null : await briefingArrivalFor({ clinicId: conn.clinicId, timeZone: link.clinicTimeZone, now }, tx),
    };
    return { kind: "connected" as const, confirmation };
  });
}
