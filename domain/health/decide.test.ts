import { describe, expect, it } from "vitest";
import type { Classification, ClassifierRule } from "./classifier.ts";
import { DEFAULT_DECIDE_SETTINGS, decide, type ConnectionSnapshot, type Decision } from "./decide.ts";
import { canTransition } from "./states.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { CONNECTION_STATES, type ConnectionState, FAILURE_CODES, type FailureCode, HEALTH_ALERT_KINDS } from "../vocabulary.ts";

const NOW = new Date("2025-03-10T09:00:00Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

function snap(state: ConnectionState, over: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot {
  const failing = state === "degraded" || state === "action_required" || state === "reconnect_pending";
  return {
    state,
    failureCode: null,
    consecutiveFailures: failing ? 2 : 0,
    firstFailureAt: failing ? minutesAgo(10) : null,
    lastSuccessAt: state === "setup_pending" ? null : minutesAgo(failing ? 15 : 5),
    stateChangedAt: minutesAgo(10),
    ...over,
  };
}

function cls(code: FailureCode | null, over: Partial<Classification> = {}): Classification {
  const rule: ClassifierRule = code === null ? "success" : "http_other";
  return {
    failureCode: code,
    transient: code === null ? false : TAXONOMY[code].transient,
    rule,
    reason: code === null ? "the key works and sees patients" : `evidence for ${code}`,
    evidence: code === null ? { kind: "success", visiblePatients: 12 } : { kind: "http", httpStatus: 418, vendorMessage: `verbatim ${code}` },
    suggestedRegion: null,
    retryAt: null,
    regionProbeAdvised: false,
    visiblePatients: code === null ? 12 : null,
    ...over,
  };
}

const run = (
  connection: ConnectionSnapshot,
  classification: Classification,
  extra: { settings?: { transientAlertAfterMinutes: number }; probeId?: string } = {},
) => decide({ connection, classification, now: NOW, ...extra });

const ALL_ALERTS = [...HEALTH_ALERT_KINDS];

describe("decide: success", () => {
  it("healthy and nothing changes → no timeline row, no alert work", () => {
    const d = run(snap("healthy"), cls(null));
    expect(d).toMatchObject({
      nextState: "healthy",
      failureCode: null,
      consecutiveFailures: 0,
      firstFailureAt: null,
      recovered: false,
      needsConfirmation: false,
    });
    expect(d.timelineEvent).toBeNull();
    expect(d.alerts).toEqual({ open: [], resolve: [] });
    expect(d.lastSuccessAt).toEqual(NOW);
    expect(d.stateChangedAt).toEqual(minutesAgo(10));
    expect(d.failureEvidence).toEqual({ kind: "keep" });
  });

  it.each([
    ["degraded", "vendor_unavailable"],
    ["action_required", "auth_rejected"],
    ["reconnect_pending", "auth_rejected"],
    ["action_required", "no_patients_visible"],
  ] as const)("%s (%s) → healthy is a recovery that resolves every alert", (state, code) => {
    const d = run(snap(state, { failureCode: code, suggestedRegion: "uk2" }), cls(null), { probeId: "p-9" });
    expect(d).toMatchObject({ nextState: "healthy", failureCode: null, consecutiveFailures: 0, firstFailureAt: null, recovered: true, suggestedRegion: null });
    expect(d.alerts).toEqual({ open: [], resolve: ALL_ALERTS });
    expect(d.failureEvidence).toEqual({ kind: "clear" });
    expect(d.stateChangedAt).toEqual(NOW);
    expect(d.timelineEvent).toMatchObject({ kind: "recovered", fromState: state, toState: "healthy", failureCode: null, probeId: "p-9" });
    expect(d.timelineEvent?.message).toContain(TAXONOMY[code].title);
    expect(d.timelineEvent?.message).toContain("2 failed probes");
  });

  it("setup_pending → healthy is 'connected', not a recovery", () => {
    const d = run(snap("setup_pending"), cls(null));
    expect(d).toMatchObject({ nextState: "healthy", recovered: false });
    expect(d.timelineEvent).toMatchObject({ kind: "state_changed", fromState: "setup_pending", toState: "healthy" });
    expect(d.timelineEvent?.message).toMatch(/^Connected/);
    expect(d.alerts.resolve).toEqual([]);
  });

  it("setup_pending after a transient failure → healthy, clears the failure, still not a recovery", () => {
    const d = run(snap("setup_pending", { failureCode: "network", consecutiveFailures: 1, firstFailureAt: minutesAgo(5) }), cls(null));
    expect(d).toMatchObject({ nextState: "healthy", failureCode: null, consecutiveFailures: 0, recovered: false });
    expect(d.failureEvidence).toEqual({ kind: "clear" });
  });

  it("paused → healthy on resume: 'resumed'", () => {
    const d = run(snap("paused", { failureCode: "integration_paused" }), cls(null));
    expect(d).toMatchObject({ nextState: "healthy", recovered: false, failureCode: null });
    expect(d.timelineEvent).toMatchObject({ kind: "state_changed", fromState: "paused", toState: "healthy" });
    expect(d.timelineEvent?.message).toMatch(/^Resumed/);
  });

  it("paused while failing → healthy on resume is a recovery", () => {
    const d = run(snap("paused", { failureCode: "integration_paused", consecutiveFailures: 3, firstFailureAt: minutesAgo(60) }), cls(null));
    expect(d).toMatchObject({ nextState: "healthy", recovered: true });
    expect(d.alerts.resolve).toEqual(ALL_ALERTS);
  });

  it("pending_disconnect stays put until its deadline", () => {
    const d = run(snap("pending_disconnect"), cls(null));
    expect(d).toMatchObject({ nextState: "pending_disconnect", recovered: false });
    expect(d.timelineEvent).toBeNull();
  });

  it("pending_disconnect after a transient failure recovers in place", () => {
    const d = run(snap("pending_disconnect", { failureCode: "network", consecutiveFailures: 1, firstFailureAt: minutesAgo(5) }), cls(null));
    expect(d).toMatchObject({ nextState: "pending_disconnect", recovered: true, failureCode: null, consecutiveFailures: 0 });
    expect(d.timelineEvent).toMatchObject({ kind: "recovered", fromState: "pending_disconnect", toState: "pending_disconnect" });
    expect(d.stateChangedAt).toEqual(minutesAgo(10));
  });

  it("healthy but with a stale failure count still closes the books", () => {
    const d = run(snap("healthy", { consecutiveFailures: 1 }), cls(null));
    expect(d.recovered).toBe(true);
    expect(d.timelineEvent?.kind).toBe("recovered");
  });
});

describe("decide: paused by support", () => {
  it("healthy → paused keeps history for the resume", () => {
    const cur = snap("action_required", { failureCode: "auth_rejected" });
    const d = run(cur, cls("integration_paused"));
    expect(d).toMatchObject({
      nextState: "paused",
      failureCode: "integration_paused",
      consecutiveFailures: cur.consecutiveFailures,
      firstFailureAt: cur.firstFailureAt,
      lastSuccessAt: cur.lastSuccessAt,
      recovered: false,
    });
    expect(d.alerts).toEqual({ open: [], resolve: [] });
    expect(d.failureEvidence).toEqual({ kind: "keep" });
    expect(d.timelineEvent).toMatchObject({ kind: "state_changed", toState: "paused", message: "Paused by support." });
  });

  it("paused → paused writes nothing", () => {
    const d = run(snap("paused", { failureCode: "integration_paused" }), cls("integration_paused"));
    expect(d.nextState).toBe("paused");
    expect(d.timelineEvent).toBeNull();
  });
});

describe("decide: transient failures", () => {
  it("healthy → degraded, never action_required, no alert yet", () => {
    const d = run(snap("healthy"), cls("vendor_unavailable"), { probeId: "p-1" });
    expect(d).toMatchObject({
      nextState: "degraded",
      failureCode: "vendor_unavailable",
      consecutiveFailures: 1,
      firstFailureAt: NOW,
      needsConfirmation: false,
      recovered: false,
    });
    expect(d.alerts).toEqual({ open: [], resolve: [] });
    expect(d.failureEvidence).toEqual({ kind: "set", evidence: { kind: "http", httpStatus: 418, vendorMessage: "verbatim vendor_unavailable" } });
    expect(d.timelineEvent).toMatchObject({
      kind: "state_changed",
      fromState: "healthy",
      toState: "degraded",
      failureCode: "vendor_unavailable",
      probeId: "p-1",
    });
    expect(d.timelineEvent?.evidence.vendorMessage).toBe("verbatim vendor_unavailable");
    expect(d.timelineEvent?.message).toMatch(/Not a key problem/);
  });

  it("repeats of the same transient failure write no timeline row", () => {
    const d = run(snap("degraded", { failureCode: "network", stateChangedAt: minutesAgo(5) }), cls("network"));
    expect(d).toMatchObject({ nextState: "degraded", consecutiveFailures: 3, firstFailureAt: minutesAgo(10) });
    expect(d.timelineEvent).toBeNull();
    expect(d.alerts.open).toEqual([]);
  });

  it("a different transient failure is a timeline row", () => {
    const d = run(snap("degraded", { failureCode: "network" }), cls("vendor_unavailable"));
    expect(d.timelineEvent).toMatchObject({ kind: "probe_failed", fromState: "degraded", toState: "degraded", failureCode: "vendor_unavailable" });
  });

  it("degraded just under the threshold: no alert", () => {
    const d = run(snap("degraded", { failureCode: "vendor_unavailable", stateChangedAt: minutesAgo(29.9) }), cls("vendor_unavailable"));
    expect(d.alerts.open).toEqual([]);
  });

  it("degraded past the threshold opens degraded_too_long (and keeps reporting it)", () => {
    const d = run(snap("degraded", { failureCode: "vendor_unavailable", stateChangedAt: minutesAgo(30) }), cls("vendor_unavailable"));
    expect(d.nextState).toBe("degraded");
    expect(d.alerts).toEqual({ open: ["degraded_too_long"], resolve: [] });
    const later = run(snap("degraded", { failureCode: "vendor_unavailable", stateChangedAt: minutesAgo(95) }), cls("vendor_unavailable"));
    expect(later.alerts.open).toEqual(["degraded_too_long"]);
  });

  it("falls back to the first failure when the state timestamp is unknown", () => {
    const d = run(snap("degraded", { failureCode: "network", stateChangedAt: null, firstFailureAt: minutesAgo(45) }), cls("network"));
    expect(d.alerts.open).toEqual(["degraded_too_long"]);
  });

  it("honours a configured threshold", () => {
    expect(DEFAULT_DECIDE_SETTINGS.transientAlertAfterMinutes).toBe(30);
    const d = run(snap("degraded", { failureCode: "network", stateChangedAt: minutesAgo(6) }), cls("network"), { settings: { transientAlertAfterMinutes: 5 } });
    expect(d.alerts.open).toEqual(["degraded_too_long"]);
    const immediate = run(snap("healthy"), cls("network"), { settings: { transientAlertAfterMinutes: 0 } });
    expect(immediate.alerts.open).toEqual(["degraded_too_long"]);
  });

  it.each([
    ["action_required", "auth_rejected", null],
    ["reconnect_pending", "wrong_region", "uk2"],
  ] as const)("%s keeps its real problem (%s) through an outage", (state, code, region) => {
    const d = run(snap(state, { failureCode: code, suggestedRegion: region }), cls("vendor_unavailable"));
    expect(d).toMatchObject({ nextState: state, failureCode: code, suggestedRegion: region, consecutiveFailures: 3 });
    expect(d.failureEvidence).toEqual({ kind: "keep" });
    expect(d.timelineEvent).toBeNull();
    expect(d.alerts).toEqual({ open: [], resolve: [] });
  });

  it("setup_pending stays setup_pending: a key never verified is not 'degraded'", () => {
    const d = run(snap("setup_pending"), cls("network"));
    expect(d).toMatchObject({ nextState: "setup_pending", failureCode: "network", consecutiveFailures: 1 });
    expect(d.timelineEvent).toMatchObject({ kind: "probe_failed", toState: "setup_pending" });
    expect(d.alerts.open).toEqual([]);
  });

  it("pending_disconnect stays put and records the failure", () => {
    const d = run(snap("pending_disconnect"), cls("rate_limited"));
    expect(d).toMatchObject({ nextState: "pending_disconnect", failureCode: "rate_limited" });
    expect(d.timelineEvent?.kind).toBe("probe_failed");
    expect(d.alerts.open).toEqual([]);
  });

  it("resumed into an outage: degraded if it ever worked, else setup_pending", () => {
    expect(run(snap("paused", { failureCode: "integration_paused" }), cls("network")).nextState).toBe("degraded");
    expect(run(snap("paused", { failureCode: "integration_paused", lastSuccessAt: null }), cls("network")).nextState).toBe("setup_pending");
  });

  it("an outage during an unconfirmed rejection replaces it: the next rejection needs confirming again", () => {
    const d = run(snap("degraded", { failureCode: "auth_rejected", consecutiveFailures: 1 }), cls("vendor_unavailable"));
    expect(d).toMatchObject({ nextState: "degraded", failureCode: "vendor_unavailable" });
    const next = run(snap("degraded", { failureCode: d.failureCode, consecutiveFailures: 2 }), cls("auth_rejected"));
    expect(next).toMatchObject({ nextState: "degraded", needsConfirmation: true });
  });

  it("vendor_response_invalid is transient: degraded, never action_required", () => {
    expect(run(snap("healthy"), cls("vendor_response_invalid")).nextState).toBe("degraded");
  });
});

describe("decide: rejections after a healthy history are confirmed once", () => {
  it.each(["auth_rejected", "permission_denied"] as const)("healthy + first %s → degraded, needsConfirmation, no alert", (code) => {
    const d = run(snap("healthy"), cls(code), { probeId: "p-2" });
    expect(d).toMatchObject({ nextState: "degraded", failureCode: code, needsConfirmation: true, consecutiveFailures: 1, firstFailureAt: NOW });
    expect(d.alerts).toEqual({ open: [], resolve: [] });
    expect(d.timelineEvent).toMatchObject({ kind: "state_changed", toState: "degraded", needsConfirmation: true, probeId: "p-2" });
    expect(d.timelineEvent?.message).toMatch(/confirm/);
  });

  it("the second rejection confirms it → action_required with one needs-action alert", () => {
    const d = run(snap("degraded", { failureCode: "auth_rejected", consecutiveFailures: 1, firstFailureAt: minutesAgo(1) }), cls("auth_rejected"));
    expect(d).toMatchObject({
      nextState: "action_required",
      failureCode: "auth_rejected",
      needsConfirmation: false,
      consecutiveFailures: 2,
      firstFailureAt: minutesAgo(1),
    });
    expect(d.alerts).toEqual({ open: ["connection_needs_action"], resolve: [] });
    expect(d.timelineEvent).toMatchObject({ kind: "state_changed", fromState: "degraded", toState: "action_required" });
    expect(d.timelineEvent?.message).toMatch(/^Action required/);
  });

  it("a permission refusal right after a key rejection counts as confirmation", () => {
    const d = run(snap("degraded", { failureCode: "auth_rejected", consecutiveFailures: 1 }), cls("permission_denied"));
    expect(d).toMatchObject({ nextState: "action_required", needsConfirmation: false });
  });

  it("a rejection during an outage still needs confirming", () => {
    const d = run(snap("degraded", { failureCode: "vendor_unavailable" }), cls("auth_rejected"));
    expect(d).toMatchObject({ nextState: "degraded", failureCode: "auth_rejected", needsConfirmation: true });
    expect(d.timelineEvent?.kind).toBe("probe_failed");
    expect(d.alerts.open).toEqual([]);
  });

  it("the confirmation probe succeeding is a quiet recovery", () => {
    const d = run(snap("degraded", { failureCode: "auth_rejected", consecutiveFailures: 1 }), cls(null));
    expect(d).toMatchObject({ nextState: "healthy", recovered: true });
  });

  it.each([
    ["healthy without any success on record", snap("healthy", { lastSuccessAt: null })],
    ["a brand-new key in setup", snap("setup_pending")],
    ["a planned disconnect whose key was archived", snap("pending_disconnect")],
    ["a connection resumed from pause", snap("paused", { failureCode: "integration_paused" })],
  ])("no confirmation for %s: straight to action_required", (_label, cur) => {
    const d = run(cur, cls("auth_rejected"));
    expect(d).toMatchObject({ nextState: "action_required", needsConfirmation: false });
    expect(d.alerts.open).toEqual(["connection_needs_action"]);
  });
});

describe("decide: failures that need a human", () => {
  it.each(["key_missing", "key_malformed", "wrong_region"] as const)("healthy + %s → action_required at once", (code) => {
    const d = run(snap("healthy"), cls(code, code === "wrong_region" ? { suggestedRegion: "uk2" } : {}));
    expect(d).toMatchObject({ nextState: "action_required", failureCode: code, needsConfirmation: false });
    expect(d.alerts.open).toEqual(["connection_needs_action"]);
    expect(d.suggestedRegion).toBe(code === "wrong_region" ? "uk2" : null);
  });

  it("no patients visible has its own alert kind", () => {
    const d = run(snap("healthy"), cls("no_patients_visible"));
    expect(d).toMatchObject({ nextState: "action_required", failureCode: "no_patients_visible" });
    expect(d.alerts.open).toEqual(["no_patients_visible"]);
  });

  it("degraded (outage) + malformed key → action_required", () => {
    expect(run(snap("degraded", { failureCode: "network" }), cls("key_malformed")).nextState).toBe("action_required");
  });

  it("action_required + the same failure: no timeline row, the alert's count goes up", () => {
    const d = run(snap("action_required", { failureCode: "auth_rejected" }), cls("auth_rejected"));
    expect(d).toMatchObject({ nextState: "action_required", consecutiveFailures: 3 });
    expect(d.timelineEvent).toBeNull();
    expect(d.alerts.open).toEqual(["connection_needs_action"]);
  });

  it("action_required + a different failure: a timeline row with the new evidence", () => {
    const d = run(snap("action_required", { failureCode: "auth_rejected" }), cls("wrong_region", { suggestedRegion: "ca1" }));
    expect(d).toMatchObject({ nextState: "action_required", failureCode: "wrong_region", suggestedRegion: "ca1" });
    expect(d.timelineEvent).toMatchObject({ kind: "probe_failed", failureCode: "wrong_region" });
  });

  it("key_unreadable (our master keys cannot open the key) degrades, never alerts, however long it lasts", () => {
    const d = run(snap("healthy"), cls("key_unreadable", { transient: true }));
    expect(d).toMatchObject({ nextState: "degraded", failureCode: "key_unreadable" });
    expect(d.alerts.open).toEqual([]);
    const later = run(
      snap("degraded", { failureCode: "key_unreadable", stateChangedAt: minutesAgo(600), firstFailureAt: minutesAgo(600) }),
      cls("key_unreadable", { transient: true }),
    );
    expect(later.nextState).toBe("degraded");
    expect(later.alerts.open).toEqual([]);
  });

  it("setup_pending + no key yet: waiting, not broken — no alert", () => {
    const d = run(snap("setup_pending"), cls("key_missing"));
    expect(d).toMatchObject({ nextState: "setup_pending", failureCode: "key_missing" });
    expect(d.alerts.open).toEqual([]);
    expect(d.timelineEvent?.kind).toBe("probe_failed");
  });

  it("setup_pending + a rejected first key → action_required", () => {
    const d = run(snap("setup_pending"), cls("auth_rejected"));
    expect(d.nextState).toBe("action_required");
    expect(d.timelineEvent?.kind).toBe("state_changed");
  });

  it("reconnect_pending while the old key is still stored: stays put", () => {
    const cur = snap("reconnect_pending", { failureCode: "auth_rejected", stateChangedAt: minutesAgo(20), keyUpdatedAt: minutesAgo(90 * 24 * 60) });
    const d = run(cur, cls("auth_rejected"));
    expect(d.nextState).toBe("reconnect_pending");
    expect(d.timelineEvent).toBeNull();
    expect(d.alerts.open).toEqual(["connection_needs_action"]);
  });

  it("reconnect_pending with an unknown key time: stays put", () => {
    expect(run(snap("reconnect_pending", { failureCode: "auth_rejected" }), cls("auth_rejected")).nextState).toBe("reconnect_pending");
  });

  it("reconnect_pending and the re-entered key fails too → action_required", () => {
    const cur = snap("reconnect_pending", { failureCode: "auth_rejected", stateChangedAt: minutesAgo(20), keyUpdatedAt: minutesAgo(1) });
    const d = run(cur, cls("no_patients_visible"));
    expect(d).toMatchObject({ nextState: "action_required", failureCode: "no_patients_visible" });
    expect(d.alerts.open).toEqual(["no_patients_visible"]);
    expect(d.timelineEvent?.kind).toBe("state_changed");
  });
});

describe("decide: invariants over every state × every outcome", () => {
  const outcomes: (FailureCode | null)[] = [null, ...FAILURE_CODES];
  const histories: [string, Partial<ConnectionSnapshot>][] = [
    ["clean", {}],
    ["after an unconfirmed rejection", { failureCode: "auth_rejected", consecutiveFailures: 1 }],
    ["during an outage", { failureCode: "vendor_unavailable", consecutiveFailures: 4, stateChangedAt: minutesAgo(40) }],
    ["never succeeded", { lastSuccessAt: null }],
  ];
  const cases = CONNECTION_STATES.flatMap((state) => histories.flatMap(([label, over]) => outcomes.map((code) => ({ state, label, over, code }))));

  it.each(cases)("$state ($label) + $code", ({ state, over, code }) => {
    const cur = snap(state, state === "paused" ? { failureCode: "integration_paused", ...over } : over);
    // why: a state that asks a human always has a real (non-transient) problem on record
    if ((state === "action_required" || state === "reconnect_pending") && (cur.failureCode === null || TAXONOMY[cur.failureCode].transient))
      cur.failureCode = "auth_rejected";
    let d: Decision | undefined;
    expect(() => (d = run(cur, cls(code)))).not.toThrow();
    d = d!;
    // only legal transitions
    expect(canTransition(state, d.nextState)).toBe(true);
    // an outage is never a reason to ask a human
    if (code !== null && TAXONOMY[code].transient) {
      if (state !== "action_required") expect(d.nextState).not.toBe("action_required");
      expect(d.alerts.open).not.toContain("connection_needs_action");
      expect(d.alerts.open).not.toContain("no_patients_visible");
    }
    // healthy means no failure on record
    if (d.nextState === "healthy") expect(d.failureCode).toBeNull();
    if (d.nextState === "action_required") expect(d.failureCode !== null && !TAXONOMY[d.failureCode].transient).toBe(true);
    // alerts are only resolved by a working key — a recovery, or (issue 11) "connected" after failures,
    // as a resumed connection is accepted from setup_pending — and then all of them
    const endsFailures = code === null && state === "setup_pending" && (cur.consecutiveFailures > 0 || cur.failureCode !== null);
    expect(d.alerts.resolve).toEqual(d.recovered || endsFailures ? ALL_ALERTS : []);
    // only confirmable codes ask for confirmation
    if (d.needsConfirmation) expect(code !== null && TAXONOMY[code].confirmBeforeAlarm).toBe(true);
    // a state change is always on the timeline
    if (d.nextState !== state) expect(d.timelineEvent).not.toBeNull();
    if (d.timelineEvent) {
      expect(d.timelineEvent.fromState).toBe(state);
      expect(d.timelineEvent.toState).toBe(d.nextState);
      expect(d.timelineEvent.message.length).toBeGreaterThan(5);
    }
  });
});
