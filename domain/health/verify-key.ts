import { parseClinikoKey } from "../vendors/cliniko-key.ts";
import { isVendorError } from "../vendors/errors.ts";
import { parseNookalKey } from "../vendors/nookal-key.ts";
import type { ConnectionTarget, VerifyResult } from "../vendors/types.ts";
import { classifyProbe, type ProbeOutcome } from "./classifier.ts";
import type { VendorAccess } from "./probe.ts";
import { TAXONOMY, type FailureInfo } from "./taxonomy.ts";
import type { FailureCode, NookalRegion, Vendor } from "../vocabulary.ts";

export interface CleanedKey {
  key: string;
  /** What was removed, in plain words, so the person sees why the key looks different. */
  notes: string[];
}

/**
 * Undoes what copy-and-paste does to a key: surrounding whitespace, quotes, line breaks inside,
 * and a pasted `Basic …` / `Authorization: Basic …` header.
 */
export function cleanPastedKey(raw: string): CleanedKey {
  const notes: string[] = [];
  let key = raw;
  const trimmed = key.trim();
  if (trimmed !== key) notes.push("Removed spaces or line breaks around the key.");
  key = trimmed;
  const header = /^(?:authorization:\s*)?basic\s+/i;
  if (header.test(key)) {
    key = key.replace(header, "");
    notes.push('Removed the "Basic" header prefix that was pasted with the key.');
  }
  const quoted = /^(["'`“”‘’])([\s\S]*)(["'`“”‘’])$/.exec(key);
  if (quoted) {
    key = quoted[2]!.trim();
    notes.push("Removed the quotes around the key.");
  }
  if (/\s/.test(key)) {
    key = key.replace(/\s+/g, "");
    notes.push("Removed line breaks or spaces inside the key (they come from wrapped copies).");
  }
  return { key, notes };
}

/** Nookal v2 keys are GUID-shaped; API v3 Basic Keys are base64. */
export function guessNookalApiVersion(key: string): "v2" | "v3" {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key) ? "v2" : "v3";
}

export interface CandidateKey {
  vendor: Vendor;
  rawKey: string;
  /** Nookal: the region the person picked. Ignored for Cliniko, whose key names its shard. */
  region?: string;
  /** Nookal: when the person said which API version; otherwise guessed from the key's shape. */
  apiVersion?: "v2" | "v3";
  /** Cliniko: the shard to try a key WITHOUT an ending on (the console's one-click "use the detected shard"). */
  clinikoShard?: string;
}

export type KeyVerdict =
  | { ok: true; key: string; region: string; apiVersion: string; verified: VerifyResult; notes: string[] }
  | {
      ok: false;
      failureCode: FailureCode;
      info: FailureInfo;
      /** The specific reason (local parse message, or the vendor's classified reason). */
      detail: string;
      /** Where the key works instead, for wrong_region. */
      suggestedRegion: string | null;
      /** The key, cleaned, when it is worth retrying with the suggested region (never shown). */
      key: string | null;
      region: string | null;
      apiVersion: string | null;
      /** Present when the key works but sees nothing (no_patients_visible). */
      verified: VerifyResult | null;
      notes: string[];
      evidence: Record<string, unknown>;
    };

function fail(code: FailureCode, detail: string, rest: Partial<Extract<KeyVerdict, { ok: false }>> & { notes: string[] }): KeyVerdict {
  return {
    ok: false,
    failureCode: code,
    info: TAXONOMY[code],
    detail,
    suggestedRegion: null,
    key: null,
    region: null,
    apiVersion: null,
    verified: null,
    evidence: {},
    ...rest,
  };
}

/**
 * Verifies a key someone just entered, live: clean it, refuse what can be refused locally, ask the
 * vendor, classify the answer, and on a rejection try the other regions so a wrong region is named.
 */
export async function verifyCandidateKey(input: CandidateKey, vendors: VendorAccess): Promise<KeyVerdict> {
  const { key, notes } = cleanPastedKey(input.rawKey);
  let region: string;
  let apiVersion: string;
  let hasShardSuffix = false;
  if (input.vendor === "cliniko") {
    const parsed = parseClinikoKey(key);
    if (!parsed.ok) return fail(parsed.reason === "empty" ? "key_missing" : "key_malformed", parsed.message, { notes });
    // why: a key without an ending names no shard; support may pick the one a wrong-region check detected
    region = !parsed.hasSuffix && input.clinikoShard && /^[a-z]{2}\d{1,2}$/.test(input.clinikoShard) ? input.clinikoShard : parsed.shard;
    hasShardSuffix = parsed.hasSuffix;
    apiVersion = "v1";
  } else {
    const parsed = parseNookalKey(key);
    if (!parsed.ok) return fail(parsed.reason === "empty" ? "key_missing" : "key_malformed", parsed.message, { notes });
    region = (input.region ?? "au") as NookalRegion;
    apiVersion = input.apiVersion ?? guessNookalApiVersion(key);
  }
  const target: ConnectionTarget = { vendor: input.vendor, key, region, apiVersion };
  let outcome: ProbeOutcome;
  let verified: VerifyResult | null = null;
  try {
    verified = await vendors.verify(target);
    outcome = { ok: true, visiblePatients: verified.visiblePatients };
  } catch (err) {
    if (!isVendorError(err)) throw err;
    outcome = { ok: false, error: err };
  }
  const now = new Date();
  // why: a clinic reconnecting has patients; zero visible is the "no patients recognised" symptom
  const history = {
    state: "setup_pending" as const,
    lastSuccessAt: null,
    everHadPatients: false,
    expectsPatients: true,
    consecutiveFailures: 0,
    firstFailureAt: null,
    paused: false,
  };
  const keyCheck = { status: "ok" as const, hasShardSuffix };
  let c = classifyProbe({ vendor: input.vendor, region, keyCheck, outcome, history, now });
  if (c.regionProbeAdvised) {
    const working = await vendors.findWorkingRegion(target);
    c = classifyProbe({ vendor: input.vendor, region, keyCheck, outcome, history, now, regionProbe: working ? { workingRegion: working } : null });
  }
  if (c.failureCode === null && verified) return { ok: true, key, region, apiVersion, verified, notes };
  return fail(c.failureCode ?? "vendor_response_invalid", c.reason, {
    notes,
    suggestedRegion: c.suggestedRegion,
    key,
    region,
    apiVersion,
    verified,
    evidence: { ...c.evidence },
  });
}
