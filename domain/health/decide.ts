import type { Classification, ClassifierRule, ProbeEvidence } from "./classifier.ts";
import { acceptWorkingKey } from "./accept-key.ts";
import { assertTransition } from "./states.ts";
import { TAXONOMY } from "./taxonomy.ts";
import type { ConnectionState, FailureCode, HealthAlertKind } from "../vocabulary.ts";

/**
 * The decision: current connection + one classified probe → what to store, what to write on the
 * timeline, which alerts to open or resolve. Pure; the caller persists the result.
 *
 * Rules (see decide.test.ts for the table):
 * - Success → acceptWorkingKey (accept-key.ts), the transition every accepted key takes: healthy
 *   (pending_disconnect stays put until its deadline); after a failure it is a recovery: counters
 *   reset, every health alert resolved, a "recovered" event.
 *   A healthy probe that changes nothing returns no timeline event and no alert work.
 * - Transient (rate_limited, vendor_unavailable, network, vendor_response_invalid) → degraded from
 *   healthy, never action_required. Degraded for longer than the threshold opens degraded_too_long.
 *   In a state that already needs a human (action_required, reconnect_pending) the real problem is
 *   kept: an outage does not overwrite "key rejected".
 * - A first vendor rejection (auth_rejected / permission_denied) after a healthy history → degraded
 *   with needsConfirmation: the caller re-probes soon; a second rejection → action_required.
 * - Any other non-transient code → action_required with an alert (no_patients_visible has its own
 *   kind). reconnect_pending stays put while the old key keeps failing; it only falls to
 *   action_required when a key stored after the link was sent fails too.
 * - integration_paused → paused; nothing else changes.
 */

export interface DecideSettings {
  /** How long a transient failure may last before degraded_too_long opens. */
  transientAlertAfterMinutes: number;
}
export const DEFAULT_DECIDE_SETTINGS: DecideSettings = { transientAlertAfterMinutes: 30 };

export interface ConnectionSnapshot {
  state: ConnectionState;
  failureCode: FailureCode | null;
  consecutiveFailures: number;
  firstFailureAt: Date | null;
  lastSuccessAt: Date | null;
  /** When the connection entered its current state. */
  stateChangedAt: Date | null;
  /** When the key was last stored: tells a freshly re-entered key from the old one. */
  keyUpdatedAt?: Date | null;
  suggestedRegion?: string | null;
}

export interface DecideInput {
  connection: ConnectionSnapshot;
  classification: Classification;
  now: Date;
  settings?: DecideSettings;
  /** Carried onto the timeline event as evidence. */
  probeId?: string;
}

type TimelineEventKind = "state_changed" | "probe_failed" | "recovered";

interface TimelineEvent {
  kind: TimelineEventKind;
  fromState: ConnectionState;
  toState: ConnectionState;
  failureCode: FailureCode | null;
  message: string;
  /** What this probe saw (HTTP status, vendor message verbatim, request…). */
  evidence: ProbeEvidence;
  rule: ClassifierRule;
  probeId?: string;
  needsConfirmation: boolean;
}

/** What to do with the stored failure evidence. */
type EvidenceUpdate = { kind: "set"; evidence: ProbeEvidence } | { kind: "keep" } | { kind: "clear" };

export interface Decision {
  nextState: ConnectionState;
  failureCode: FailureCode | null;
  consecutiveFailures: number;
  firstFailureAt: Date | null;
  lastSuccessAt: Date | null;
  stateChangedAt: Date | null;
  suggestedRegion: string | null;
  failureEvidence: EvidenceUpdate;
  /** Re-probe soon: a first rejection after a healthy history must be seen twice before alarming. */
  needsConfirmation: boolean;
  /** Null when nothing worth a timeline row happened. */
  timelineEvent: TimelineEvent | null;
  alerts: { open: HealthAlertKind[]; resolve: HealthAlertKind[] };
  recovered: boolean;
}

/** States in which someone has already been asked to act. */
const HUMAN_STATES: ReadonlySet<ConnectionState> = new Set(["action_required", "reconnect_pending"]);

function minutesBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 60_000;
}

function describe(code: FailureCode, c: Classification): string {
  return `${TAXONOMY[code].title}: ${c.reason}`;
}

function isActionable(code: FailureCode | null): code is FailureCode {
  return code !== null && code !== "integration_paused" && !TAXONOMY[code].transient;
}

export function decide(input: DecideInput): Decision {
  const { connection: cur, classification: c, now, probeId } = input;
  const settings = input.settings ?? DEFAULT_DECIDE_SETTINGS;
  const code = c.failureCode;

  let nextState: ConnectionState;
  let failureCode: FailureCode | null;
  let failureEvidence: EvidenceUpdate;
  let needsConfirmation = false;
  let recovered = false;
  let message: string;
  const open: HealthAlertKind[] = [];
  const resolve: HealthAlertKind[] = [];
  let consecutiveFailures = cur.consecutiveFailures;
  let firstFailureAt = cur.firstFailureAt;
  let lastSuccessAt = cur.lastSuccessAt;
  let suggestedRegion = cur.suggestedRegion ?? null;

  if (code === null) {
    // ---- success: the one "key accepted" transition, shared with the reconnect link and add-clinic
    const accepted = acceptWorkingKey({ connection: cur, verified: null, now, by: { kind: "probe", reason: c.reason } });
    nextState = accepted.nextState;
    recovered = accepted.recovered;
    failureCode = accepted.patch.failureCode;
    failureEvidence = accepted.patch.failureEvidence === null ? { kind: "clear" } : { kind: "keep" };
    consecutiveFailures = accepted.patch.consecutiveFailures;
    firstFailureAt = accepted.patch.firstFailureAt;
    lastSuccessAt = accepted.patch.lastSuccessAt;
    suggestedRegion = accepted.patch.suggestedRegion;
    resolve.push(...accepted.alerts.resolve);
    message = accepted.event?.message ?? "";
  } else if (code === "integration_paused") {
    // ---- paused by support: counters and history stay as they were for when it resumes
    nextState = "paused";
    failureCode = code;
    failureEvidence = { kind: "keep" };
    message = "Paused by support.";
  } else {
    // ---- a failure
    consecutiveFailures = cur.consecutiveFailures + 1;
    firstFailureAt = cur.firstFailureAt ?? now;
    failureCode = code;
    failureEvidence = { kind: "set", evidence: c.evidence };
    suggestedRegion = code === "wrong_region" ? c.suggestedRegion : null;

    if (c.transient) {
      if (cur.state === "healthy" || cur.state === "degraded") nextState = "degraded";
      // why: resumed into an outage; a key never verified is not "degraded"
      else if (cur.state === "paused") nextState = cur.lastSuccessAt ? "degraded" : "setup_pending";
      else nextState = cur.state;

      // why: never hide the problem a human is already working on behind an outage
      if (HUMAN_STATES.has(nextState) && isActionable(cur.failureCode)) {
        failureCode = cur.failureCode;
        failureEvidence = { kind: "keep" };
        suggestedRegion = cur.suggestedRegion ?? null;
      }

      // why: key_unreadable is our own configuration fault: engineering acts, so no alert (and no
      // clinic email) is ever opened for it, however long it lasts (docs/decisions/0023)
      if (nextState === "degraded" && code !== "key_unreadable") {
        const since = cur.state === "degraded" ? (cur.stateChangedAt ?? cur.firstFailureAt ?? now) : now;
        if (minutesBetween(since, now) >= settings.transientAlertAfterMinutes) open.push("degraded_too_long");
      }
      message =
        nextState === "degraded" ? `Degraded — ${describe(code, c)}. Not a key problem; retrying.` : `${describe(code, c)}. Not a key problem; retrying.`;
    } else {
      const previousWasRejection = cur.failureCode !== null && TAXONOMY[cur.failureCode].confirmBeforeAlarm;
      const confirmFirst =
        TAXONOMY[code].confirmBeforeAlarm && cur.lastSuccessAt !== null && (cur.state === "healthy" || cur.state === "degraded") && !previousWasRejection;

      if (confirmFirst) {
        // why: a single 401 after months of success is confirmed once before alarming
        nextState = "degraded";
        needsConfirmation = true;
        message = `${describe(code, c)}. First rejection after a healthy history: re-probing to confirm before alarming.`;
      } else {
        // why: a key stored after the link went out is the clinic's new key; before it, the old one
        const freshKey = Boolean(cur.keyUpdatedAt && cur.stateChangedAt && cur.keyUpdatedAt.getTime() > cur.stateChangedAt.getTime());
        if (cur.state === "setup_pending" && code === "key_missing") {
          // why: a new connection waiting for its first key is not broken
          nextState = "setup_pending";
        } else if (cur.state === "reconnect_pending" && !freshKey) {
          // why: the link is out and the old key is still stored; its failures are expected
          nextState = "reconnect_pending";
        } else {
          nextState = "action_required";
        }
        if (nextState !== "setup_pending") open.push(code === "no_patients_visible" ? "no_patients_visible" : "connection_needs_action");
        message = nextState === "action_required" && cur.state !== "action_required" ? `Action required — ${describe(code, c)}.` : `${describe(code, c)}.`;
      }
    }
  }

  assertTransition(cur.state, nextState);
  const stateChanged = nextState !== cur.state;
  const codeChanged = failureCode !== cur.failureCode;

  let timelineEvent: TimelineEvent | null = null;
  if (recovered || stateChanged || codeChanged) {
    timelineEvent = {
      kind: recovered ? "recovered" : stateChanged ? "state_changed" : "probe_failed",
      fromState: cur.state,
      toState: nextState,
      failureCode,
      message,
      evidence: c.evidence,
      rule: c.rule,
      needsConfirmation,
    };
    if (probeId !== undefined) timelineEvent.probeId = probeId;
  }

  return {
    nextState,
    failureCode,
    consecutiveFailures,
    firstFailureAt,
    lastSuccessAt,
    stateChangedAt: stateChanged ? now : cur.stateChangedAt,
    suggestedRegion,
    failureEvidence,
    needsConfirmation,
    timelineEvent,
    alerts: { open, resolve },
    recovered,
  };
}
