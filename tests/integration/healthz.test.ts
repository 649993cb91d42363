import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/healthz.ts";
import { openDb, type DbHandle } from "../../db/client.ts";
import { freePort } from "../../db/embedded.ts";
import { createLogger } from "../../lib/logger.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createTestServices, type TestServices } from "../support/services.ts";

// Security item 10: the unauthenticated /healthz says ok / not ok, never why (that goes to the log).

let t: TestDatabase;
let services: TestServices;
let unreachable: DbHandle;
let port: number;
const logged: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  services = await createTestServices(t);
  port = await freePort();
  // why: a database that is down, as a real outage looks to the driver (ECONNREFUSED host:port)
  unreachable = openDb(`postgres://relink_internal:pw@127.0.0.1:${port}/relink_prod`, { max: 1, applicationName: "relink-healthz-test" });
});
afterAll(async () => {
  await unreachable?.close();
  await services?.stop();
  await t?.drop();
});

describe("/healthz", () => {
  it("answers 503 not ok without the driver's error text, which goes to the log instead", async () => {
    const logger = createLogger({ name: "test", level: "info", pretty: false }, new Writable({ write: (c, _e, cb) => (logged.push(String(c)), cb()) }));
    const context = {
      services: {
        ...services,
        logger,
        async checkDatabase() {
          await unreachable.sql`select 1`;
        },
      },
    };
    const res = await loader({ request: new Request("http://localhost/healthz"), params: {}, context });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: "degraded", checks: { database: { ok: false }, queue: { ok: true } } });
    for (const leak of ["ECONNREFUSED", String(port), "relink_internal", "relink_prod", "error"]) expect(text).not.toContain(leak);
    expect(logged.join("")).toContain("ECONNREFUSED");
  });

  it("answers 200 ok when both checks pass", async () => {
    const res = await loader({ request: new Request("http://localhost/healthz"), params: {}, context: { services } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", checks: { database: { ok: true }, queue: { ok: true } } });
  });
});
