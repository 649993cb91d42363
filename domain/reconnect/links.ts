import { lockConnectionOfClinic } from "../../db/queries/clinic-actions.ts";
import { insertConnectionEvents, updateConnection } from "../../db/queries/connections.ts";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { findLinkByTokenHash, findUserEmail, insertReconnectLink, revokeLiveLinks } from "../../db/queries/reconnect-links.ts";
import { clinicTime } from "../brand.ts";
import { DomainError } from "../errors.ts";
import { recordConnectionChange } from "../events/connection.ts";
import { canTransition } from "../health/states.ts";
import { generateToken, hashToken, reconnectPath } from "./tokens.ts";
import type { Vendor } from "../vocabulary.ts";

/** Seven days, unless the caller passes `env.RECONNECT_LINK_TTL_HOURS`. */
const DEFAULT_LINK_TTL_HOURS = 168;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LinkRefusal = "clinic_not_found" | "clinic_archived" | "invalid_input";
const REFUSAL_STATUS = { clinic_not_found: 404, clinic_archived: 409, invalid_input: 400 } as const;

/** Why a link cannot be made, as a DomainError whose code names the reason. */
function linkRefused(code: LinkRefusal, message: string, field?: string): DomainError {
  return new DomainError(REFUSAL_STATUS[code], message, { code, field });
}

export interface CreateReconnectLinkInput {
  clinicId: string;
  /** Shown to the clinic admin as is, e.g. "Reconnect Cliniko after the platform migration". */
  purpose: string;
  /** The support user's id, or "system" for automation. */
  createdBy: string;
  /** Defaults to 168 (7 days); pass `services.env.RECONNECT_LINK_TTL_HOURS`. */
  ttlHours?: number;
  /** For tests: the moment of creation. */
  now?: Date;
  /** How the audit names who acted (an API token's label); default the creator's email. */
  actorLabel?: string;
  /**
   * The link rides in an "action needed" alert email (decision 0027): the state stays as the probe
   * left it (nobody in support has asked the clinic yet) and the timeline says where the link went.
   */
  forAlertEmail?: boolean;
}

export interface CreatedReconnectLink {
  linkId: string;
  clinicId: string;
  connectionId: string;
  /** `/reconnect/<token>`: the only time the token exists outside the clinic's inbox. Prefix PUBLIC_URL. */
  path: string;
  expiresAt: Date;
  /** How many older links this one revoked. */
  revoked: number;
}

/**
 * Creates a self-serve reconnect link for one clinic and returns its path — the token is shown
 * this once and stored only as a SHA-256 hash. Revokes the clinic's previous live links, moves the
 * connection to `reconnect_pending` when the state machine allows it, and records a timeline event
 * and an audit entry, all in one transaction. Throws a DomainError (code clinic_not_found / clinic_archived / invalid_input) for an unknown or archived
 * clinic (or one without a connection).
 */
const AWAITING_FIX: ReadonlySet<string> = new Set(["action_required", "degraded", "setup_pending"]);

export async function createReconnectLink(input: CreateReconnectLinkInput, db: DbOrTx): Promise<CreatedReconnectLink> {
  const purpose = input.purpose.replace(/\s+/g, " ").trim();
  if (purpose.length === 0 || purpose.length > 200) throw linkRefused("invalid_input", "The purpose must be 1 to 200 characters.", "purpose");
  const ttlHours = input.ttlHours ?? DEFAULT_LINK_TTL_HOURS;
  if (!Number.isFinite(ttlHours) || ttlHours <= 0) throw linkRefused("invalid_input", "The expiry must be a positive number of hours.");
  if (!UUID.test(input.clinicId)) throw linkRefused("clinic_not_found", "No clinic has that id.");
  const now = input.now ?? new Date();
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000);
  const token = generateToken();
  const byUser = input.createdBy !== "system" && UUID.test(input.createdBy);

  return db.transaction(async (tx) => {
    // why: the row lock serialises two agents sending links for one clinic at the same moment
    const target = await lockConnectionOfClinic({ clinicId: input.clinicId }, tx);
    if (!target) throw linkRefused("clinic_not_found", "No clinic with a connection has that id.");
    if (target.clinicArchivedAt) throw linkRefused("clinic_archived", "The clinic is archived.");

    // why (issue 11): an action-needed email's link must work until the expiry it states, so minting one
    // revokes nothing, and a support link replaces only support's earlier links; using any link revokes all
    const revoked = input.forAlertEmail ? 0 : await revokeLiveLinks({ clinicId: target.clinicId, now, supportLinksOnly: true }, tx);
    const link = await insertReconnectLink(
      {
        clinicId: target.clinicId,
        connectionId: target.connectionId,
        tokenHash: hashToken(token),
        purpose,
        createdBy: input.createdBy,
        createdAt: now,
        expiresAt,
        forAlertEmail: input.forAlertEmail === true,
      },
      tx,
    );

    const actor = byUser ? `user:${input.createdBy}` : "system";
    // why: only a connection waiting for a fix starts waiting for the clinic; a healthy or
    // pending_disconnect one (a planned migration) keeps its state, or the next probe of the
    // still-working old key would call it "recovered" and drop it out of its campaign
    const moves = !input.forAlertEmail && AWAITING_FIX.has(target.state) && canTransition(target.state, "reconnect_pending");
    if (moves) {
      await updateConnection({ connectionId: target.connectionId, patch: { state: "reconnect_pending", stateChangedAt: now } }, tx);
      await recordConnectionChange(tx, target.connectionId, {
        from: { state: target.state, failureCode: target.failureCode },
        to: { state: "reconnect_pending", failureCode: target.failureCode },
        now,
      });
    }
    const sent = `${input.forAlertEmail ? "Fresh reconnect link put into the action-needed email to the clinic" : "Reconnect link sent to the clinic"}: "${purpose}" (expires ${expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC${revoked ? `; ${revoked} earlier link${revoked === 1 ? "" : "s"} revoked` : ""}).`;
    await insertConnectionEvents(
      [
        {
          connectionId: target.connectionId,
          clinicId: target.clinicId,
          at: now,
          kind: moves ? "state_changed" : "note",
          fromState: target.state,
          toState: moves ? "reconnect_pending" : target.state,
          actor,
          message: sent,
          details: { linkId: link.id, expiresAt: expiresAt.toISOString(), revokedLinks: revoked },
        },
      ],
      tx,
    );
    const email = byUser ? await findUserEmail({ userId: input.createdBy }, tx) : null;
    await recordAudit(
      {
        actorUserId: email ? input.createdBy : null,
        actorLabel: (email && input.actorLabel) || email || (byUser ? `user:${input.createdBy}` : "system"),
        action: "reconnect_link.created",
        clinicId: target.clinicId,
        details: {
          linkId: link.id,
          purpose,
          expiresAt: expiresAt.toISOString(),
          revokedLinks: revoked,
          fromState: target.state,
          toState: moves ? "reconnect_pending" : target.state,
        },
      },
      tx,
    );
    return { linkId: link.id, clinicId: target.clinicId, connectionId: target.connectionId, path: reconnectPath(token), expiresAt, revoked };
  });
}

/** The only facts about a link the public page may show. */
export type ReconnectLinkView =
  | { status: "active"; clinicName: string; vendor: Vendor; purpose: string }
  /** The link is used up, replaced or expired, and the connection works again: nothing for the clinic to do. */
  | { status: "fixed"; clinicName: string; vendor: Vendor }
  | { status: "unavailable" };

/** A live link as the submit path needs it (never sent to a browser). */
export interface ActiveLink {
  linkId: string;
  clinicId: string;
  connectionId: string;
  /** The connection's stored shard or region: a Cliniko key pasted without its ending is tried there. */
  region: string;
  view: Extract<ReconnectLinkView, { status: "active" }>;
  /** For the page's exact expiry (in the clinic's time zone) and its preselected region. */
  expiresAt: Date;
  clinicTimeZone: string;
}

/**
 * Resolves a token to its live link, or null. Always hashes and always runs the same one query,
 * with no early return for a malformed token: unknown, expired, used and revoked links cost the
 * same and answer the same.
 */
export async function findActiveLink({ token, now = new Date() }: { token: string; now?: Date }, db: Db): Promise<ActiveLink | null> {
  const row = await findLinkByTokenHash({ tokenHash: hashToken(typeof token === "string" ? token : "") }, db);
  return row ? activeLink(row, now) : null;
}

function activeLink(row: NonNullable<Awaited<ReturnType<typeof findLinkByTokenHash>>>, now: Date): ActiveLink | null {
  const active = row.usedAt === null && row.revokedAt === null && row.clinicArchivedAt === null && row.expiresAt.getTime() > now.getTime();
  if (!active) return null;
  return {
    linkId: row.id,
    clinicId: row.clinicId,
    connectionId: row.connectionId,
    region: row.region,
    view: { status: "active", clinicName: row.clinicName, vendor: row.vendor, purpose: row.purpose },
    expiresAt: row.expiresAt,
    clinicTimeZone: row.clinicTimeZone,
  };
}

/** What the reconnect page shows for a token: clinic name, vendor, purpose — or "unavailable", whatever the reason. */
export async function describeLink({ token, now }: { token: string; now?: Date }, db: Db): Promise<ReconnectLinkView> {
  const link = await findActiveLink({ token, now }, db);
  return link ? link.view : { status: "unavailable" };
}

/**
 * The reconnect page's read: the view, the exact moment the link stops working in the clinic's
 * time zone ("until Tuesday 8 December 2026, 10:15 (Australia/Sydney)", not "a few days") and the
 * region on file, preselected for a Nookal key. Nothing more for an unavailable link.
 */
export async function describeLinkPage(
  { token, now }: { token: string; now?: Date },
  db: Db,
): Promise<{ view: ReconnectLinkView; expiresText: string | null; knownRegion: string | null }> {
  const row = await findLinkByTokenHash({ tokenHash: hashToken(typeof token === "string" ? token : "") }, db);
  const link = row ? activeLink(row, now ?? new Date()) : null;
  if (link) return { view: link.view, expiresText: clinicTime(link.expiresAt, link.clinicTimeZone), knownRegion: link.region || null };
  // why: a clinic admin opening an older email after the fix must not meet a dead "invalid link"
  const works = row && row.clinicArchivedAt === null && row.connectionState === "healthy" && row.connectionFirstFailureAt === null;
  if (works) return { view: { status: "fixed", clinicName: row.clinicName, vendor: row.vendor }, expiresText: null, knownRegion: null };
  return { view: { status: "unavailable" }, expiresText: null, knownRegion: null };
}
