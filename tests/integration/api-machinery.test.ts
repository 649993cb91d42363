import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineEndpoint } from "../../app/api/endpoint.server.ts";
import { apiRouter } from "../../app/api/registry.server.ts";
import { createApiRouter } from "../../app/api/router.server.ts";
import { apiIdempotencyKeys, clinics, reconnectLinks } from "../../db/schema/index.ts";
import { createLogger } from "../../lib/logger.ts";
import { handleMaintenanceSweep } from "../../workers/handlers/maintenance.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { insertClinic } from "../support/fleet.ts";
import { startRoleConsole } from "../support/services.ts";
import { waitFor } from "./alerts-fixtures.ts";
import { expectProblem } from "./api-fixtures.ts";

/**
 * The JSON API's machinery around every endpoint (docs/decisions/0047): the per-token rate limit,
 * the 64 KB body bound, and Idempotency-Key on POSTs, through the real router with real Requests
 * against Postgres.
 */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let write: string;
let writeId: string;
let read: string;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ token: write, id: writeId } = await createTestApiToken(fixture.services, { scope: "write", createdBy: fixture.who.admin.id, name: "machinery" }));
  ({ token: read } = await createTestApiToken(fixture.services, { scope: "read", createdBy: fixture.who.admin.id, name: "reader" }));
});
afterAll(async () => {
  await fixture?.stop();
});

const services = () => fixture.services;
let seq = 0;
const newClinic = (over: Record<string, unknown> = {}) => ({ name: `Idem Physio ${++seq}`, timeZone: "Australia/Sydney", country: "au", ...over });
const clinicsNamed = (name: string) => services().db.select({ id: clinics.id }).from(clinics).where(eq(clinics.name, name));
const keyRows = (tokenId: string, key: string) =>
  services()
    .db.select()
    .from(apiIdempotencyKeys)
    .where(and(eq(apiIdempotencyKeys.tokenId, tokenId), eq(apiIdempotencyKeys.key, key)));

describe("the per-token rate limit", () => {
  it("answers a token limited to 3 a minute three times, then 429 with Retry-After; another token is unaffected", async () => {
    const { token } = await createTestApiToken(services(), { scope: "read", createdBy: fixture.who.admin.id, name: "three a minute", rateLimitPerMinute: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await callApi(services(), "GET", "/failure-codes", { token });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("RateLimit-Limit")).toBe("3");
      remaining.push(ok.headers.get("RateLimit-Remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const over = await callApi(services(), "GET", "/failure-codes", { token });
    expectProblem(over, 429, "rate_limited");
    const retryAfter = Number(over.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(over.headers.get("RateLimit-Remaining")).toBe("0");
    // why: a write is refused too, before anything runs
    expectProblem(await callApi(services(), "GET", "/clinics", { token }), 429, "rate_limited");

    const other = await callApi(services(), "GET", "/failure-codes", { token: read });
    expect(other.status).toBe(200);
    expect(Number(other.headers.get("RateLimit-Limit"))).toBe(600);
  });

  it("does not count calls without a valid token against anyone", async () => {
    const { token } = await createTestApiToken(services(), { scope: "read", createdBy: fixture.who.admin.id, name: "one a minute", rateLimitPerMinute: 1 });
    for (let i = 0; i < 3; i++) expect((await callApi(services(), "GET", "/failure-codes", { token: `rlk_${"B".repeat(43)}` })).status).toBe(401);
    expect((await callApi(services(), "GET", "/failure-codes", { token })).status).toBe(200);
  });
});

describe("the body bound (64 KB)", () => {
  const LIMIT = 65_536;
  /** A JSON body of exactly `bytes` bytes: a clinic whose name pads it out. */
  const jsonOf = (bytes: number) => {
    const shell = JSON.stringify(newClinic({ name: "" }));
    return shell.replace('"name":""', `"name":"${"n".repeat(bytes - shell.length)}"`);
  };

  it("reads a body of exactly 65,536 bytes (and judges it: the name is too long)", async () => {
    const body = jsonOf(LIMIT);
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    const r = await callApi(services(), "POST", "/clinics", { token: write, rawBody: body, headers: { "Content-Type": "application/json" } });
    expectProblem(r, 422, "invalid_body");
  });

  it("refuses 65,537 bytes with 413 problem details", async () => {
    const r = await callApi(services(), "POST", "/clinics", { token: write, rawBody: jsonOf(LIMIT + 1), headers: { "Content-Type": "application/json" } });
    expectProblem(r, 413, "payload_too_large");
    expect(r.json).toMatchObject({ title: "Content too large" });
  });

  it("refuses a declared Content-Length over the bound, and an endless body, without reading it all", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
      },
    });
    const request = (body: ReadableStream<Uint8Array>, headers: Record<string, string>) =>
      new Request("http://localhost/api/v1/clinics", {
        method: "POST",
        body,
        headers: { Authorization: `Bearer ${write}`, "Content-Type": "application/json", ...headers },
        duplex: "half",
      } as RequestInit);
    const declared = await apiRouter.handle(request(endless, { "Content-Length": String(10 * 1024 * 1024) }), services());
    expect(declared.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(1);

    let streamed = 0;
    const endless2 = new ReadableStream<Uint8Array>({
      pull(controller) {
        streamed++;
        controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
      },
    });
    const chunked = await apiRouter.handle(request(endless2, {}), services());
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ code: "payload_too_large" });
    expect(streamed * 1024).toBeLessThan(LIMIT + 64 * 1024);
  });
});

describe("Idempotency-Key on POST", () => {
  it("replays a retried POST /clinics: one clinic, the same 201, Idempotent-Replayed: true", async () => {
    const body = newClinic();
    const key = "create-clinic-0001";
    const first = await callApi(services(), "POST", "/clinics", { token: write, body, headers: { "Idempotency-Key": key } });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    // why: the same members in another order are the same request
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const retry = await callApi(services(), "POST", "/clinics", { token: write, body: reordered, headers: { "Idempotency-Key": key } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(retry.headers.get("Content-Type")).toBe("application/json");
    expect(await clinicsNamed(body.name)).toHaveLength(1);
  });

  it("replays a retried reconnect link: the same URL, one link, and the stored answer is sealed", async () => {
    const ids = await insertClinic(services().db, { name: "Idem Link Physio", state: "action_required", failureCode: "auth_rejected" });
    const path = `/clinics/${ids.clinicId}/reconnect-links`;
    const key = "link-7f3a";
    const first = await callApi(services(), "POST", path, { token: write, body: { purpose: "Your key stopped working" }, headers: { "Idempotency-Key": key } });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    const retry = await callApi(services(), "POST", path, { token: write, body: { purpose: "Your key stopped working" }, headers: { "Idempotency-Key": key } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("Cache-Control")).toBe("no-store");
    expect(retry.json).toEqual(first.json);
    expect(await services().db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, ids.clinicId))).toHaveLength(1);
    const linkToken = (first.json as { url: string }).url.split("/").at(-1)!;
    const [row] = await keyRows(writeId, key);
    expect(row).toMatchObject({ status: 201 });
    expect(row!.answerCiphertext!.toString("latin1")).not.toContain(linkToken);
    expect(JSON.stringify(row)).not.toContain(linkToken);
  });

  it("keeps a handler's 4xx too: a retry of a refused create is the same 409, replayed", async () => {
    const body = newClinic();
    expect((await callApi(services(), "POST", "/clinics", { token: write, body })).status).toBe(201);
    const first = await callApi(services(), "POST", "/clinics", { token: write, body, headers: { "Idempotency-Key": "taken-1" } });
    expectProblem(first, 409, "clinic_name_taken");
    const retry = await callApi(services(), "POST", "/clinics", { token: write, body, headers: { "Idempotency-Key": "taken-1" } });
    expectProblem(retry, 409, "clinic_name_taken");
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("refuses the same key with another body or another path (422 idempotency_key_reused)", async () => {
    const key = "reused-key";
    const body = newClinic();
    expect((await callApi(services(), "POST", "/clinics", { token: write, body, headers: { "Idempotency-Key": key } })).status).toBe(201);
    const otherBody = await callApi(services(), "POST", "/clinics", { token: write, body: { ...body, country: "nz" }, headers: { "Idempotency-Key": key } });
    expectProblem(otherBody, 422, "idempotency_key_reused");
    const ids = await insertClinic(services().db, { name: "Idem Other Path", state: "action_required", failureCode: "auth_rejected" });
    const otherPath = await callApi(services(), "POST", `/clinics/${ids.clinicId}/syncs`, { token: write, headers: { "Idempotency-Key": key } });
    expectProblem(otherPath, 422, "idempotency_key_reused");
    expect(await clinicsNamed(body.name)).toHaveLength(1);
  });

  it("keeps keys per token: another token's same key is its own request", async () => {
    const { token: other } = await createTestApiToken(services(), { scope: "write", createdBy: fixture.who.admin.id, name: "other writer" });
    const key = "shared-key-name";
    expect((await callApi(services(), "POST", "/clinics", { token: write, body: newClinic(), headers: { "Idempotency-Key": key } })).status).toBe(201);
    const mine = await callApi(services(), "POST", "/clinics", { token: other, body: newClinic(), headers: { "Idempotency-Key": key } });
    expect(mine.status).toBe(201);
    expect(mine.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("does not keep requests refused before the handler: the key stays free", async () => {
    const key = "after-a-typo";
    expectProblem(
      await callApi(services(), "POST", "/clinics", { token: write, body: newClinic({ colour: "blue" }), headers: { "Idempotency-Key": key } }),
      422,
      "invalid_body",
    );
    expect(await keyRows(writeId, key)).toHaveLength(0);
    const fixed = await callApi(services(), "POST", "/clinics", { token: write, body: newClinic(), headers: { "Idempotency-Key": key } });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("refuses a malformed key with 400 on the header", async () => {
    for (const bad of ["", "x".repeat(256), "clé"]) {
      const r = await callApi(services(), "POST", "/clinics", { token: write, body: newClinic(), headers: { "Idempotency-Key": bad } });
      expectProblem(r, 400, "invalid_idempotency_key");
      expect(r.json).toMatchObject({ errors: [{ field: "header.Idempotency-Key" }] });
    }
    expect((await callApi(services(), "POST", "/clinics", { token: write, body: newClinic(), headers: { "Idempotency-Key": "k".repeat(255) } })).status).toBe(
      201,
    );
  });

  it("answers a read token's POST 403 before looking at the key", async () => {
    const { token, id } = await createTestApiToken(services(), { scope: "read", createdBy: fixture.who.admin.id, name: "reader 2" });
    expectProblem(await callApi(services(), "POST", "/clinics", { token, body: newClinic(), headers: { "Idempotency-Key": "scope-1" } }), 403, "token_scope");
    expect(await keyRows(id, "scope-1")).toHaveLength(0);
  });

  it("forgets keys after 24 hours: the maintenance sweep drops them, and an unswept old key runs again", async () => {
    const ids = await insertClinic(services().db, { name: "Idem Expiry Physio", state: "action_required", failureCode: "auth_rejected" });
    const path = `/clinics/${ids.clinicId}/reconnect-links`;
    const send = () => callApi(services(), "POST", path, { token: write, body: { purpose: "New key please" }, headers: { "Idempotency-Key": "day-old" } });
    const first = await send();
    expect(first.status).toBe(201);
    await services()
      .db.update(apiIdempotencyKeys)
      .set({ createdAt: new Date(Date.now() - 25 * 3600_000) })
      .where(and(eq(apiIdempotencyKeys.tokenId, writeId), eq(apiIdempotencyKeys.key, "day-old")));
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBeNull();
    expect((again.json as { url: string }).url).not.toBe((first.json as { url: string }).url);

    const logger = createLogger({ name: "test", level: "silent", pretty: false });
    expect((await handleMaintenanceSweep({ db: services().db, logger })).idempotencyKeys).toBe(0);
    const swept = await handleMaintenanceSweep({ db: services().db, logger }, new Date(Date.now() + 25 * 3600_000));
    expect(swept.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(await keyRows(writeId, "day-old")).toHaveLength(0);
  });
});

describe("Idempotency-Key while the first request runs, and after it fails", () => {
  let release!: () => void;
  let runs = 0;
  let failNext = false;
  const router = createApiRouter([
    defineEndpoint({
      operationId: "testSlow",
      method: "post",
      path: "/test/slow",
      summary: "Waits until the test releases it",
      tags: ["test"],
      scope: "write",
      responses: { 201: { description: "Done" } },
      async handle() {
        runs++;
        if (failNext) {
          failNext = false;
          throw new Error("boom on our side");
        }
        await new Promise<void>((r) => (release = r));
        return { status: 201, body: { run: runs } };
      },
    }),
  ]);
  const send = (key: string) =>
    router.handle(
      new Request("http://localhost/api/v1/test/slow", { method: "POST", headers: { Authorization: `Bearer ${write}`, "Idempotency-Key": key } }),
      services(),
    );

  it("answers 409 idempotency_key_in_flight to a retry while the first is running, then replays the first", async () => {
    runs = 0;
    const first = send("slow-1");
    await waitFor("the first request to claim its key", async () => runs === 1);
    const during = await send("slow-1");
    expect(during.status).toBe(409);
    expect(await during.json()).toMatchObject({ code: "idempotency_key_in_flight" });
    release();
    expect((await first).status).toBe(201);
    const after = await send("slow-1");
    expect(after.status).toBe(201);
    expect(after.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await after.json()).toEqual({ run: 1 });
    expect(runs).toBe(1);
  });

  it("gives the key back after a 500, so the retry runs the handler", async () => {
    runs = 0;
    failNext = true;
    const failed = await send("fails-once");
    expect(failed.status).toBe(500);
    expect(await keyRows(writeId, "fails-once")).toHaveLength(0);
    const retry = send("fails-once");
    await waitFor("the retry to run", async () => runs === 2);
    release();
    const ok = await retry;
    expect(ok.status).toBe(201);
    expect(ok.headers.get("Idempotent-Replayed")).toBeNull();
  });
});
