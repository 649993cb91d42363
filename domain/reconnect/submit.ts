import { createHash } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import { clearRetryKey, getRetryKey } from "../../db/queries/reconnect-links.ts";
import type { AlertWorkDeps } from "../alerts/apply.ts";
import type { Keyring } from "../connections/key-storage.ts";
import type { VendorAccess } from "../health/probe.ts";
import { cleanPastedKey, verifyCandidateKey, type KeyVerdict } from "../health/verify-key.ts";
import { DEFAULT_CLINIKO_SHARD, parseClinikoKey, SHARD_PATTERN } from "../vendors/cliniko-key.ts";
import { answerAccountQuestion, type AccountAnswerOutcome, type AccountQuestion } from "./account-change.ts";
import { decryptApiKey, KeyCryptoError } from "../secrets/key-crypto.ts";
import { connect, type ReconnectConfirmation } from "./connect.ts";
import { findActiveLink, type ReconnectLinkView } from "./links.ts";
import { refuse, retryAad, type ReconnectRefusal } from "./refuse.ts";
import type { NookalRegion } from "../vocabulary.ts";

/**
 * The reconnect page's submit, orchestrated: rate limits, the live key check, then one of two
 * outcomes — connect.ts (the key works: stored, healthy again) or refuse.ts (explain the refusal).
 */

export type { ReconnectConfirmation } from "./connect.ts";
export type { ReconnectRefusal } from "./refuse.ts";

/** Attempts allowed per link and per client address in one window (issue 6: 10 per 15 minutes). */
const DEFAULT_ATTEMPT_LIMIT = { attempts: 10, windowSeconds: 15 * 60 };

export interface ReconnectDeps {
  db: Db;
  vendors: VendorAccess;
  keyring: Keyring;
  /** Resolves open alerts and queues the "recovered" notification on the success transaction. */
  alerts: AlertWorkDeps;
  limits?: { attempts: number; windowSeconds: number };
  /** Where "contact support" mails go. */
  supportEmail: string;
  now?: () => Date;
}

export type ReconnectSubmission =
  | { intent: "verify"; rawKey: string; region?: NookalRegion; apiVersion?: "v2" | "v3" }
  /** The one-click "Use <region>": the key and the region come from the server, never the form. */
  | { intent: "use_suggested_region" }
  /** "This key belongs to X. Is that your practice?" — the key waits on the server, never in the form. */
  | { intent: "answer_account"; answer: "yes" | "no" };

type PublicLink = Extract<ReconnectLinkView, { status: "active" }>;

export type ReconnectOutcome =
  | { kind: "unavailable" }
  | { kind: "rate_limited"; link: PublicLink; retryAfterSeconds: number }
  | { kind: "retry_expired"; link: PublicLink }
  | { kind: "refused"; link: PublicLink; refusal: ReconnectRefusal }
  | { kind: "connected"; confirmation: ReconnectConfirmation }
  /** Identity continuity (docs/decisions/0026): a key another clinic uses is refused… */
  | { kind: "shared_key"; link: PublicLink }
  /** …and a key of a different account is asked about, not connected. */
  | { kind: "account_question"; link: PublicLink; question: AccountQuestion }
  | ({ link: PublicLink } & AccountAnswerOutcome);

function addressBucket(address: string): string {
  // why: rate-limit rows outlive the request; keep client addresses out of them
  return `reconnect:addr:${createHash("sha256").update(address).digest("base64url").slice(0, 22)}`;
}

/** A VendorAccess that asks one Cliniko shard, for a key without a shard ending found to work there. */
function pinnedToShard(vendors: VendorAccess, shard: string): VendorAccess {
  return {
    verify: (target) => vendors.verify({ ...target, region: shard }),
    findWorkingRegion: (target) => vendors.findWorkingRegion(target),
    readOnePage: (target, resource) => vendors.readOnePage({ ...target, region: shard }, resource),
  };
}

/**
 * One submission through a reconnect link: count it against the link and the client address,
 * verify the key live, and either connect the clinic (one transaction) or explain the refusal.
 * The key is never returned, logged or stored in plaintext.
 */
export async function submitReconnectKey(
  { token, submission, clientAddress }: { token: string; submission: ReconnectSubmission; clientAddress: string },
  deps: ReconnectDeps,
): Promise<ReconnectOutcome> {
  const now = deps.now?.() ?? new Date();
  const limits = deps.limits ?? DEFAULT_ATTEMPT_LIMIT;
  // why: counted before the token is even looked up, so probing tokens by POST is limited too
  const byAddress = await hitRateLimit({ bucket: addressBucket(clientAddress), limit: limits.attempts, windowSeconds: limits.windowSeconds, now }, deps.db);
  const link = await findActiveLink({ token, now }, deps.db);
  if (!link) return { kind: "unavailable" };
  const byLink = await hitRateLimit({ bucket: `reconnect:link:${link.linkId}`, limit: limits.attempts, windowSeconds: limits.windowSeconds, now }, deps.db);
  if (!byAddress.allowed || !byLink.allowed) {
    return { kind: "rate_limited", link: link.view, retryAfterSeconds: Math.max(byAddress.retryAfterSeconds, byLink.retryAfterSeconds) };
  }

  const vendor = link.view.vendor;
  if (submission.intent === "answer_account") {
    return { link: link.view, ...(await answerAccountQuestion(link, submission.answer, now, deps)) };
  }
  let verdict: KeyVerdict;
  if (submission.intent === "use_suggested_region") {
    const retry = await getRetryKey({ linkId: link.linkId }, deps.db);
    await clearRetryKey({ linkId: link.linkId }, deps.db);
    if (!retry || retry.expiresAt.getTime() <= now.getTime()) return { kind: "retry_expired", link: link.view };
    let key: string;
    try {
      key = decryptApiKey(deps.keyring, retryAad(link.linkId), { ciphertext: retry.ciphertext, iv: retry.iv, tag: retry.tag, keyId: retry.keyId });
    } catch (err) {
      // why: a master-key rotation in the ten minutes between the two clicks; ask for the paste again
      if (err instanceof KeyCryptoError) return { kind: "retry_expired", link: link.view };
      throw err;
    }
    verdict =
      vendor === "cliniko"
        ? await verifyCandidateKey({ vendor, rawKey: key }, pinnedToShard(deps.vendors, retry.region))
        : await verifyCandidateKey({ vendor, rawKey: key, region: retry.region, apiVersion: retry.apiVersion as "v2" | "v3" }, deps.vendors);
  } else {
    await clearRetryKey({ linkId: link.linkId }, deps.db);
    verdict =
      (vendor === "cliniko" ? await withShardEnding(submission.rawKey, link.region, deps.vendors) : null) ??
      (await verifyCandidateKey(
        {
          vendor,
          rawKey: submission.rawKey,
          region: vendor === "nookal" ? submission.region : undefined,
          apiVersion: vendor === "nookal" ? submission.apiVersion : undefined,
        },
        deps.vendors,
      ));
  }

  if (verdict.ok) {
    const result = await connect(link, verdict, now, deps);
    if (!result) return { kind: "unavailable" };
    if (result.kind === "shared_key") return { kind: "shared_key", link: link.view };
    if (result.kind === "account_question") return { kind: "account_question", link: link.view, question: result.question };
    return result;
  }
  return { kind: "refused", link: link.view, refusal: await refuse(link, verdict, submission, now, deps) };
}

/**
 * A Cliniko key pasted without its shard ending, for a clinic whose shard is known (not au1, the
 * default a bare key means): tried on the known shard with the ending put back, before the au1
 * default. Null when that does not apply or the key does not work there (the normal check runs).
 */
async function withShardEnding(rawKey: string, knownShard: string, vendors: VendorAccess): Promise<KeyVerdict | null> {
  if (knownShard === DEFAULT_CLINIKO_SHARD || !SHARD_PATTERN.test(knownShard)) return null;
  const cleaned = cleanPastedKey(rawKey);
  const parsed = parseClinikoKey(cleaned.key);
  if (!parsed.ok || parsed.hasSuffix) return null;
  const verdict = await verifyCandidateKey({ vendor: "cliniko", rawKey: `${cleaned.key}-${knownShard}` }, vendors);
  if (!verdict.ok) return null;
  return { ...verdict, notes: [...cleaned.notes, `The key was missing its ending "-${knownShard}"; we added it.`] };
}
