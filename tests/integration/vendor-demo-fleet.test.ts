import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyProbe, type ClassifyInput, type LocalKeyCheck, type ProbeOutcome } from "../../domain/health/classifier.ts";
import { parseClinikoKey } from "../../domain/vendors/cliniko-key.ts";
import { VendorError } from "../../domain/vendors/errors.ts";
import { createVendorClient, findWorkingRegion } from "../../domain/vendors/factory.ts";
import { FAILURE_CODES } from "../../domain/vocabulary.ts";
import { parseNookalKey } from "../../domain/vendors/nookal-key.ts";
import { createMemoryTokenStore } from "../../domain/vendors/nookal-token-store.ts";
import { createRateLimiter } from "../../domain/vendors/rate-limiter.ts";
import type { ConnectionTarget } from "../../domain/vendors/types.ts";
import { simulatorVendorSettings } from "../../simulator/control-client.ts";
import { DEMO_FLEET, type DemoClinic } from "../../simulator/demo-fleet.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";

/**
 * The demo fleet against a freshly started simulator: each clinic's probe, classified by the
 * health classifier, must land on the failure code DEMO_FLEET promises to Relink's seed.
 */
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({});
});
afterAll(async () => {
  await sim.close();
});

function keyCheck(c: DemoClinic): LocalKeyCheck {
  if (c.vendor === "cliniko") {
    const parsed = parseClinikoKey(c.key);
    if (parsed.ok) return { status: "ok", hasShardSuffix: parsed.hasSuffix };
    return parsed.reason === "empty" ? { status: "missing" } : { status: "malformed", message: parsed.message };
  }
  const parsed = parseNookalKey(c.key);
  if (parsed.ok) return { status: "ok" };
  return parsed.reason === "empty" ? { status: "missing" } : { status: "malformed", message: parsed.message };
}

describe("demo fleet", () => {
  it("covers every failure code a probe can find, and healthy clinics on every Cliniko shard and Nookal region asked for", () => {
    const codes = new Set(DEMO_FLEET.map((c) => c.expectedFailure));
    // why: key_unreadable (our master keys cannot open a stored key) cannot be a demo clinic: the
    // start-up keyring check refuses to start while any stored key is unreadable (docs/decisions/0023)
    const demoable = FAILURE_CODES.filter((code) => code !== "key_unreadable");
    expect(demoable.filter((code) => !codes.has(code))).toEqual([]);
    expect(codes).toContain(null);
    const healthy = DEMO_FLEET.filter((c) => c.expectedFailure === null).map((c) => `${c.vendor}:${c.region}:${c.apiVersion}`);
    expect(healthy).toEqual(
      expect.arrayContaining([
        "cliniko:au1:v1",
        "cliniko:au2:v1",
        "cliniko:uk1:v1",
        "cliniko:ca1:v1",
        "nookal:au:v3",
        "nookal:eu:v3",
        "nookal:us:v3",
        "nookal:au:v2",
      ]),
    );
    expect(new Set(DEMO_FLEET.map((c) => c.clinicName)).size).toBe(DEMO_FLEET.length);
  });

  for (const clinic of DEMO_FLEET) {
    it(`${clinic.scenario} → ${clinic.expectedFailure ?? "healthy"}`, async () => {
      const settings = simulatorVendorSettings(sim.url, { timeoutMs: 2000 });
      const deps = {
        rateLimiter: createRateLimiter({ limit: 1000, windowMs: 60_000 }),
        tokenStore: createMemoryTokenStore(),
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
      };
      const target: ConnectionTarget = { vendor: clinic.vendor, key: clinic.key, region: clinic.region, apiVersion: clinic.apiVersion };
      const check = keyCheck(clinic);
      let outcome: ProbeOutcome | null = null;
      // why: a paused connection is never probed at the vendor (domain/health/probe.ts)
      if (check.status === "ok" && !clinic.pausedReason) {
        try {
          outcome = { ok: true, visiblePatients: (await createVendorClient(target, settings, deps).verify()).visiblePatients };
        } catch (err) {
          if (!(err instanceof VendorError)) throw err;
          outcome = { ok: false, error: err };
        }
      }
      const input: ClassifyInput = {
        vendor: clinic.vendor,
        region: clinic.region,
        keyCheck: check,
        outcome,
        history: {
          state: "healthy",
          lastSuccessAt: null,
          everHadPatients: false,
          expectsPatients: true,
          consecutiveFailures: 0,
          firstFailureAt: null,
          paused: !!clinic.pausedReason,
        },
        now: new Date(),
      };
      let result = classifyProbe(input);
      if (result.regionProbeAdvised) result = classifyProbe({ ...input, regionProbe: await findWorkingRegion(target, settings, {}, deps) });
      expect(result.failureCode).toBe(clinic.expectedFailure);
      if (clinic.suggestedRegion) expect(result.suggestedRegion).toBe(clinic.suggestedRegion);
    });
  }
});
