import { DomainError } from "../errors.ts";
import { CONNECTION_STATES, type ConnectionState } from "../vocabulary.ts";
/**
 * Connection states from DESIGN.md and the transitions between them, as explicit data:
 *
 *   setup_pending → healthy ⇄ degraded → action_required → reconnect_pending → healthy
 *   plus pending_disconnect (a planned migration or key archival with a deadline) and paused.
 *
 * Every edge carries who takes it and why, so the table doubles as documentation and as the
 * list the tests walk. Anything not listed is a bug: assertTransition throws.
 */
/** What moves a connection along an edge: a probe result, or a person through the console / link. */
type TransitionTrigger = "probe" | "support" | "clinic";

export interface Transition {
  from: ConnectionState;
  to: ConnectionState;
  by: readonly TransitionTrigger[];
  why: string;
}

export const TRANSITIONS: readonly Transition[] = [
  // setup_pending: a key may or may not have been entered; nothing has ever worked.
  { from: "setup_pending", to: "healthy", by: ["probe"], why: "the first probe of the entered key succeeds" },
  {
    from: "setup_pending",
    to: "action_required",
    by: ["probe"],
    why: "the entered key is rejected, malformed, lacks permission or sees no patients",
  },
  {
    from: "setup_pending",
    to: "reconnect_pending",
    by: ["support"],
    why: "support sends the clinic a link to enter the first key",
  },
  { from: "setup_pending", to: "paused", by: ["support"], why: "support pauses the connection" },
  // Deliberately absent: setup_pending → degraded. A key that was never verified is not "degraded";
  // an outage during setup leaves it in setup_pending with the transient failure code.

  // healthy
  { from: "healthy", to: "degraded", by: ["probe"], why: "a transient failure, or a first rejection awaiting confirmation" },
  { from: "healthy", to: "action_required", by: ["probe"], why: "a failure that needs a human (no confirmation needed)" },
  {
    from: "healthy",
    to: "reconnect_pending",
    by: ["support"],
    why: "support sends a reconnect link ahead of a problem (e.g. the clinic rotates its key)",
  },
  {
    from: "healthy",
    to: "pending_disconnect",
    by: ["support"],
    why: "a planned migration or key archival is scheduled with a deadline",
  },
  { from: "healthy", to: "paused", by: ["support"], why: "support pauses the connection" },

  // degraded: something failed but nobody has to act yet.
  { from: "degraded", to: "healthy", by: ["probe"], why: "the next probe succeeds: recovered" },
  {
    from: "degraded",
    to: "action_required",
    by: ["probe"],
    why: "a confirmed rejection, or a failure that needs a human, replaces the transient one",
  },
  { from: "degraded", to: "reconnect_pending", by: ["support"], why: "support sends a reconnect link" },
  { from: "degraded", to: "pending_disconnect", by: ["support"], why: "a planned migration is scheduled" },
  { from: "degraded", to: "paused", by: ["support"], why: "support pauses the connection" },

  // action_required: a human must act. An outage seen here does NOT move it to degraded:
  // that would hide the real problem behind a transient one (action_required → degraded is absent).
  { from: "action_required", to: "healthy", by: ["probe"], why: "the fix worked (permission granted, region applied): recovered" },
  {
    from: "action_required",
    to: "reconnect_pending",
    by: ["support"],
    why: "support sends the clinic a reconnect link",
  },
  { from: "action_required", to: "paused", by: ["support"], why: "support pauses the connection" },

  // reconnect_pending: a link is out or a key is being re-entered.
  { from: "reconnect_pending", to: "healthy", by: ["probe", "clinic"], why: "the re-entered key works: recovered" },
  {
    from: "reconnect_pending",
    to: "action_required",
    by: ["probe", "support"],
    why: "the re-entered key fails too, or the link expired unused",
  },
  { from: "reconnect_pending", to: "paused", by: ["support"], why: "support pauses the connection" },

  // pending_disconnect: still working until its deadline.
  {
    from: "pending_disconnect",
    to: "healthy",
    by: ["support"],
    why: "the planned disconnect is cancelled",
  },
  {
    from: "pending_disconnect",
    to: "action_required",
    by: ["probe"],
    why: "the deadline passed: the old key is archived and rejected",
  },
  {
    from: "pending_disconnect",
    to: "reconnect_pending",
    by: ["support"],
    why: "the clinic is sent a link to connect the new key ahead of the deadline",
  },
  { from: "pending_disconnect", to: "paused", by: ["support"], why: "support pauses the connection" },

  // paused: resumed by support; the next probe says where it stands.
  { from: "paused", to: "setup_pending", by: ["probe", "support"], why: "resumed, but no key was ever verified" },
  { from: "paused", to: "healthy", by: ["probe"], why: "resumed and the probe succeeds" },
  { from: "paused", to: "degraded", by: ["probe"], why: "resumed into a transient failure" },
  { from: "paused", to: "action_required", by: ["probe"], why: "resumed and the key needs a human" },
  { from: "paused", to: "reconnect_pending", by: ["support"], why: "resumed by sending the clinic a reconnect link" },
];

const ALLOWED: ReadonlyMap<ConnectionState, ReadonlySet<ConnectionState>> = new Map(
  CONNECTION_STATES.map((from) => [from, new Set(TRANSITIONS.filter((t) => t.from === from).map((t) => t.to))]),
);

/** The states reachable from `from` in one step (not including staying put). */
export function allowedTransitions(from: ConnectionState): ConnectionState[] {
  return [...(ALLOWED.get(from) ?? [])];
}

/**
 * Staying in the same state is not a transition (a probe that changes nothing), so it is
 * always allowed.
 */
export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return from === to || (ALLOWED.get(from)?.has(to) ?? false);
}

/** A 409 (code illegal_transition, details.from/to) when the state machine has no such edge. */
export function assertTransition(from: ConnectionState, to: ConnectionState): void {
  if (!canTransition(from, to))
    throw new DomainError(409, `Illegal connection transition ${from} → ${to}`, { code: "illegal_transition", details: { from, to } });
}
