import { TAXONOMY, WHO_MUST_ACT_LABELS, whoMustAct, type WhoMustAct } from "../../domain/health/taxonomy.ts";
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

/** Colour by who must act (docs/decisions/0028-broken-now.md): red clinic, amber vendor, grey pause, blue us. */
const WHO_TONES: Record<WhoMustAct, Tone> = { clinic: "bad", vendor: "warn", us: "info", paused: "idle" };

/**
 * Colour plus words: the colour is never the only signal. With the failure code, the colour says who
 * must act (and the words say it too); without one, the state's own tone.
 */
export function StateBadge({ state, failureCode }: { state: ConnectionState | null; failureCode?: FailureCode | null }) {
  if (!state) return <span className="badge tone-idle">No connection</span>;
  const who = failureCode !== undefined ? whoMustAct(state, failureCode) : null;
  if (!who) return <span className={`badge tone-${STATE_TONES[state]}`}>{STATE_LABELS[state]}</span>;
  return (
    <span className={`badge tone-${WHO_TONES[who]}`} data-who={who} title={WHO_MUST_ACT_LABELS[who]}>
      {STATE_LABELS[state]}
      <span className="badge-who">· {WHO_MUST_ACT_LABELS[who].toLowerCase()}</span>
    </span>
  );
}

export function FailureText({ code }: { code: FailureCode | null }) {
  if (!code) return <span className="hint">—</span>;
  return <span title={TAXONOMY[code].supportMessage}>{TAXONOMY[code].title}</span>;
}
