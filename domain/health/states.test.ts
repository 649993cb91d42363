import { describe, expect, it } from "vitest";
import { TRANSITIONS, allowedTransitions, assertTransition, canTransition } from "./states.ts";
import { DomainError } from "../errors.ts";
import { CONNECTION_STATES, type ConnectionState, isConnectionState } from "../vocabulary.ts";

const key = (from: ConnectionState, to: ConnectionState) => `${from}→${to}`;
const allowed = new Set(TRANSITIONS.map((t) => key(t.from, t.to)));

// The full expected table, written out by hand so a change to TRANSITIONS must be made twice on purpose.
const EXPECTED: Record<ConnectionState, ConnectionState[]> = {
  setup_pending: ["healthy", "action_required", "reconnect_pending", "paused"],
  healthy: ["degraded", "action_required", "reconnect_pending", "pending_disconnect", "paused"],
  degraded: ["healthy", "action_required", "reconnect_pending", "pending_disconnect", "paused"],
  action_required: ["healthy", "reconnect_pending", "paused"],
  reconnect_pending: ["healthy", "action_required", "paused"],
  pending_disconnect: ["healthy", "action_required", "reconnect_pending", "paused"],
  paused: ["setup_pending", "healthy", "degraded", "action_required", "reconnect_pending"],
};

describe("connection state machine", () => {
  it("lists each edge once, between known states, with a reason", () => {
    expect(allowed.size).toBe(TRANSITIONS.length);
    for (const t of TRANSITIONS) {
      expect(CONNECTION_STATES).toContain(t.from);
      expect(CONNECTION_STATES).toContain(t.to);
      expect(t.from).not.toBe(t.to);
      expect(t.why.length).toBeGreaterThan(5);
      expect(t.by.length).toBeGreaterThan(0);
    }
  });

  it("matches the hand-written table", () => {
    for (const from of CONNECTION_STATES) expect(new Set(allowedTransitions(from))).toEqual(new Set(EXPECTED[from]));
  });

  it("contains the DESIGN.md main path", () => {
    const path: ConnectionState[] = ["setup_pending", "healthy", "degraded", "action_required", "reconnect_pending", "healthy"];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition("degraded", "healthy")).toBe(true);
  });

  it("can pause from every other state and leave paused", () => {
    for (const s of CONNECTION_STATES) if (s !== "paused") expect(canTransition(s, "paused")).toBe(true);
    expect(allowedTransitions("paused").length).toBeGreaterThan(0);
  });

  it("every state can reach healthy", () => {
    for (const start of CONNECTION_STATES) {
      const seen = new Set<ConnectionState>([start]);
      const queue = [start];
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        for (const next of allowedTransitions(s)) {
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push(next);
        }
      }
      expect(seen.has("healthy")).toBe(true);
    }
  });

  const pairs = CONNECTION_STATES.flatMap((from) => CONNECTION_STATES.map((to) => [from, to] as const));

  it.each(pairs.filter(([f, t]) => f === t || allowed.has(key(f, t))))("allows %s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(pairs.filter(([f, t]) => f !== t && !allowed.has(key(f, t))))("rejects %s → %s", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let caught: unknown;
    try {
      assertTransition(from, to);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).details?.from).toBe(from);
    expect((caught as DomainError).details?.to).toBe(to);
    expect((caught as Error).message).toBe(`Illegal connection transition ${from} → ${to}`);
  });

  it("never hides a problem that needs a human behind an outage", () => {
    expect(canTransition("action_required", "degraded")).toBe(false);
    expect(canTransition("setup_pending", "degraded")).toBe(false);
  });

  it("recognises state names", () => {
    expect(isConnectionState("healthy")).toBe(true);
    expect(isConnectionState("broken")).toBe(false);
    expect(isConnectionState(3)).toBe(false);
  });
});
