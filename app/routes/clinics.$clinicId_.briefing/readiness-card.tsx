import { Link } from "@remix-run/react";
import type { BriefingSetupData } from "./route.tsx";

/** What must be true before a briefing can go out, each unmet item with its next action. */
export function ReadinessCard({ checklist }: { checklist: BriefingSetupData["checklist"] }) {
  return (
    <section className="card" aria-labelledby="ready-h">
      <h2 id="ready-h">Readiness</h2>
      <ul className="checklist">
        {checklist.map((c) => (
          <li key={c.key} className={c.done ? "done" : "todo"}>
            <span className={`badge tone-${c.done ? "ok" : "warn"}`}>{c.done ? "Done" : "To do"}</span> {c.label}
            {c.done ? null : (
              <>
                {" "}
                — <Link to={c.next.href}>{c.next.label}</Link>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
