import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { verifyCandidateKey } from "../../domain/health/verify-key.ts";
import type { VendorAccess } from "../../domain/health/probe.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";

let sim: SimulatorHandle;
let vendors: VendorAccess;
const demo = (scenario: string) => DEMO_FLEET.find((d) => d.scenario === scenario)!;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const u = simulatorVendorEnv(sim.url);
  vendors = createVendorAccess({
    clinikoBaseUrlTemplate: u.CLINIKO_API_URL!,
    nookalV3BaseUrls: { au: u.NOOKAL_API_URL_AU!, eu: u.NOOKAL_API_URL_EU!, us: u.NOOKAL_API_URL_US! },
    nookalV2BaseUrl: u.NOOKAL_V2_API_URL!,
    appName: "Relink tests",
    contactEmail: "tests@relink.example",
    timeoutMs: 5000,
  });
});
afterAll(async () => {
  await sim?.close();
});

describe("verifying a key someone just pasted", () => {
  it("accepts a working Cliniko key pasted with quotes and whitespace, and says what it cleaned", async () => {
    const d = demo("healthy_cliniko_au2");
    const verdict = await verifyCandidateKey({ vendor: "cliniko", rawKey: `  "${d.key}"\n` }, vendors);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.region).toBe("au2");
    expect(verdict.verified.visiblePatients).toBeGreaterThan(0);
    expect(verdict.notes.length).toBe(2);
  });

  it("rejects a bad shard suffix locally with a specific message", async () => {
    const verdict = await verifyCandidateKey({ vendor: "cliniko", rawKey: demo("cliniko_key_bad_suffix").key }, vendors);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.failureCode).toBe("key_malformed");
    expect(verdict.detail).toMatch(/not a Cliniko region/);
  });

  it("names the Nookal region where a key entered with the wrong region works", async () => {
    const d = demo("nookal_wrong_region");
    const verdict = await verifyCandidateKey({ vendor: "nookal", rawKey: d.key, region: "us" }, vendors);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.failureCode).toBe("wrong_region");
    expect(verdict.suggestedRegion).toBe(d.suggestedRegion);
    const retry = await verifyCandidateKey({ vendor: "nookal", rawKey: d.key, region: verdict.suggestedRegion! }, vendors);
    expect(retry.ok).toBe(true);
  });

  it("does not call a key that sees zero patients a success", async () => {
    const verdict = await verifyCandidateKey({ vendor: "nookal", rawKey: demo("nookal_key_scoped_to_empty_location").key, region: "au" }, vendors);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.failureCode).toBe("no_patients_visible");
    expect(verdict.verified?.visiblePatients).toBe(0);
  });

  it("calls an archived Cliniko key rejected", async () => {
    const d = DEMO_FLEET.find((x) => x.vendor === "cliniko" && x.expectedFailure === "auth_rejected")!;
    const verdict = await verifyCandidateKey({ vendor: "cliniko", rawKey: d.key }, vendors);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.failureCode).toBe("auth_rejected");
  });
});
