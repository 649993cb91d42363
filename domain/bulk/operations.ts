import type { Brand } from "../brand.ts";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit, recordAuditMany } from "../../db/queries/audit.ts";
import {
  campaignMemberIds,
  findBulkTargets,
  getBulkRun,
  insertBulkOperation,
  lockWaitingItem,
  settleBulkItem,
  type BulkTarget,
  type NewBulkItem,
} from "../../db/queries/bulk-operations.ts";
import { getCampaign } from "../../db/queries/campaigns.ts";
import { addClinicsToCampaign } from "../campaigns/campaigns.ts";
import { canSendReconnectLink, pauseConnection, PauseReasonSchema, resumeConnection, type Actor } from "../clinics/console-actions.ts";
import { ReconnectPurposeSchema, sendReconnectLink } from "../clinics/live.ts";
import type { BulkJobQueue, DeliveryJobQueue, ProbeJobQueue, SyncJobQueue } from "../jobs.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import { canTransition } from "../health/states.ts";
import { DomainError } from "../errors.ts";
import { listClinicIds } from "../../db/queries/clinics.ts";
import { clinicFiltersOf, ClinicsQuerySchema } from "../clinics/clinics-table.ts";
import { BULK_INTENTS, bulkQuestion, CONFIRMED_INTENTS, DEFAULT_LINK_PURPOSE, MAX_BULK_SELECTION, MAX_MATCHING_SELECTION, type BulkIntent } from "./kinds.ts";
import { STATE_LABELS, VENDOR_LABELS } from "../vocabulary.ts";

/**
 * Bulk actions from the clinics table (docs/decisions/0014-bulk-actions.md). Every selected clinic
 * becomes an item of a stored operation, so progress survives reloads and other agents see it.
 * Probes go through the worker's `probe` queue; links, pause, resume and campaigns go through its
 * `bulk-run` queue (enqueued with the operation), so a killed web request leaves nothing waiting
 * forever. The worker runs them a few at a time through the same domain functions the clinic page
 * uses, each clinic's work and its item's settlement in one transaction; a campaign takes the
 * whole selection in one addClinicsToCampaign call (domain/campaigns).
 */

/** Clinics worked on at once: each holds a pooled connection for its transaction, and the web pool is small. */
const CONCURRENCY = 4;

const asList = (v: unknown): unknown[] => (v === undefined || v === null || v === "" ? [] : Array.isArray(v) ? v : [v]);

/**
 * The bulk form: row checkboxes named `clinicId`; the "all on this page" checkbox (`scope=page`)
 * adds the page's ids from hidden `pageClinicId` inputs, so it works without JavaScript too.
 * "All N matching" (`scope=matching`) sends the table's query string as `matchQuery` instead of
 * ids: the server resolves that filter itself (startBulkOperation), never trusting a list of ids.
 * `confirmed` is the count the confirm step showed (absent before it).
 */
export const BulkRequestSchema = z.preprocess(
  (raw) => {
    const o = (raw ?? {}) as Record<string, unknown>;
    const scopes = asList(o.scope);
    if (scopes.includes("matching")) return { ...o, clinicId: [], matching: true };
    const ids = [...asList(o.clinicId), ...(scopes.includes("page") ? asList(o.pageClinicId) : [])];
    return { ...o, clinicId: [...new Set(ids)], matching: false };
  },
  z
    .object({
      intent: z.enum(BULK_INTENTS, { message: "Choose what to do with the selected clinics" }),
      matching: z.boolean(),
      matchQuery: z.string().max(1000).optional(),
      confirmed: z.preprocess((v) => (v === "" || v === undefined ? undefined : v), z.coerce.number().int().min(0).optional()),
      clinicId: z
        .array(z.uuid({ message: "That selection is not a list of clinics" }))
        .max(MAX_BULK_SELECTION, `Select at most ${MAX_BULK_SELECTION} clinics at a time`),
      purpose: z.string().optional(),
      reason: PauseReasonSchema,
      campaignId: z.string().optional(),
      returnTo: z
        .string()
        .optional()
        .transform((v) => (v && /^\/clinics(\?|$)/.test(v) && v.length <= 1000 ? v : "/clinics")),
    })
    .transform((v, ctx) => {
      if (!v.matching && v.clinicId.length === 0) {
        ctx.addIssue({ code: "custom", message: "Select at least one clinic first", path: ["clinicId"] });
        return z.NEVER;
      }
      let purpose: string | undefined;
      if (v.intent === "reconnect_link") {
        const p = ReconnectPurposeSchema.safeParse(v.purpose ?? DEFAULT_LINK_PURPOSE);
        if (!p.success) {
          for (const issue of p.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: ["purpose"] });
          return z.NEVER;
        }
        purpose = p.data;
      }
      let campaignId: string | undefined;
      if (v.intent === "campaign") {
        const c = z.uuid().safeParse(v.campaignId);
        if (!c.success) {
          ctx.addIssue({ code: "custom", message: "Pick the campaign to add the clinics to", path: ["campaignId"] });
          return z.NEVER;
        }
        campaignId = c.data;
      }
      // why: the same parse as the clinics table's URL, so "matching" means exactly what the table showed
      const match = v.matching ? ClinicsQuerySchema.parse(Object.fromEntries(new URLSearchParams(v.matchQuery ?? ""))) : null;
      return {
        intent: v.intent,
        clinicIds: v.clinicId,
        matching: match ? clinicFiltersOf(match) : null,
        matchQuery: v.matching ? (v.matchQuery ?? "") : undefined,
        confirmed: v.confirmed,
        purpose,
        campaignId,
        reason: v.intent === "pause" ? v.reason || undefined : undefined,
        returnTo: v.returnTo,
      };
    }),
);
export type BulkRequest = z.infer<typeof BulkRequestSchema>;

export interface BulkDeps {
  db: Db;
  /** Probe jobs, enqueued on the operation's transaction (pg-boss lives outside domain/). */
  probes: ProbeJobQueue;
  /** Sync jobs ("Sync now" in bulk), enqueued on the operation's transaction. */
  syncs: SyncJobQueue;
  /** The job that runs the other kinds in the worker, enqueued on the operation's transaction. */
  runs: BulkJobQueue;
  /** For reconnect-link emails: sealed token and the `deliver` queue. */
  keyring: Keyring;
  deliveries: DeliveryJobQueue;
  /** For the links in reconnect emails. */
  publicUrl: string;
  linkTtlHours: number;
  /** The product name clinics know, in the reconnect emails. */
  brand?: Brand;
}

/** Why a clinic is left out before anything runs, or null when it takes part. */
function precheck(intent: BulkIntent, t: BulkTarget): string | null {
  if (t.archived) return "Archived: restore it first.";
  if (!t.connectionId || !t.state) return "No connection yet.";
  const label = STATE_LABELS[t.state];
  switch (intent) {
    case "probe":
      return t.state === "paused" ? "Paused: resume it to probe it." : null;
    case "sync":
      return t.state === "paused" ? "Paused: resume it to sync it." : null;
    case "reconnect_link":
      if (!t.adminEmail) return "No admin email: open the clinic to create a link and send it yourself.";
      return canSendReconnectLink(t.state) ? null : `${label}: a reconnect link is not needed.`;
    case "pause":
      if (t.state === "paused") return "Already paused.";
      return canTransition(t.state, "paused") ? null : `${label} cannot be paused.`;
    case "resume":
      return t.state === "paused" ? null : `Not paused (${label.toLowerCase()}).`;
    case "campaign":
      // why: addClinicsToCampaign decides (vendor, membership) and reports each clinic it leaves out
      return null;
  }
}

type RunRequest = Pick<BulkRequest, "intent" | "purpose" | "reason" | "campaignId">;

/** One clinic's work for the kinds run item by item, on the item's transaction; returns the item's message. */
async function runOne(request: RunRequest, t: BulkTarget, actor: Actor, deps: BulkDeps, tx: DbOrTx): Promise<string> {
  switch (request.intent) {
    case "reconnect_link": {
      const link = await sendReconnectLink(
        {
          clinicId: t.clinicId,
          purpose: request.purpose!,
          email: true,
          actor,
          publicUrl: deps.publicUrl,
          ttlHours: deps.linkTtlHours,
          admin: { name: t.adminName, email: t.adminEmail, clinicName: t.clinicName, vendorLabel: VENDOR_LABELS[t.vendor!] },
        },
        { db: tx, keyring: deps.keyring, deliveries: deps.deliveries, ...(deps.brand ? { brand: deps.brand } : {}) },
      );
      return `Email queued to ${link.emailQueuedTo} (Deliveries shows when it is sent).`;
    }
    case "pause":
      await pauseConnection({ clinicId: t.clinicId, reason: request.reason, actor }, tx);
      return "Paused.";
    case "resume": {
      const { connectionId } = await resumeConnection({ clinicId: t.clinicId, actor }, tx);
      // why: the clinic page probes right after resuming; in bulk the worker does it
      await deps.probes.enqueue([{ data: { connectionId, reason: "manual", requestedBy: `user:${actor.userId}` } }], tx);
      return "Resumed; a probe is queued.";
    }
    case "probe":
    case "sync":
    case "campaign":
      throw new Error(`${request.intent} items are not run one by one`);
  }
}

/** The whole selection in one addClinicsToCampaign call; each item settles from its result. */
async function runCampaign(request: RunRequest, operationId: string, waiting: BulkTarget[], actor: Actor, deps: BulkDeps): Promise<void> {
  const ids = waiting.map((t) => t.clinicId);
  const already = await campaignMemberIds({ campaignId: request.campaignId!, clinicIds: ids }, deps.db);
  let outcome: Awaited<ReturnType<typeof addClinicsToCampaign>> | null = null;
  let failure: string | null = null;
  try {
    outcome = await addClinicsToCampaign({ campaignId: request.campaignId!, clinicIds: ids, actor }, deps.db);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    failure = err.message;
  }
  const skipped = new Map((outcome?.skipped ?? []).map((s) => [s.clinicId, s.message]));
  for (const t of waiting) {
    const status = failure ? "failed" : skipped.has(t.clinicId) || already.has(t.clinicId) ? "skipped" : "done";
    const message = failure ?? skipped.get(t.clinicId) ?? (already.has(t.clinicId) ? "Already in this campaign." : "Added to the campaign.");
    await settleBulkItem({ operationId, clinicId: t.clinicId, status, message }, deps.db);
  }
}

/**
 * Records the operation with one item per selected clinic and, in the same transaction, the jobs
 * that do the work: probe jobs (the worker settles them by probing), or one `bulk-run` job for
 * links, pause, resume and campaigns (runBulkOperation, in the worker). Returns the id for the
 * progress view. Unknown ids are ignored; none known → a DomainError next to the selection (or the campaign field).
 */
/** What a confirm step shows: how many clinics the action will really touch, and why the rest are left out. */
export interface BulkConfirmation {
  intent: BulkIntent;
  /** Clinics that will take part (the number confirmed). */
  count: number;
  /** Clinics selected or matching, skipped ones included. */
  selected: number;
  question: string;
  /** "3 × Paused: resume it to probe it", worst first. */
  leftOut: { message: string; n: number }[];
}

/** The clinic ids a request names: its own list, or every clinic matching its filter (resolved here, capped). */
async function resolveSelection(request: BulkRequest, db: Db): Promise<string[]> {
  if (!request.matching) return request.clinicIds;
  const ids = await listClinicIds({ filters: request.matching, limit: MAX_MATCHING_SELECTION + 1 }, db);
  if (ids.length > MAX_MATCHING_SELECTION)
    throw new DomainError(409, `More than ${MAX_MATCHING_SELECTION.toLocaleString("en-AU")} clinics match these filters; narrow them first.`, {
      field: "clinicId",
    });
  return ids;
}

export async function startBulkOperation(
  request: BulkRequest,
  actor: Actor,
  deps: BulkDeps,
): Promise<{ operationId: string; confirm?: undefined } | { confirm: BulkConfirmation; operationId?: undefined }> {
  const campaign = request.campaignId ? await getCampaign({ campaignId: request.campaignId }, deps.db) : null;
  if (request.intent === "campaign" && !campaign) throw new DomainError(400, "No campaign has that id any more.", { field: "campaignId" });
  if (campaign?.cancelledAt) throw new DomainError(409, "That campaign was cancelled; pick another.", { field: "campaignId" });
  const selection = await resolveSelection(request, deps.db);
  if (selection.length === 0)
    throw new DomainError(400, request.matching ? "No clinic matches these filters any more." : "None of the selected clinics exist any more.", {
      field: "clinicId",
    });
  const targets = await findBulkTargets({ clinicIds: selection }, deps.db);
  if (targets.length === 0) throw new DomainError(400, "None of the selected clinics exist any more.", { field: "clinicId" });
  const items: (NewBulkItem & { target: BulkTarget })[] = targets.map((t) => {
    const skip = precheck(request.intent, t);
    return { target: t, clinicId: t.clinicId, connectionId: t.connectionId, status: skip ? "skipped" : "waiting", message: skip };
  });
  const waiting = items.filter((i) => i.status === "waiting");
  const requestedBy = `user:${actor.userId}`;

  // why: the confirm step is enforced here, not only in the browser: an unconfirmed request, or one
  // confirmed for fewer clinics than would now be touched (the fleet moved), gets the question again
  const mustConfirm = CONFIRMED_INTENTS.includes(request.intent) || request.matching !== null;
  if (mustConfirm && (request.confirmed === undefined || waiting.length > request.confirmed)) {
    const leftOut = new Map<string, number>();
    for (const i of items) if (i.status === "skipped") leftOut.set(i.message ?? "", (leftOut.get(i.message ?? "") ?? 0) + 1);
    return {
      confirm: {
        intent: request.intent,
        count: waiting.length,
        selected: items.length,
        question: bulkQuestion(request.intent, waiting.length, campaign?.name),
        leftOut: [...leftOut].map(([message, n]) => ({ message, n })).sort((a, b) => b.n - a.n),
      },
    };
  }

  const op = await deps.db.transaction(async (tx) => {
    const created = await insertBulkOperation(
      {
        kind: request.intent,
        requestedBy: actor.userId,
        requestedByLabel: actor.label,
        params: {
          ...(request.purpose ? { purpose: request.purpose } : {}),
          ...(request.reason ? { reason: request.reason } : {}),
          ...(campaign ? { campaignId: campaign.id, campaignName: campaign.name } : {}),
          ...(request.matching ? { matchQuery: request.matchQuery ?? "" } : {}),
        },
        returnTo: request.returnTo,
        items: items.map(({ target: _t, ...i }) => i),
      },
      tx,
    );
    // why: one row for the operation as a whole, and one per clinic touched (below, or written by the
    // reused clinic-page functions), so each clinic's audit history shows what happened to it
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: `bulk.${request.intent}`,
        clinicId: null,
        details: {
          operationId: created.id,
          total: items.length,
          started: waiting.length,
          skipped: items.length - waiting.length,
          ...(request.matching ? { matching: request.matchQuery ?? "" } : {}),
          ...(request.confirmed !== undefined ? { confirmed: request.confirmed } : {}),
        },
      },
      tx,
    );
    if (request.intent === "probe" && waiting.length) {
      await deps.probes.enqueue(
        waiting.map((i) => ({ data: { connectionId: i.connectionId!, reason: "manual" as const, requestedBy } })),
        tx,
      );
      await recordAuditMany(
        waiting.map((i) => ({
          actorUserId: actor.userId,
          actorLabel: actor.label,
          action: "connection.probe_requested",
          clinicId: i.clinicId,
          details: { operationId: created.id },
        })),
        tx,
      );
    }
    // why: one sync job per connection (the sync queue keeps them one at a time), committed with the operation
    if (request.intent === "sync" && waiting.length) {
      await deps.syncs.enqueue(
        waiting.map((i) => ({ data: { connectionId: i.connectionId!, trigger: "bulk" as const, requestedBy } })),
        tx,
      );
    }
    // why: the worker runs the rest; the job commits with the operation, so no item waits for a request that died
    if (request.intent !== "probe" && request.intent !== "sync" && waiting.length) await deps.runs.enqueue([{ data: { operationId: created.id } }], tx);
    return created;
  });

  return { operationId: op.id };
}

/**
 * The worker's half (the `bulk-run` job): works every item still waiting. Safe to run again after
 * a crash: each clinic's work commits together with its item's settlement, and settled items are
 * skipped. Returns the unexpected errors (logged by the caller; their items are failed).
 */
export async function runBulkOperation({ operationId }: { operationId: string }, deps: BulkDeps): Promise<{ unexpected: unknown[] }> {
  const op = await getBulkRun({ operationId }, deps.db);
  const unexpected: unknown[] = [];
  if (!op || op.kind === "probe" || op.kind === "sync" || op.waitingClinicIds.length === 0) return { unexpected };
  const params = op.params as { purpose?: string; reason?: string; campaignId?: string };
  const request: RunRequest = { intent: op.kind, purpose: params.purpose, reason: params.reason, campaignId: params.campaignId };
  const actor: Actor = { userId: op.requestedBy, label: op.requestedByLabel };
  const targets = await findBulkTargets({ clinicIds: op.waitingClinicIds }, deps.db);
  if (request.intent === "campaign") {
    await runCampaign(request, op.id, targets, actor, deps);
    return { unexpected };
  }
  for (let i = 0; i < targets.length; i += CONCURRENCY) {
    await Promise.all(
      targets.slice(i, i + CONCURRENCY).map(async (target) => {
        try {
          await deps.db.transaction(async (tx) => {
            if (!(await lockWaitingItem({ operationId: op.id, clinicId: target.clinicId }, tx))) return;
            const message = await runOne(request, target, actor, deps, tx);
            await settleBulkItem({ operationId: op.id, clinicId: target.clinicId, status: "done", message }, tx);
          });
        } catch (err) {
          // why: a clinic that changed since the table was drawn is skipped with the reason; anything else fails this item, not the batch
          const known = err instanceof DomainError;
          if (!known) unexpected.push(err);
          await settleBulkItem(
            {
              operationId: op.id,
              clinicId: target.clinicId,
              status: known ? "skipped" : "failed",
              message: known ? (err as Error).message : "Something went wrong; try this clinic from its own page.",
            },
            deps.db,
          );
        }
      }),
    );
  }
  return { unexpected };
}
