import { createHash } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import { clearRetryKey, getRetryKey } from "../../db/queries/reconnect-links.ts";
import type { AlertWorkDeps } from "../alerts/apply.ts";
import type { Keyring } from "../connections/key-storage.ts";
import type { VendorAccess } from "../health/probe.ts";
import { verifyCandidateKey, type KeyVerdict } from "../health/verify-key.ts";
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
  | { intent: "use_suggested_region" };

type PublicLink = Extract<ReconnectLinkView, { status: "active" }>;

export type ReconnectOutcome =
  | { kind: "unavailable" }
  | { kind: "rate_limited"; link: PublicLink; retryAfterSeconds: number }
  | { kind: "retry_expired"; link: PublicLink }
  | { kind: "refused"; link: PublicLink; refusal: ReconnectRefusal }
  | { kind: "connected"; confirmation: ReconnectConfirmation };

function addressBucket(address: string): string {
  // why: rate-limit rows outlive the request; keep client addresses out of them
  return `reconnect:addr:${createHash("sha256").update(address).digest("base64url").slice(0, 22)}`;
}

/** A VendorAccess that asks one Cliniko shard, for a key without a shard ending found to work there. */
function pinnedToShard(vendors: VendorAccess, shard: string): VendorAccess {
  return { verify: (target) => vendors.verify({ ...target, region: shard }), findWorkingRegion: (target) => vendors.findWorkingRegion(target) };
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
    verdict = await verifyCandidateKey(
      {
        vendor,
        rawKey: submission.rawKey,
        region: vendor === "nookal" ? submission.region : undefined,
        apiVersion: vendor === "nookal" ? submission.apiVersion : undefined,
      },
      deps.vendors,
    );
  }

  if (verdict.ok) {
    const confirmation = await connect(link, verdict, now, deps);
    return confirmation ? { kind: "connected", confirmation } : { kind: "unavailable" };
  }
  return { kind: "refused", link: link.view, refusal: await refuse(link, verdict, submission, now, deps) };
}
