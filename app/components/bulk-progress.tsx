import "./bulk.css";
import type { BulkItemStatus } from "../../db/schema/bulk-operations.ts";
import type { Tone } from "./state-badge.tsx";

export const ITEM_LABELS: Record<BulkItemStatus, string> = { done: "Done", failed: "Failed", skipped: "Skipped", waiting: "Waiting" };
const ITEM_TONES: Record<BulkItemStatus, Tone> = { done: "ok", failed: "bad", skipped: "idle", waiting: "info" };

export function ItemBadge({ status }: { status: BulkItemStatus }) {
  return <span className={`badge tone-${ITEM_TONES[status]}`}>{ITEM_LABELS[status]}</span>;
}

/** A progress bar with its figures in words next to it, so neither the colour nor the bar carries them alone. */
export function BulkProgressBar({ finished, total, label }: { finished: number; total: number; label: string }) {
  const pct = total ? Math.round((finished / total) * 100) : 100;
  const text = `${finished} of ${total} finished`;
  return (
    <div className="bulk-progress">
      <div
        className="bulk-progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
        aria-valuetext={`${text} (${pct}%)`}
      >
        <div className="bulk-progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="bulk-progress-text">
        {text} ({pct}%)
      </span>
    </div>
  );
}
