import { Fragment, type ReactNode } from "react";

/**
 * The little Markdown the OpenAPI descriptions use — paragraphs, `code` and **bold** — as React
 * elements: no HTML from the document is ever injected, so the page needs no sanitiser.
 */
function inline(text: string): ReactNode[] {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*)/g).map((part, i) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) return <code key={i}>{part.slice(1, -1)}</code>;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 3) return <strong key={i}>{part.slice(2, -2)}</strong>;
    return <Fragment key={i}>{part}</Fragment>;
  });
}

export function Prose({ text, className }: { text: string; className?: string }) {
  const paragraphs = text.split(/\n\s*\n/).filter((p) => p.trim());
  return (
    <div className={className ? `prose ${className}` : "prose"}>
      {paragraphs.map((p, i) => (
        <p key={i}>{inline(p.trim())}</p>
      ))}
    </div>
  );
}

/** One line of words (a table cell), same Markdown. */
export function InlineProse({ text }: { text: string | null }) {
  return text ? <>{inline(text)}</> : <span className="hint">—</span>;
}
