import { z } from "zod";
import { brandContactLine, clinicTime, DEFAULT_BRAND, type Brand } from "../brand.ts";
import { durationBetween } from "../duration.ts";
import { escalationText } from "../health/escalation.ts";
import { playbookFor, TAXONOMY } from "../health/taxonomy.ts";
import {
  ALERT_KIND_LABELS,
  type AlertEvent,
  type AlertKind,
  type AlertStatus,
  type EscalationPacket,
  type FailureCode,
  VENDOR_LABELS,
  type Vendor,
} from "../vocabulary.ts";

/**
 * Alert messages, rendered once when the event happens and stored on the notification, so every
 * retry sends the same words. Built only from the taxonomy and the escalation packet — which
 * carries a key hint, never a key — so no message can contain an API key.
 */

export interface AlertSnapshot {
  id: string;
  kind: AlertKind;
  status: AlertStatus;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
  packet: EscalationPacket;
}

export interface MessageContext {
  event: AlertEvent;
  /** The notification's id; webhook receivers deduplicate retries by it. */
  notificationId: string;
  clinic: { id: string; name: string; adminName?: string | null; timeZone?: string | null };
  connectionId: string;
  /** The packet as of this event (for a recovery: the healthy state). */
  packet: EscalationPacket;
  /** The alert opened or reopened, or every alert the recovery resolved. */
  alerts: AlertSnapshot[];
  now: Date;
  /** Base URL of the console, for a link to the clinic page. */
  consoleUrl?: string | null;
  /** The vendor's own product in clinic-facing words; default DEFAULT_BRAND. */
  brand?: Brand;
  /**
   * A fresh reconnect link for an "action needed" email, with its full token: the caller redacts
   * the rendered text before storing it (the sealed token goes on the message row).
   */
  reconnect?: { url: string; expiresAt: Date } | null;
}

export const EmailContentSchema = z.object({
  kind: z.literal("email"),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
});
export type EmailContent = z.infer<typeof EmailContentSchema>;
// ---- a tiny block model, so the text and HTML versions can never say different things

type Block =
  | { type: "p"; text: string }
  | { type: "ol"; items: readonly string[] }
  | { type: "ul"; items: readonly string[] }
  | { type: "pre"; title: string; text: string }
  | { type: "link"; label: string; href: string; primary?: boolean };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function toText(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.type) {
        case "p":
          return b.text;
        case "ol":
          return b.items.map((item, i) => `${i + 1}. ${item}`).join("\n");
        case "ul":
          return b.items.map((item) => `- ${item}`).join("\n");
        case "pre":
          return `--- ${b.title} ---\n${b.text}`;
        case "link":
          return `${b.label}: ${b.href}`;
      }
    })
    .join("\n\n")
    .concat("\n");
}

function toHtml(blocks: Block[], brand?: Brand): string {
  const body = blocks
    .map((b) => {
      switch (b.type) {
        case "p":
          return `<p>${escapeHtml(b.text)}</p>`;
        case "ol":
          return `<ol>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ol>`;
        case "ul":
          return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
        case "pre":
          return `<p><strong>${escapeHtml(b.title)}</strong></p><pre style="white-space:pre-wrap;font-family:monospace">${escapeHtml(b.text)}</pre>`;
        case "link":
          // why a button for the one thing to do: the next action must not read like any other link (inline styles: mail clients drop <style>)
          return b.primary
            ? `<p><a href="${escapeHtml(b.href)}" style="display:inline-block;padding:10px 18px;background:#1f5fbf;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${escapeHtml(b.label)}</a></p>`
            : `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>`;
      }
    })
    .join("\n");
  // why: a clinic-facing email opens with the product name the clinic knows (and its logo)
  const head = brand
    ? `<p style="font-weight:bold;font-size:1.1em">${brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" width="28" height="28" style="vertical-align:middle;margin-right:8px">` : ""}${escapeHtml(brand.productName)}</p>\n`
    : "";
  return `<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">\n${head}${body}\n</body></html>`;
}

// ---- wording

function oneLine(s: string): string {
  // why: a clinic name with a newline could forge a header-like line in a subject or a ticket
  return s.replace(/[\r\n\t]+/g, " ").trim();
}

function when(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function failureTitle(packet: EscalationPacket, kind: AlertKind): string {
  return packet.failureTitle ?? ALERT_KIND_LABELS[kind];
}

function where(packet: EscalationPacket): string {
  return `${packet.vendorLabel}, ${packet.vendor === "nookal" ? `region ${packet.nookalRegion ?? packet.region}` : `shard ${packet.clinikoShard ?? packet.region}`}`;
}

function clinicPage(ctx: MessageContext): Block[] {
  return ctx.consoleUrl ? [{ type: "link", label: "Open in Relink", href: `${ctx.consoleUrl.replace(/\/+$/, "")}/clinics/${ctx.clinic.id}` }] : [];
}

function primary(ctx: MessageContext): AlertSnapshot {
  const alert = ctx.alerts[0];
  if (!alert) throw new Error("an alert message needs at least one alert");
  return alert;
}

function code(packet: EscalationPacket): FailureCode | null {
  return packet.failureCode && packet.failureCode in TAXONOMY ? packet.failureCode : null;
}

function supportEmail(ctx: MessageContext): { subject: string; blocks: Block[] } {
  const name = oneLine(ctx.clinic.name);
  const vendor = VENDOR_LABELS[ctx.packet.vendor];
  if (ctx.event === "recovered") {
    const since = new Date(Math.min(...ctx.alerts.map((a) => a.firstSeenAt.getTime())));
    return {
      subject: `[Relink] Recovered: ${name} (${vendor})`,
      blocks: [
        { type: "p", text: `Recovered — ${name} (${where(ctx.packet)}). The connection works again as of ${when(ctx.now)}.` },
        {
          type: "ul",
          items: ctx.alerts.map(
            (a) =>
              `Resolved "${ALERT_KIND_LABELS[a.kind]}" (${failureTitle(a.packet, a.kind)}): open since ${when(a.firstSeenAt)}, seen ${a.count} time${a.count === 1 ? "" : "s"}.`,
          ),
        },
        { type: "p", text: `Trouble lasted ${durationBetween(since, ctx.now)}. Nothing more to do; tell the clinic if they were waiting on it.` },
        ...clinicPage(ctx),
      ],
    };
  }
  const alert = primary(ctx);
  const c = code(alert.packet);
  const title = failureTitle(alert.packet, alert.kind);
  const again = ctx.event === "reopened";
  const blocks: Block[] = [
    {
      type: "p",
      text: `${again ? "Back again — " : ""}${ALERT_KIND_LABELS[alert.kind]}: ${name} (${where(alert.packet)}). ${title}, first seen ${when(alert.firstSeenAt)}.`,
    },
  ];
  if (again) blocks.push({ type: "p", text: "This problem had been resolved before and has come back." });
  if (alert.packet.briefingHeld) {
    blocks.push({
      type: "p",
      text: `The weekly briefing for the week of ${alert.packet.briefingHeld.weekStart} is held: ${alert.packet.briefingHeld.reason} It goes out (marked late) as soon as this is fixed today, else it is skipped for the week.`,
    });
  }
  if (c) {
    const info = TAXONOMY[c];
    blocks.push(
      { type: "p", text: info.supportMessage },
      { type: "p", text: `Suggested action: ${info.suggestedAction}` },
      { type: "ol", items: playbookFor(c, alert.packet.vendor).supportSteps },
    );
  }
  blocks.push(...clinicPage(ctx), { type: "pre", title: "Escalation packet (paste into a vendor ticket)", text: escalationText(alert.packet) });
  return { subject: `[Relink] ${again ? "Again: " : ""}${name}: ${title} (${vendor})`, blocks };
}

/** What the connection can and cannot do, as the vendors' own onboarding guides say it. */
export const READ_ONLY_NOTE: Record<"cliniko" | "nookal", string> = {
  cliniko:
    "The connection only reads from Cliniko; it never changes anything there. You can revoke it at any time in Cliniko: My Info → Manage API keys → Archive.",
  nookal:
    "The connection only reads from Nookal; it never changes anything there. You can revoke it at any time in Nookal: Setup → Integrations → API Keys, then disable or delete the key.",
};

function clinicEmail(ctx: MessageContext): { subject: string; blocks: Block[] } {
  const brand = ctx.brand ?? DEFAULT_BRAND;
  const product = oneLine(brand.productName);
  const name = oneLine(ctx.clinic.name);
  const vendor = VENDOR_LABELS[ctx.packet.vendor];
  const greeting: Block = { type: "p", text: ctx.clinic.adminName ? `Hello ${oneLine(ctx.clinic.adminName)},` : "Hello," };
  const contact = brandContactLine(brand);
  const footer: Block[] = [{ type: "p", text: `— The ${product} team${contact ? `. ${contact}` : ""}` }];
  if (ctx.event === "recovered") {
    // why: a wrong region is fixed by support alone; the clinic hears about it once, after it was done
    const regionFixed = ctx.alerts.some((a) => a.packet.failureCode === "wrong_region");
    const blocks: Block[] = [greeting];
    if (regionFixed) {
      blocks.push({
        type: "p",
        text: `Your ${vendor} key was fine: it belongs to a different ${vendor} region than the one we had on file. We have switched ${name}'s connection to ${ctx.packet.vendor === "nookal" ? `region ${ctx.packet.nookalRegion ?? ctx.packet.region}` : `the ${ctx.packet.clinikoShard ?? ctx.packet.region} region`}.`,
      });
    }
    blocks.push(
      {
        type: "p",
        text: `Good news: the connection works again. ${product} can read ${name}'s ${vendor} data again, as of ${clinicTime(ctx.now, ctx.clinic.timeZone)}. Nothing more to do on your side.`,
      },
      ...footer,
    );
    return { subject: `${product} works again with ${vendor} — ${name}`, blocks };
  }
  const alert = primary(ctx);
  if (alert.kind === "account_change_pending") {
    // why: the admin has already answered; support finishes the change (docs/decisions/0026)
    return {
      subject: `We are checking your new ${vendor} key — ${name}`,
      blocks: [
        greeting,
        {
          type: "p",
          text: `Thank you for entering a new ${vendor} key for ${name}. It is for a different ${vendor} account than before, so our support team checks the change before connecting it. Nothing to do on your side; we will let you know when it is connected.`,
        },
      ],
    };
  }
  const c = code(alert.packet);
  const steps = c ? playbookFor(c, alert.packet.vendor).clinicSteps : [];
  const blocks: Block[] = [greeting];
  if (c && steps.length) {
    blocks.push(
      {
        type: "p",
        text: `${product} can no longer read ${name}'s ${vendor} data. ${TAXONOMY[c].clinicMessage.replace(/^Your practice-management system/, vendor)}`,
      },
      { type: "p", text: "What to do:" },
      { type: "ol", items: steps },
    );
    if (ctx.reconnect) {
      blocks.push(
        { type: "link", label: `Paste the new key here`, href: ctx.reconnect.url, primary: true },
        { type: "p", text: `This link works once, until ${clinicTime(ctx.reconnect.expiresAt, ctx.clinic.timeZone)}. It checks the key while you wait.` },
      );
    } else {
      blocks.push({ type: "p", text: "Reply to this email and we will send you a link to paste the new key into." });
    }
    blocks.push(
      { type: "p", text: READ_ONLY_NOTE[alert.packet.vendor] },
      {
        type: "p",
        text: "Please don't re-create patients or change anything else in the meantime. Reconnecting loses no data; if today is busy, copy today's notes by hand and reconnect later.",
      },
      ...footer,
    );
    return { subject: `Action needed: reconnect ${vendor} to ${product} — ${name}`, blocks };
  }
  // why: nothing for the clinic to do is said plainly, never under an "Action needed" subject
  blocks.push(
    {
      type: "p",
      text: c
        ? `${product} is having trouble reading ${name}'s ${vendor} data. ${TAXONOMY[c].clinicMessage.replace(/^Your practice-management system/, vendor)}`
        : `${ALERT_KIND_LABELS[alert.kind]} for ${name}.`,
    },
    { type: "p", text: "There is nothing to do on your side: our support team is on it, and we will email you when it works again." },
    ...footer,
  );
  return { subject: `For your information: ${product} and ${vendor} — ${name}`, blocks };
}

export function renderEmail(ctx: MessageContext, audience: "clinic_admin" | "support"): EmailContent {
  const { subject, blocks } = audience === "support" ? supportEmail(ctx) : clinicEmail(ctx);
  return {
    kind: "email",
    subject: oneLine(subject),
    text: toText(blocks),
    html: toHtml(blocks, audience === "support" ? undefined : (ctx.brand ?? DEFAULT_BRAND)),
  };
}

/**
 * To each admin: a webhook subscription was disabled after sustained failure
 * (docs/decisions/0048-webhook-subscriptions.md). Names the URL, never the secret.
 */
export function renderWebhookDisabledEmail({
  url,
  reason,
  subscriptionId,
  consoleUrl,
}: {
  url: string;
  reason: string;
  subscriptionId: string;
  consoleUrl?: string | null;
}): EmailContent {
  const page = consoleUrl ? `${consoleUrl.replace(/\/+$/, "")}/webhooks/${subscriptionId}` : null;
  const blocks: Block[] = [
    { type: "p", text: `Relink stopped sending webhooks to ${oneLine(url)}: ${oneLine(reason)}` },
    {
      type: "p",
      text: "Events keep being recorded while it is disabled. Once the receiver answers again, re-enable the subscription: waiting deliveries resume, and the events that arrived meanwhile are delivered too.",
    },
    ...(page ? [{ type: "link" as const, label: "Open the subscription", href: page, primary: true }] : []),
  ];
  return { kind: "email", subject: oneLine(`[Relink] Webhook disabled: ${url}`), text: toText(blocks), html: toHtml(blocks) };
}

/**
 * To support: a vendor incident opened, changed, or resolved (docs/decisions/0049-vendor-incidents.md).
 * One message stands for every clinic of the region, so it says how many and that no key will help.
 */
export function renderIncidentEmail({
  kind,
  incident,
  failing,
  connections,
  recovered,
  now,
  consoleUrl,
}: {
  kind: "opened" | "update" | "resolved";
  incident: {
    id: string;
    vendor: Vendor;
    region: string;
    openedAt: Date;
    peakAffected: number;
    firstEvidence: { failureCode: FailureCode; httpStatus: number | null; vendorMessage: string | null };
  };
  failing: number;
  connections: number;
  recovered: number;
  now: Date;
  consoleUrl?: string | null;
}): EmailContent {
  const region = `${VENDOR_LABELS[incident.vendor]} ${oneLine(incident.region)}`;
  const page = consoleUrl ? `${consoleUrl.replace(/\/+$/, "")}/incidents/${incident.id}` : null;
  const evidence = incident.firstEvidence;
  const first = `${TAXONOMY[evidence.failureCode].title}${evidence.httpStatus ? ` (HTTP ${evidence.httpStatus})` : ""}${evidence.vendorMessage ? `: ${oneLine(evidence.vendorMessage)}` : ""}`;
  const link: Block[] = page ? [{ type: "link", label: "Open the incident", href: page, primary: true }] : [];
  if (kind === "resolved") {
    const lasted = durationBetween(incident.openedAt, now);
    const blocks: Block[] = [
      { type: "p", text: `${region} works again. The incident lasted ${lasted} (${when(incident.openedAt)} to ${when(now)}).` },
      {
        type: "ul",
        items: [
          `${recovered} ${recovered === 1 ? "connection" : "connections"} recovered while it was open; at most ${incident.peakAffected} failed at once.`,
          failing > 0
            ? `${failing} still ${failing === 1 ? "fails" : "fail"}: each now alerts on its own, as usual, if it keeps failing.`
            : "None is still failing.",
        ],
      },
      ...link,
    ];
    return { kind: "email", subject: oneLine(`[Relink] Resolved: ${region} incident (${lasted})`), text: toText(blocks), html: toHtml(blocks) };
  }
  const blocks: Block[] = [
    {
      type: "p",
      text: `${region} is failing for ${failing} of ${Math.max(connections, failing)} clinics since ${when(incident.openedAt)}. It is the vendor's side: a new key will not help, so clinic admins are not emailed and their degraded alerts are grouped under this incident.`,
    },
    { type: "ul", items: [`First evidence: ${first}.`, `Most failing at once so far: ${Math.max(incident.peakAffected, failing)}.`] },
    {
      type: "p",
      text: "Probes continue at a reduced rate, with a few canaries every 30 seconds, so the recovery is seen within a minute. You will hear again when it resolves.",
    },
    ...link,
  ];
  const subject =
    kind === "opened" ? `[Relink] Incident: ${region} failing for ${failing} clinics` : `[Relink] Update: ${region} failing for ${failing} clinics`;
  return { kind: "email", subject: oneLine(subject), text: toText(blocks), html: toHtml(blocks) };
}
