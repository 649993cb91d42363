import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { runAction } from "../../app/actions.server.ts";
import { notFound, paramsOr404 } from "../../app/http.server.ts";
import { MAX_UPLOAD_BYTES } from "../../app/upload.server.ts";
import { DomainError } from "../../domain/errors.ts";
import { requestAs, settle, startRoleConsole, type createRoleUsers, type TestServices } from "../support/services.ts";

let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
beforeAll(async () => {
  fixture = await startRoleConsole();
  ({ services, who } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

const Params = z.object({ thingId: z.uuid() });
const Schema = z.object({ name: z.string().trim().min(1, "Enter a name") });
const THING = "00000000-0000-4000-8000-000000000001";

/** A console action as every route writes it, whose work is `work`. */
function actionDoing(work: (input: z.output<typeof Schema>, actor: { userId: string; label: string }) => Promise<unknown>, extra: { upload?: string } = {}) {
  return async (
    role: "viewer" | "agent",
    form: Record<string, string>,
    { thingId = THING, headers }: { thingId?: string; headers?: Record<string, string> } = {},
  ) => {
    const request = await requestAs(services, who[role].id, `/things/${thingId}`, { form, headers });
    const result = await settle(() =>
      runAction(
        { request, params: { thingId }, context: { services } },
        {
          role: "agent",
          params: Params,
          notFoundMessage: "No thing has that address.",
          schema: Schema,
          echo: (f) => ({ values: { name: f.name ?? null } }),
          ...extra,
        },
        ({ input, actor }) => work(input, actor),
      ),
    );
    return { ...result, request };
  };
}

describe("runAction: the one way a console action runs", () => {
  it("checks the role first (403), then the address (404), then the form (400 with field errors beside the echo)", async () => {
    let ran = 0;
    const act = actionDoing(async () => ran++);
    expect((await act("viewer", { name: "x" })).status).toBe(403);
    const badAddress = await act("agent", { name: "x" }, { thingId: "not-a-uuid" });
    expect(badAddress.status).toBe(404);
    expect(await badAddress.response!.text()).toBe("No thing has that address.");
    const bad = await act("agent", { name: "  " });
    expect(bad.status).toBe(400);
    expect(bad.data).toEqual({ ok: false, fieldErrors: { name: ["Enter a name"] }, values: { name: "  " } });
    expect(ran).toBe(0);
  });

  it("hands the work the parsed input and the actor built from the signed-in user", async () => {
    const seen: unknown[] = [];
    const act = actionDoing(async (input, actor) => {
      seen.push({ input, actor });
      return { ok: true };
    });
    const r = await act("agent", { name: " Coastal " });
    expect(r).toMatchObject({ status: 200, data: { ok: true } });
    expect(seen).toEqual([{ input: { name: "Coastal" }, actor: { userId: who.agent.id, label: who.agent.email } }]);
  });

  it("answers a DomainError with its status and the message next to its field (or the form)", async () => {
    const taken = await actionDoing(async () => {
      throw new DomainError(400, 'A clinic called "Coastal" already exists.', { field: "name" });
    })("agent", { name: "Coastal" });
    expect(taken.status).toBe(400);
    expect(taken.data).toEqual({ ok: false, fieldErrors: { name: ['A clinic called "Coastal" already exists.'] }, values: { name: "Coastal" } });
    const conflict = await actionDoing(async () => {
      throw new DomainError(409, "The connection is already paused.");
    })("agent", { name: "x" });
    expect(conflict.status).toBe(409);
    expect(conflict.data).toMatchObject({ fieldErrors: { form: ["The connection is already paused."] } });
  });

  it("turns a DomainError 404 about the thing itself into the not-found page, and lets other errors through", async () => {
    const gone = await actionDoing(async () => {
      throw new DomainError(404, "No clinic has that address.");
    })("agent", { name: "x" });
    expect(gone.status).toBe(404);
    expect(await gone.response!.text()).toBe("No clinic has that address.");
    await expect(
      actionDoing(async () => {
        throw new TypeError("a bug");
      })("agent", { name: "x" }),
    ).rejects.toThrow("a bug");
  });

  it("refuses an upload larger than the bound before reading its body", async () => {
    const r = await actionDoing(async () => ({ ok: true }), { upload: "csv" })(
      "agent",
      { name: "x" },
      { headers: { "Content-Length": String(MAX_UPLOAD_BYTES * 2) } },
    );
    expect(r.status).toBe(400);
    expect(r.data).toMatchObject({ fieldErrors: { csv: [expect.stringContaining("larger than 2 MB")] } });
    expect(r.request.bodyUsed).toBe(false);
  });
});

describe("notFound and paramsOr404 for loaders", () => {
  it("throw a 404 Response with the message", async () => {
    const thrown = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return e;
      }
      return null;
    };
    const r = thrown(() => notFound("No campaign has that address.")) as Response;
    expect(r.status).toBe(404);
    expect(await r.text()).toBe("No campaign has that address.");
    expect((thrown(() => paramsOr404(Params, { thingId: "x" })) as Response).status).toBe(404);
    expect(paramsOr404(Params, { thingId: THING })).toEqual({ thingId: THING });
  });
});
