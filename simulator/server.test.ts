import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlClient } from "./control-client.ts";
import { DEMO_FLEET } from "./demo-fleet.ts";
import { startSimulator, type SimulatorHandle } from "./server.ts";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7, anchor: Date.UTC(2025, 5, 2) });
});
afterAll(async () => {
  await sim.close();
});

const HEADERS = { Accept: "application/json", "User-Agent": "Relink tests (tests@relink.example)" };
function cliniko(key: string, shard: string, path: string, headers: Record<string, string> = HEADERS) {
  return fetch(`${sim.url}/cliniko/${shard}/v1${path}`, {
    headers: { ...headers, Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}` },
  });
}
const demo = (scenario: string) => {
  const clinic = DEMO_FLEET.find((c) => c.scenario === scenario);
  if (!clinic) throw new Error(`no demo clinic ${scenario}`);
  return clinic;
};

describe("simulator: Cliniko basics", () => {
  it("serves /user and /patients for seeded accounts on several shards", async () => {
    for (const scenario of ["healthy_cliniko_au1_no_suffix", "healthy_cliniko_au2", "healthy_cliniko_uk1", "healthy_cliniko_ca1"]) {
      const c = demo(scenario);
      const user = await cliniko(c.key, c.region, "/user");
      expect(user.status, scenario).toBe(200);
      expect(((await user.json()) as { email: string }).email).toBe(c.adminEmail);
      const patients = await cliniko(c.key, c.region, "/patients?per_page=5");
      const body = (await patients.json()) as { patients: { id: string }[]; total_entries: number; links: { next?: string } };
      expect(body.patients).toHaveLength(5);
      expect(body.total_entries).toBeGreaterThan(500);
      expect(BigInt(body.patients[0]!.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect(body.links.next).toContain("page=2");
    }
  });

  it("answers archived keys and keys on the wrong shard with the same plain-text 401", async () => {
    const archived = demo("cliniko_key_archived");
    const wrongShard = demo("cliniko_wrong_shard_no_suffix");
    for (const res of [await cliniko(archived.key, archived.region, "/user"), await cliniko(wrongShard.key, "au1", "/user")]) {
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("HTTP Basic: Access denied.");
    }
    expect((await cliniko(wrongShard.key, wrongShard.suggestedRegion!, "/user")).status).toBe(200);
  });

  it("answers 403 on /patients for a role without access but 200 on /user", async () => {
    const c = demo("cliniko_role_lacks_patient_access");
    expect((await cliniko(c.key, c.region, "/user")).status).toBe(200);
    expect((await cliniko(c.key, c.region, "/patients")).status).toBe(403);
  });

  it("blocks requests without a User-Agent naming an app and an email", async () => {
    const c = demo("healthy_cliniko_au2");
    const res = await cliniko(c.key, c.region, "/user", { Accept: "application/json", "User-Agent": "curl/8" });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("Requires a user agent");
    const noAccept = await cliniko(c.key, c.region, "/user", { "User-Agent": HEADERS["User-Agent"] });
    expect(noAccept.status).toBe(406);
  });

  it("answers a bad filter with 422 Validation Failed and honours q[] and sort", async () => {
    const c = demo("healthy_cliniko_uk1");
    const bad = await cliniko(c.key, c.region, `/patients?q[]=${encodeURIComponent("updated_at:>yesterday")}`);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ message: "Validation Failed", errors: { updated_at: "is not a valid date time" } });
    const since = "2025-05-01T00:00:00Z";
    const res = await cliniko(c.key, c.region, `/patients?per_page=100&sort=updated_at:desc&q[]=${encodeURIComponent(`updated_at:>${since}`)}`);
    const body = (await res.json()) as { patients: { updated_at: string }[] };
    expect(body.patients.length).toBeGreaterThan(0);
    expect(body.patients.every((p) => p.updated_at > since)).toBe(true);
    const times = body.patients.map((p) => p.updated_at);
    expect(times).toEqual([...times].sort().reverse());
  });
});

describe("simulator: Nookal basics", () => {
  async function token(key: string, region: string) {
    const res = await fetch(`${sim.url}/nookal/${region}/oauth/token`, {
      method: "POST",
      headers: { Authorization: `Basic ${key}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("issues v3 tokens for enabled keys in their own region and reports failures with HTTP 200", async () => {
    const ok = await token(demo("healthy_nookal_v3_eu").key, "eu");
    expect(ok.status).toBe(200);
    expect(typeof ok.body.accessToken).toBe("string");
    const disabled = await token(demo("nookal_key_disabled").key, "au");
    // why: failures use the alerts shape captured live for a missing v2 key (the wording is not public)
    expect(disabled).toEqual({ status: 200, body: { status: "failure", details: { errorCode: "1002", alerts: ["This API key has been disabled"] } } });
    const wrongRegion = demo("nookal_wrong_region");
    expect((await token(wrongRegion.key, wrongRegion.region)).body.status).toBe("failure");
    expect((await token(wrongRegion.key, wrongRegion.suggestedRegion!)).body.accessToken).toBeTruthy();
  });

  it("answers a v2 call without api_key exactly as captured live, by POST form and by GET", async () => {
    const post = await fetch(`${sim.url}/nookal-v2/production/v2/verify`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(await post.json()).toEqual({ status: "failure", details: { errorCode: "L000_1", alerts: ["Missing variable: api_key"] } });
    const key = demo("healthy_nookal_v2").key;
    const get = await fetch(`${sim.url}/nookal-v2/production/v2/getPatients?api_key=${encodeURIComponent(key)}&page_length=500`);
    const body = (await get.json()) as {
      status: string;
      settings: { currentPage: unknown; pageLength: unknown; nextPage: unknown };
      data: { results: { patients: { ID: unknown; active: unknown }[] } };
    };
    expect(body.status).toBe("success");
    // why: page_length is capped at 200; numbers, ids and flags come as strings
    expect(body.settings).toMatchObject({ currentPage: "1", pageLength: "200", nextPage: "2" });
    expect(typeof body.data.results.patients[0]!.ID).toBe("string");
    expect(["0", "1"]).toContain(body.data.results.patients[0]!.active);
  });

  it("answers an unknown v2 function with an HTML 404 page", async () => {
    const res = await fetch(`${sim.url}/nookal-v2/production/v2/getEverything`, { method: "POST", body: "api_key=x" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
  });
});

describe("simulator: faults per vendor shard or region", () => {
  const control = () => controlClient(sim.url);
  async function nookalToken(key: string, region: string) {
    return fetch(`${sim.url}/nookal/${region}/oauth/token`, {
      method: "POST",
      headers: { Authorization: `Basic ${key}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
  }
  function nookalV2(key: string) {
    return fetch(`${sim.url}/nookal-v2/production/v2/verify?api_key=${encodeURIComponent(key)}`);
  }

  it("takes Cliniko au1 down for every request sent there while au2 answers, until cleared", async () => {
    const au1 = demo("healthy_cliniko_au1_no_suffix");
    const au2 = demo("healthy_cliniko_au2");
    const wrongShard = demo("cliniko_wrong_shard_no_suffix");
    await control().setRegionFaults("cliniko", "au1", { outage: {} });
    try {
      const down = await cliniko(au1.key, "au1", "/user");
      expect(down.status).toBe(503);
      expect(await down.text()).toContain("Down for maintenance");
      // why: the shard the request went to is what is down, whoever the key belongs to
      expect((await cliniko(wrongShard.key, "au1", "/user")).status).toBe(503);
      expect((await cliniko(au2.key, "au2", "/user")).status).toBe(200);
      const world = (await (await fetch(`${sim.url}/_control/world`)).json()) as { regionFaults: unknown };
      expect(world.regionFaults).toEqual([{ vendor: "cliniko", region: "au1", faults: { outage: {} } }]);
    } finally {
      await control().clearRegionFaults("cliniko", "au1");
    }
    expect((await cliniko(au1.key, "au1", "/user")).status).toBe(200);
    expect(((await (await fetch(`${sim.url}/_control/world`)).json()) as { regionFaults: unknown }).regionFaults).toEqual([]);
  });

  it("takes a shard's rate limit over the global one, and an account's over the shard's", async () => {
    const a = await control().createClinikoAccount({ shard: "nz1", patients: 10 });
    const b = await control().createClinikoAccount({ shard: "nz1", patients: 10 });
    await control().setRegionFaults("cliniko", "nz1", { rateLimit: 0, rateWindowMs: 60_000 });
    await control().setAccountFaults(b.id, { rateLimit: 5 });
    try {
      expect((await cliniko(a.keys[0]!.key, "nz1", "/user")).status).toBe(429);
      expect((await cliniko(b.keys[0]!.key, "nz1", "/user")).status).toBe(200);
    } finally {
      await control().clearRegionFaults("cliniko", "nz1");
      await control().resetRateLimits();
    }
    expect((await cliniko(a.keys[0]!.key, "nz1", "/user")).status).toBe(200);
  });

  it("takes Nookal region au down for v3 and for v2 keys of au practices, while eu answers", async () => {
    const v2au = await control().createNookalAccount({ region: "au", apiVersion: "v2" });
    const v2eu = await control().createNookalAccount({ region: "eu", apiVersion: "v2" });
    await control().setRegionFaults("nookal", "au", { outage: {} });
    try {
      const down = await nookalToken(demo("healthy_nookal_v3_au").key, "au");
      expect(down.status).toBe(503);
      expect(await down.text()).toContain("Down for maintenance");
      expect((await nookalToken(demo("healthy_nookal_v3_eu").key, "eu")).status).toBe(200);
      // why: v2's URL names no region; the practice's own region decides
      expect((await nookalV2(v2au.keys[0]!.key)).status).toBe(503);
      expect(((await (await nookalV2(v2eu.keys[0]!.key)).json()) as { status: string }).status).toBe("success");
    } finally {
      await control().clearRegionFaults("nookal", "au");
    }
    expect((await nookalToken(demo("healthy_nookal_v3_au").key, "au")).status).toBe(200);
    expect(((await (await nookalV2(v2au.keys[0]!.key)).json()) as { status: string }).status).toBe("success");
  });

  it("refuses an unknown vendor, a region that is not the vendor's, or a bad body with 400", async () => {
    const post = async (path: string, body: unknown = { outage: {} }) => {
      const res = await fetch(`${sim.url}/_control${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { error: string } };
    };
    expect(await post("/regions/athena/au/faults")).toEqual({ status: 400, body: { error: 'unknown vendor "athena": use cliniko or nookal' } });
    expect(await post("/regions/cliniko/au/faults")).toEqual({
      status: 400,
      body: { error: '"au" is not a Cliniko shard (two letters and a number, like au1)' },
    });
    expect(await post("/regions/nookal/au1/faults")).toEqual({ status: 400, body: { error: '"au1" is not a Nookal region (au, eu or us)' } });
    const badBody = await post("/regions/cliniko/au1/faults", { outage: {}, meltdown: true });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error).toBe("invalid body");
    const del = await fetch(`${sim.url}/_control/regions/nookal/mars/faults`, { method: "DELETE" });
    expect(del.status).toBe(400);
    expect(sim.world.regionFaults.size).toBe(0);
  });
});
