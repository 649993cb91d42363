import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { simulatorVendorEnv } from "../config/runtime.ts";
import { ROOT } from "./build.ts";

// Security item 10: docker-compose.yml's demo profile really points the product at the simulator
// and seeds the demo fleet, and the production services never get demo settings. No Docker engine
// here, so this reads the file as Compose does (YAML merge keys, anchors) and checks what each
// service would run with.

interface Service {
  profiles?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const demo = (name: string) => services[name]?.profiles?.includes("demo") ?? false;

describe("docker-compose.yml", () => {
  it("runs only commands that exist", () => {
    for (const [name, s] of Object.entries(services)) {
      if (!s.command) continue;
      expect(s.command[0], name).toBe("node");
      // the script is the first argument that is not a node flag
      const script = s.command.slice(1).find((a) => !a.startsWith("--"));
      expect(fs.existsSync(path.join(ROOT, script!)), `${name}: ${script}`).toBe(true);
    }
  });

  it("the demo profile's web and worker talk to the simulator service, after the demo fleet is seeded", () => {
    const expected = simulatorVendorEnv("http://simulator:4010");
    for (const name of ["demo-web", "demo-worker"]) {
      const s = services[name];
      expect(s, name).toBeDefined();
      expect(demo(name), name).toBe(true);
      expect(s!.environment, name).toMatchObject(expected);
      expect(s!.environment!.NODE_ENV, name).not.toBe("production");
      expect(s!.depends_on, name).toMatchObject({ "demo-seed": { condition: "service_completed_successfully" }, simulator: { condition: "service_healthy" } });
    }
    expect(services["demo-web"]!.command).toEqual(["node", "scripts/web.ts"]);
    // why: the worker runs with the same flags everywhere (npm run start:worker; the 8 MB semi-space, docs/decisions/0033-sync.md)
    expect(services["demo-worker"]!.command).toEqual(["node", "--max-semi-space-size=8", "workers/main.ts"]);
    expect(services.worker!.command).toEqual(services["demo-worker"]!.command);
  });

  it("the demo seed runs the seed script on the demo database, outside production", () => {
    const seed = services["demo-seed"]!;
    expect(demo("demo-seed")).toBe(true);
    expect(seed.command).toEqual(["node", "scripts/seed.ts"]);
    expect(seed.environment!.NODE_ENV).not.toBe("production");
    expect(seed.environment!.DATABASE_URL).toBe(services["demo-web"]!.environment!.DATABASE_URL);
    expect(services.simulator!.environment).toMatchObject({ HOST: "0.0.0.0", SIMULATOR_PORT: "4010" });
  });

  it("the production services never carry the demo profile, simulator URLs or private webhook targets", () => {
    for (const name of ["postgres", "migrate", "web", "worker"]) {
      const s = services[name]!;
      expect(demo(name), name).toBe(false);
      if (name === "postgres") continue;
      expect(s.environment!.NODE_ENV, name).toBe("production");
      expect(JSON.stringify(s.environment!), name).not.toContain("simulator");
      expect(s.environment!.WEBHOOK_ALLOW_PRIVATE_TARGETS, name).toBeUndefined();
    }
  });
});
