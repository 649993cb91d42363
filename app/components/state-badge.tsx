import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { type ConnectionState, type FailureCode, STATE_LABELS } from "../../domain/vocabulary.ts";

export type Tone = "ok" | "warn" | "bad" | "info" | "idle";

export const STATE_TONES: Record<ConnectionState, Tone> = {
  healthy: "ok",
  degraded: "warn",
  action_required: "bad",
  reconnect_pending: "info",
  pending_disconnect: "warn",
  setup_pending: "idle",
  paused: "idle",
};

/** Colour plus words: the colour is never the only signal. */
export function StateBadge({ state }: { state: ConnectionState | null }) {
  if (!state) return <span className="badge tone-idle">No connection</span>;
  return <span className={`badge tone-${STATE_TONES[state]}`}>{STATE_LABELS[state]}</span>;
}

export function FailureText({ code }: { code: FailureCode | null }) {
  if (!code) return <span className="hint">—</span>;
  return <span title={TAXONOMY[code].supportMessage}>{TAXONOMY[code].title}</span>;
}
