/** Connection states from DESIGN.md, with the transitions the health engine may make. */
export const CONNECTION_STATES = [
  "setup_pending",
  "healthy",
  "degraded",
  "action_required",
  "reconnect_pending",
  "pending_disconnect",
  "paused",
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const VENDORS = ["cliniko", "nookal"] as const;
export type Vendor = (typeof VENDORS)[number];

export const STATE_LABELS: Record<ConnectionState, string> = {
  setup_pending: "Setup pending",
  healthy: "Healthy",
  degraded: "Degraded",
  action_required: "Action required",
  reconnect_pending: "Reconnect pending",
  pending_disconnect: "Pending disconnect",
  paused: "Paused",
};

const ALLOWED: Record<ConnectionState, readonly ConnectionState[]> = {
  setup_pending: ["healthy", "degraded", "action_required", "paused"],
  healthy: ["degraded", "action_required", "pending_disconnect", "paused", "reconnect_pending"],
  degraded: ["healthy", "action_required", "pending_disconnect", "paused", "reconnect_pending"],
  action_required: ["healthy", "degraded", "reconnect_pending", "pending_disconnect", "paused"],
  reconnect_pending: ["healthy", "action_required", "degraded", "paused", "pending_disconnect"],
  pending_disconnect: ["healthy", "action_required", "reconnect_pending", "degraded", "paused"],
  paused: ["setup_pending", "healthy", "degraded", "action_required"],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return from === to || ALLOWED[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(from: ConnectionState, to: ConnectionState) {
    super(`Illegal connection transition ${from} → ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function assertTransition(from: ConnectionState, to: ConnectionState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
