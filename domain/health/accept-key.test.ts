import { describe, expect, it } from "vitest";
import { acceptWorkingKey, verifiedFacts, type AcceptWorkingKeyInput, type KeyAcceptedBy } from "./accept-key.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { type ConnectionState, type FailureCode, HEALTH_ALERT_KINDS } from "../vocabulary.ts";

const NOW = new Date("2025-03-10T09:00:00Z");
const ALL = [...HEALTH_ALERT_KINDS];
const PROBE: KeyAcceptedBy = { kind: "probe", reason: "the key works and sees patients" };
const LINK: KeyAcceptedBy = { kind: "link" };
const VERIFIED = { visiblePatients: 1234, user: { name: "Jess Walker", role: "administrator" } };

type Conn = NonNullable<AcceptWorkingKeyInput["connection"]>;
const conn = (state: ConnectionState, failureCode: FailureCode | null = null, consecutiveFailures = 0): Conn => ({ state, failureCode, consecutiveFailures });

describe("acceptWorkingKey: one transition for every accepted key", () => {
  // [case, connection, by, next state, recovered, resolves every alert, event kind (null = no row)]
  const table: [string, Conn, KeyAcceptedBy, ConnectionState, boolean, boolean, string | null][] = [
    ["probe: healthy, nothing to report", conn("healthy"), PROBE, "healthy", false, false, null],
    ["probe: degraded after an outage", conn("degraded", "vendor_unavailable", 2), PROBE, "healthy", true, true, "recovered"],
    ["probe: action_required fixed", conn("action_required", "permission_denied", 3), PROBE, "healthy", true, true, "recovered"],
    ["probe: reconnect_pending, new key works", conn("reconnect_pending", "auth_rejected", 4), PROBE, "healthy", true, true, "recovered"],
    ["probe: first key of a new connection", conn("setup_pending"), PROBE, "healthy", false, false, "state_changed"],
    // why (issue 11): still "connected", but the episode's alerts close (a resumed connection is setup_pending here)
    [
      "probe: setup_pending after failures is 'connected' and closes the alerts",
      conn("setup_pending", "network", 1),
      PROBE,
      "healthy",
      false,
      true,
      "state_changed",
    ],
    ["probe: resumed clean", conn("paused", "integration_paused"), PROBE, "healthy", false, false, "state_changed"],
    ["probe: resumed after failures", conn("paused", "integration_paused", 3), PROBE, "healthy", true, true, "recovered"],
    ["probe: pending_disconnect stays until its deadline", conn("pending_disconnect"), PROBE, "pending_disconnect", false, false, null],
    [
      "probe: pending_disconnect after an outage recovers in place",
      conn("pending_disconnect", "network", 1),
      PROBE,
      "pending_disconnect",
      true,
      true,
      "recovered",
    ],
    ["probe: healthy with a stale count closes the books", conn("healthy", null, 1), PROBE, "healthy", true, true, "recovered"],
    ["link: action_required → recovered", conn("action_required", "auth_rejected", 5), LINK, "healthy", true, true, "recovered"],
    ["link: reconnect_pending sent ahead of a problem is a recovery too", conn("reconnect_pending"), LINK, "healthy", true, true, "recovered"],
    ["link: first key of a new connection", conn("setup_pending", "key_missing"), LINK, "healthy", false, true, "state_changed"],
    ["link: healthy, key rotated", conn("healthy"), LINK, "healthy", false, true, null],
    ["link: paused stays paused, nobody told it recovered", conn("paused", "integration_paused", 3), LINK, "paused", false, true, null],
    ["link: pending_disconnect ends with the new key", conn("pending_disconnect"), LINK, "healthy", false, true, "state_changed"],
  ];

  it.each(table)("%s", (_name, c, by, next, recovered, resolvesAll, eventKind) => {
    const a = acceptWorkingKey({ connection: c, verified: VERIFIED, now: NOW, by });
    expect(a.nextState).toBe(next);
    expect(a.recovered).toBe(recovered);
    expect(a.stateChanged).toBe(next !== c.state);
    expect(a.heldByPause).toBe(next === "paused");
    expect(a.alerts).toEqual({ open: [], resolve: resolvesAll ? ALL : [] });
    expect(a.event?.kind ?? null).toBe(eventKind);
    if (a.event) expect(a.event).toMatchObject({ fromState: c.state, toState: next });
    // counters and failure fields are reset for every accepted key
    expect(a.patch).toMatchObject({
      state: next,
      failureCode: next === "paused" ? "integration_paused" : null,
      suggestedRegion: null,
      consecutiveFailures: 0,
      firstFailureAt: null,
      lastSuccessAt: NOW,
      lastProbeAt: NOW,
      visiblePatientCount: 1234,
      vendorUserName: "Jess Walker",
      vendorUserRole: "administrator",
      everHadPatients: true,
    });
    expect("stateChangedAt" in a.patch).toBe(next !== c.state);
  });

  it("a clean probe leaves the stored evidence alone (the one-statement fast path); a failure or a new key clears it", () => {
    expect("failureEvidence" in acceptWorkingKey({ connection: conn("healthy"), verified: null, now: NOW, by: PROBE }).patch).toBe(false);
    expect(acceptWorkingKey({ connection: conn("degraded", "network", 1), verified: null, now: NOW, by: PROBE }).patch.failureEvidence).toBeNull();
    expect(acceptWorkingKey({ connection: conn("healthy"), verified: VERIFIED, now: NOW, by: LINK }).patch.failureEvidence).toBeNull();
  });

  it("messages name what recovered and how", () => {
    const probe = acceptWorkingKey({ connection: conn("action_required", "auth_rejected", 2), verified: null, now: NOW, by: PROBE });
    expect(probe.event?.message).toBe(`Recovered from "${TAXONOMY.auth_rejected.title}" after 2 failed probes: the key works and sees patients.`);
    const link = acceptWorkingKey({ connection: conn("action_required", "auth_rejected", 2), verified: VERIFIED, now: NOW, by: LINK });
    expect(link.event?.message).toBe(`Recovered from "${TAXONOMY.auth_rejected.title}" through the reconnect link: 1,234 patients visible.`);
    const first = acceptWorkingKey({ connection: conn("setup_pending"), verified: VERIFIED, now: NOW, by: LINK });
    expect(first.event?.message).toBe("Connected through the reconnect link: 1,234 patients visible.");
    // why: the pause is not a failure worth naming
    const resumed = acceptWorkingKey({ connection: conn("paused", "integration_paused", 1), verified: null, now: NOW, by: PROBE });
    expect(resumed.event?.message).toBe("Recovered after 1 failed probe: the key works and sees patients.");
  });

  it("a connection created with a checked key starts healthy with its facts, no event and no alert work", () => {
    const a = acceptWorkingKey({ connection: null, verified: { visiblePatients: 0, user: { name: "Reception" } }, now: NOW, by: { kind: "console" } });
    expect(a).toMatchObject({ nextState: "healthy", recovered: false, stateChanged: true, event: null, alerts: { open: [], resolve: [] } });
    expect(a.patch).toEqual({
      state: "healthy",
      stateChangedAt: NOW,
      failureCode: null,
      failureEvidence: null,
      suggestedRegion: null,
      consecutiveFailures: 0,
      firstFailureAt: null,
      lastSuccessAt: NOW,
      lastProbeAt: NOW,
      visiblePatientCount: 0,
      visiblePatientsAtLeast: false,
      vendorUserName: "Reception",
      vendorUserRole: null,
    });
  });

  it("verifiedFacts only ever turns everHadPatients on", () => {
    expect(verifiedFacts({ visiblePatients: 0, user: { name: "A" } })).toEqual({
      visiblePatientCount: 0,
      visiblePatientsAtLeast: false,
      vendorUserName: "A",
      vendorUserRole: null,
    });
    // a capped count keeps its "at least" flag beside it
    expect(verifiedFacts({ visiblePatients: 2000, visiblePatientsAtLeast: true, user: { name: "A" } }).visiblePatientsAtLeast).toBe(true);
    expect(verifiedFacts({ visiblePatients: 3, user: { name: "A", role: "owner" } }).everHadPatients).toBe(true);
  });
});
