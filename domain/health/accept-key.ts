import type { ConnectionSnapshot } from "./decide.ts";
import { assertTransition } from "./states.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { type ConnectionState, type FailureCode, HEALTH_ALERT_KINDS, type HealthAlertKind, STATE_LABELS } from "../vocabulary.ts";
import { formatPatientsVisible } from "../patient-count.ts";

/**
 * The one "key accepted → healthy" transition (docs/decisions/0025-key-accepted-transition.md).
 * Every place that learns a key works goes through it: the probe's decision (decide.ts, the stored
 * key answered), the reconnect link (the clinic entered a new key) and adding a clinic by hand
 * (a new connection starts with a checked key). Pure; the caller writes the patch, the event and
 * the alert work in its own transaction next to what only it knows (sealed key, region, audit).
 *
 * Rules:
 * - Next state: healthy, except that a planned disconnect stays put while the OLD key still
 *   answers (its deadline moves it on), and a pause stays put (support's decision: a key from the
 *   clinic is stored, not a resume).
 * - A recovery is a success after a failure (failed probes counted, a failure code other than the
 *   pause, or a state that was failing / waiting for a human) — never the first success of a new
 *   connection (setup_pending: "connected") and never while still paused (nothing is back in service).
 * - Failure fields are cleared and counters reset; lastSuccessAt/lastProbeAt = now; a paused
 *   connection keeps its integration_paused code.
 * - Alerts: every health alert is resolved on a recovery, and whenever a NEW key replaces the stored
 *   one (alerts about the old key are moot); "recovered" is announced only on a recovery.
 * - A timeline event when the state, the failure code or the recovery says something happened.
 */

/** Who accepted the key. */
export type KeyAcceptedBy =
  /** The stored key answered a probe; `reason` is the classifier's words. */
  | { kind: "probe"; reason: string }
  /** The clinic entered a new key through a reconnect link. */
  | { kind: "link" }
  /** Support added the clinic with a key checked live (there is no connection yet). */
  | { kind: "console" }
  /** Support entered a new key for an existing connection on the clinic page (checked live). */
  | { kind: "support"; label: string };

/** What a live check learned about a working key. */
export interface VerifiedFacts {
  visiblePatients: number;
  /** The count stopped at a cap: at least `visiblePatients` are visible. */
  visiblePatientsAtLeast?: boolean;
  user: { name: string; role?: string | null };
}

/** The connection columns a verified answer sets, for every verified answer (success or not). */
export interface VerifiedFactsPatch {
  visiblePatientCount: number;
  visiblePatientsAtLeast: boolean;
  vendorUserName: string;
  vendorUserRole: string | null;
  /** Only ever turned on: a later zero is the "no patients recognised" symptom, not a new history. */
  everHadPatients?: true;
}

export function verifiedFacts(verified: VerifiedFacts): VerifiedFactsPatch {
  return {
    visiblePatientCount: verified.visiblePatients,
    visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
    vendorUserName: verified.user.name,
    vendorUserRole: verified.user.role ?? null,
    ...(verified.visiblePatients > 0 ? { everHadPatients: true as const } : {}),
  };
}

interface AcceptedKeyPatch extends Partial<VerifiedFactsPatch> {
  state: ConnectionState;
  /** Present only when the state changes. */
  stateChangedAt?: Date;
  failureCode: FailureCode | null;
  /** null clears the stored failure evidence; absent leaves it (nothing to clear). */
  failureEvidence?: null;
  suggestedRegion: null;
  consecutiveFailures: 0;
  firstFailureAt: null;
  lastSuccessAt: Date;
  lastProbeAt: Date;
}

interface KeyAcceptedEvent {
  kind: "recovered" | "state_changed" | "probe_failed";
  fromState: ConnectionState;
  toState: ConnectionState;
  failureCode: FailureCode | null;
  message: string;
}

export interface KeyAccepted {
  nextState: ConnectionState;
  recovered: boolean;
  stateChanged: boolean;
  /** Support paused the connection: the key is stored, syncing waits until they resume it. */
  heldByPause: boolean;
  patch: AcceptedKeyPatch;
  /** Null when nothing worth a timeline row happened (and always for a new connection: its "created" event says it). */
  event: KeyAcceptedEvent | null;
  alerts: { open: HealthAlertKind[]; resolve: HealthAlertKind[] };
}

export interface AcceptWorkingKeyInput {
  /** The connection as read (under lock, for a new key); null when it is created with this key. */
  connection: Pick<ConnectionSnapshot, "state" | "failureCode" | "consecutiveFailures"> | null;
  /** What the check learned; null when the caller writes the facts itself (the probe writes them for every verified answer). */
  verified: VerifiedFacts | null;
  now: Date;
  by: KeyAcceptedBy;
}

/** States in which someone has already been asked to act, or something was failing. */
const FAILING_STATES: ReadonlySet<ConnectionState> = new Set(["degraded", "action_required", "reconnect_pending"]);

function hadFailure(cur: NonNullable<AcceptWorkingKeyInput["connection"]>): boolean {
  return cur.consecutiveFailures > 0 || (cur.failureCode !== null && cur.failureCode !== "integration_paused") || FAILING_STATES.has(cur.state);
}

function nextStateFor(cur: ConnectionState, by: KeyAcceptedBy): ConnectionState {
  // why: a pause is support's deliberate decision; a key from the clinic is stored, not a resume
  if (cur === "paused" && (by.kind === "link" || by.kind === "support")) return "paused";
  // why: the old key working until its deadline is exactly what a planned disconnect expects
  if (cur === "pending_disconnect" && by.kind === "probe") return "pending_disconnect";
  return "healthy";
}

function eventMessage(cur: NonNullable<AcceptWorkingKeyInput["connection"]>, next: ConnectionState, recovered: boolean, input: AcceptWorkingKeyInput): string {
  const from = cur.failureCode && cur.failureCode !== "integration_paused" ? ` from "${TAXONOMY[cur.failureCode].title}"` : "";
  if (input.by.kind !== "probe") {
    const seen = input.verified ? `: ${formatPatientsVisible(input.verified.visiblePatients, input.verified.visiblePatientsAtLeast)}` : "";
    const how = input.by.kind === "support" ? `with a key ${input.by.label} entered` : "through the reconnect link";
    return `${recovered ? `Recovered${from}` : "Connected"} ${how}${seen}.`;
  }
  const reason = input.by.reason;
  if (recovered) return `Recovered${from} after ${cur.consecutiveFailures} failed probe${cur.consecutiveFailures === 1 ? "" : "s"}: ${reason}.`;
  if (cur.state === "setup_pending") return `Connected: ${reason}.`;
  if (cur.state === "paused") return `Resumed: ${reason}.`;
  return `${STATE_LABELS[next]}: ${reason}.`;
}

export function acceptWorkingKey(input: AcceptWorkingKeyInput): KeyAccepted {
  const { connection: cur, now, by } = input;
  const facts = input.verified ? verifiedFacts(input.verified) : {};
  const cleared = { suggestedRegion: null, consecutiveFailures: 0, firstFailureAt: null, lastSuccessAt: now, lastProbeAt: now } as const;

  if (cur === null) {
    // a connection created with a checked key starts healthy; its "created" event tells the story
    return {
      nextState: "healthy",
      recovered: false,
      stateChanged: true,
      heldByPause: false,
      patch: { state: "healthy", stateChangedAt: now, failureCode: null, failureEvidence: null, ...cleared, ...facts },
      event: null,
      alerts: { open: [], resolve: [] },
    };
  }

  const nextState = nextStateFor(cur.state, by);
  assertTransition(cur.state, nextState);
  const heldByPause = nextState === "paused";
  // why: the first success of a new connection is "connected", not a recovery with alerts to close;
  // a paused connection is not back in service, so nobody is told it recovered
  const recovered = hadFailure(cur) && cur.state !== "setup_pending" && !heldByPause;
  const stateChanged = nextState !== cur.state;
  const failureCode = heldByPause ? cur.failureCode : null;
  const newKey = by.kind !== "probe";
  // why: evidence about the old key is void once a new one is stored; a clean probe leaves the row alone
  const clearEvidence = newKey || cur.failureCode !== null || cur.consecutiveFailures > 0;

  const patch: AcceptedKeyPatch = {
    state: nextState,
    ...(stateChanged ? { stateChangedAt: now } : {}),
    failureCode,
    ...(clearEvidence ? { failureEvidence: null } : {}),
    ...cleared,
    ...facts,
  };
  const event: KeyAcceptedEvent | null =
    recovered || stateChanged || failureCode !== cur.failureCode
      ? {
          kind: recovered ? "recovered" : stateChanged ? "state_changed" : "probe_failed",
          fromState: cur.state,
          toState: nextState,
          failureCode,
          message: eventMessage(cur, nextState, recovered, input),
        }
      : null;
  return {
    nextState,
    recovered,
    stateChanged,
    heldByPause,
    patch,
    event,
    // why (issue 11): every key that works ends the failure episode's alerts, whatever the state it
    // is accepted in. "Resume" moves a paused connection to setup_pending before its probe, and a
    // setup_pending success is "connected", not "recovered" — so the alerts opened before the pause
    // stayed open forever. A new connection has none, so resolving costs it nothing.
    alerts: { open: [], resolve: recovered || newKey || (hadFailure(cur) && !heldByPause) ? [...HEALTH_ALERT_KINDS] : [] },
  };
}
