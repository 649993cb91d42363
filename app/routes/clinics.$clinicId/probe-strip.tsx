import { TAXONOMY } from "../../../domain/health/taxonomy.ts";
import { STATE_LABELS } from "../../../domain/vocabulary.ts";
import { absoluteTime, relativeTime } from "../../components/format.ts";
import type { ClinicPageData } from "./route.tsx";

type Tick = ClinicPageData["probes"][number];

/** ok, a transient failure (nobody needs to act yet), or a failure that needs a human; paused is grey. */
function toneOf(t: Tick): "ok" | "warn" | "bad" | "idle" {
  if (t.ok) return "ok";
  if (t.failureCode === "integration_paused" || t.state === "paused") return "idle";
  return t.failureCode && TAXONOMY[t.failureCode].transient ? "warn" : "bad";
}

const WORDS = { ok: "succeeded", warn: "failed (transient)", bad: "failed", idle: "paused" } as const;

function describe(t: Tick): string {
  const noun = t.kind === "key_check" ? "Key checked live as it was entered" : "Probe";
  const what = t.ok
    ? `${noun}${t.kind === "key_check" ? ": it works" : " succeeded"}`
    : `${noun} ${WORDS[toneOf(t)]}: ${t.failureCode ? TAXONOMY[t.failureCode].title : "unknown"}`;
  return `${absoluteTime(t.at)} — ${what}${t.httpStatus ? ` (HTTP ${t.httpStatus})` : ""}; ${STATE_LABELS[t.state].toLowerCase()} after.`;
}

/**
 * The last probes as coloured ticks, oldest on the left, server-rendered SVG: each tick's title says
 * when and what; the caption counts them, and a list under "Show as a list" reads the same facts.
 */
export function ProbeStrip({ probes, now }: { probes: Tick[]; now: number }) {
  if (probes.length === 0)
    return (
      <section className="card probe-strip" aria-labelledby="probe-strip-h">
        <h2 id="probe-strip-h">Recent probes</h2>
        <p className="hint">
          No probes recorded yet: the worker&apos;s next sweep probes this connection. A key entered on this page, on add clinic or through a reconnect link is
          drawn here as soon as it is checked.
        </p>
      </section>
    );
  const tick = 10;
  const gap = 3;
  const h = 28;
  const w = probes.length * (tick + gap) - gap;
  const failed = probes.filter((t) => !t.ok).length;
  const last = probes.at(-1)!;
  const summary = `${probes.length} probe${probes.length === 1 ? "" : "s"} since ${absoluteTime(probes[0]!.at)}: ${probes.length - failed} succeeded, ${failed} failed. Latest ${relativeTime(last.at, now)}: ${last.ok ? "succeeded" : last.failureCode ? TAXONOMY[last.failureCode].title : "failed"}.`;
  return (
    <section className="card probe-strip" aria-labelledby="probe-strip-h">
      <h2 id="probe-strip-h">Recent probes</h2>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        width={w}
        height={h}
        role="img"
        aria-labelledby="probe-strip-title"
        className="probe-ticks"
        preserveAspectRatio="xMinYMid meet"
      >
        <title id="probe-strip-title">{summary}</title>
        {probes.map((t, i) => {
          const tone = toneOf(t);
          // why: colour is not the only cue — failures are full height, successes shorter
          const th = tone === "ok" ? h - 8 : h;
          return (
            <rect key={`${String(t.at)}-${i}`} x={i * (tick + gap)} y={h - th} width={tick} height={th} rx={2} className={`tick-${tone}`}>
              <title>{describe(t)}</title>
            </rect>
          );
        })}
      </svg>
      <p className="hint">{summary} Oldest on the left; failures are full height.</p>
      <details>
        <summary>Show as a list</summary>
        <ol className="probe-list">
          {[...probes].reverse().map((t, i) => (
            <li key={`${String(t.at)}-${i}`}>{describe(t)}</li>
          ))}
        </ol>
      </details>
    </section>
  );
}
