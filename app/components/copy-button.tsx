import { useState } from "react";

/** Copies `text`; without JavaScript the text stays selectable next to it, so nothing is lost. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="btn secondary small"
      onClick={async () => {
        await navigator.clipboard.writeText(text);
        setDone(true);
        setTimeout(() => setDone(false), 2000);
      }}
    >
      {done ? "Copied ✓" : label}
      <span className="visually-hidden" aria-live="polite">
        {done ? "Copied to the clipboard" : ""}
      </span>
    </button>
  );
}
