import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleCliniko } from "./cliniko.ts";
import { handleControl } from "./control.ts";
import { sendJson, sendServerError } from "./http.ts";
import { handleNookalV2, handleNookalV3 } from "./nookal.ts";
import { createWorld, type World, type WorldOptions, type WorldSettings } from "./world.ts";

export interface SimulatorOptions {
  /** 0 (default) picks a free port: use it for in-process tests. */
  port?: number;
  host?: string;
  seed?: number;
  /** The data's "now" (epoch ms); default: start of the current UTC day. */
  anchor?: number;
  /** Start from this world instead of the default one (demo fleet included). */
  world?: World;
  /** Include the demo fleet's accounts in the default world (default true). */
  demo?: boolean;
  settings?: Partial<WorldSettings>;
  /** Where unexpected handler errors go (default console.error). */
  onError?: (err: unknown) => void;
}

export interface SimulatorHandle {
  /** e.g. http://127.0.0.1:4010 — Cliniko is at `${url}/cliniko/{shard}/v1`. */
  url: string;
  /** The live world; replaced on /_control/reset, so read it through this getter. */
  readonly world: World;
  close(): Promise<void>;
}

const SHARD_PATTERN = /^[a-z]{2}\d{1,2}$/;

export function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const worldOptions: WorldOptions = { seed: opts.seed, anchor: opts.anchor, demo: opts.demo, settings: opts.settings };
  let world = opts.world ?? createWorld(worldOptions);
  const reset = (seed?: number) => {
    world = createWorld({ ...worldOptions, anchor: world.anchor, seed: seed ?? world.seed });
  };
  const onError = opts.onError ?? ((err: unknown) => console.error("simulator error", err));

  const server: Server = createServer((req, res) => {
    const w = world;
    w.stats.requests++;
    const url = new URL(req.url ?? "/", "http://simulator");
    const parts = url.pathname.split("/");
    const done = (p: Promise<void>) =>
      p.catch((err: unknown) => {
        onError(err);
        if (!res.headersSent) sendServerError(w, res, 500);
        else res.destroy();
      });
    // /cliniko/{shard}/v1/...
    if (parts[1] === "cliniko" && parts[3] === "v1" && SHARD_PATTERN.test(parts[2] ?? "")) {
      done(handleCliniko(w, req, res, parts[2]!, `/${parts.slice(4).join("/")}`, url.searchParams));
      return;
    }
    // /nookal/{region}/oauth/token and /nookal/{region}/graphql
    if (parts[1] === "nookal" && /^(au|eu|us)$/.test(parts[2] ?? "")) {
      done(handleNookalV3(w, req, res, parts[2]!, `/${parts.slice(3).join("/")}`));
      return;
    }
    // /nookal-v2/production/v2/{function}
    if (parts[1] === "nookal-v2" && parts[2] === "production" && parts[3] === "v2") {
      done(handleNookalV2(w, req, res, parts.slice(4).join("/")));
      return;
    }
    if (parts[1] === "_control") {
      done(handleControl(w, req, res, `/${parts.slice(2).join("/")}`, reset));
      return;
    }
    if (url.pathname === "/") {
      sendJson(w, res, 200, {
        name: "Relink vendor simulator",
        cliniko: "/cliniko/{shard}/v1",
        nookalV3: "/nookal/{au|eu|us}",
        nookalV2: "/nookal-v2/production/v2/{function}",
        control: "/_control",
      });
      return;
    }
    sendJson(w, res, 404, { error: "not found" });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`,
        get world() {
          return world;
        },
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // why: hung (fault-injected) and idle keep-alive sockets would hold close() open
            server.closeAllConnections();
          }),
      });
    });
  });
}
