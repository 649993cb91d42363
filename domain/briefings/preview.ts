import type { Brand } from "../brand.ts";
import type { Vendor } from "../vocabulary.ts";
import { renderBriefingEmail } from "./render.tsx";
import type { BriefingReport } from "./report.ts";

/**
 * The briefing email as the clinic will receive it, for the console's preview (issue 14): the same
 * renderer as the Monday send, so the preview cannot drift from the email. Shown in a sandboxed
 * iframe under BRIEFING_PREVIEW_CSP: no script, no form, no network except the brand's logo.
 */
export function previewHtml(report: BriefingReport, brand: Brand, { vendor = null }: { vendor?: Vendor | null } = {}): string {
  return renderBriefingEmail(report, { brand, vendor }).html;
}

/**
 * The policy the preview is served under: nothing runs, nothing is submitted, only the console
 * itself may frame it. `sandbox` without allow-scripts/allow-same-origin: even an escaping bug in
 * the email could not reach the console's session.
 */
export const BRIEFING_PREVIEW_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src https: data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "sandbox",
].join("; ");
