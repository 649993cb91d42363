import { describe, expect, it } from "vitest";
import {
  briefingReport,
  fewerActionsReport,
  hostileReport,
  lateBriefing,
  noHistoryReport,
  nookalReport,
  usdReport,
} from "../../tests/support/briefing-report-fixture.ts";
import { DEFAULT_BRAND, type Brand } from "../brand.ts";
import { renderBriefingEmail } from "./render.ts";
import type { BriefingReport } from "./report.ts";

const brand: Brand = {
  productName: "Clinic Connect",
  logoUrl: null,
  supportEmail: "help@clinic-connect.example",
  supportUrl: "https://help.clinic-connect.example",
};
const render = (report: BriefingReport, extra: Partial<Parameters<typeof renderBriefingEmail>[1]> = {}) =>
  renderBriefingEmail(report, { brand, vendor: "cliniko", setupUrl: "https://console.clinic-connect.example/clinics/x/briefing", ...extra });

/** The HTML's text as a reader sees it: tags dropped, entities decoded. */
function visible(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(#x?[0-9a-f]+|amp|lt|gt|quot|nbsp);/gi, (_, e: string) =>
      e === "amp"
        ? "&"
        : e === "lt"
          ? "<"
          : e === "gt"
            ? ">"
            : e === "quot"
              ? '"'
              : e === "nbsp"
                ? " "
                : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
    )
    .replace(/[\s\u00a0]+/g, " ");
}
const headings = (html: string, level: 1 | 2) =>
  [...html.matchAll(new RegExp(`<h${level}[^>]*>([\\s\\S]*?)</h${level}>`, "g"))].map((m) => visible(m[1]!).trim());

describe("renderBriefingEmail", () => {
  it("puts utilisation and invoiced value in the subject, rounded to whole currency", () => {
    expect(render(briefingReport).subject).toBe("Your week at Harbourside Physio & Pilates: 68% utilisation, $12,400 invoiced");
    expect(render(lateBriefing.report, { late: lateBriefing.late }).subject).toBe(
      "Late: Your week at Harbourside Physio & Pilates: 68% utilisation, $12,400 invoiced",
    );
  });

  it("has every section, in order, under semantic headings, in an html element with a language", () => {
    const { html } = render(briefingReport);
    expect(html.startsWith('<!DOCTYPE html><html lang="en"')).toBe(true);
    expect(headings(html, 1)).toEqual(["Your week at Harbourside Physio & Pilates"]);
    expect(headings(html, 2)).toEqual(["Three actions for this week", "Practitioners", "Accounts receivable", "Notes", "How these figures are defined"]);
    expect(html).toContain("<title>Your week at Harbourside Physio &amp; Pilates: 68% utilisation, $12,400 invoiced</title>");
    expect(visible(html)).toContain("Week of Mon 30 Nov – Sun 6 Dec 2026");
  });

  it("shows each headline figure beside the previous four-week average with its direction", () => {
    const page = visible(render(briefingReport).html);
    for (const expected of [
      "Utilisation 1 68% ▼ down 3 pts · avg 71%",
      "AR rate 2 3.8% ▲ up 0.7 pts · avg 3.1%",
      "Invoiced 3 $12,400.00 ▼ down · avg $12,935.00",
      "Revenue per attended hour 4 $164.17 ▲ up · avg $160.66",
      "Did not arrive 5 4.5% ▲ up 0.9 pts · avg 3.6%",
      "Cancellations 6 9.1% ▲ up 2.0 pts · avg 7.1%",
      "Late cancellations 6 3.4% ▲ up 1.2 pts · avg 2.2%",
      "New patients 7 11 ▲ up 2 · avg 9",
      "Rebooking rate 8 68% ▼ down 4 pts · avg 72%",
    ])
      expect(page).toContain(expected);
    expect(page).toContain("Each figure beside your average of the previous 4 weeks.");
  });

  it("colours a change by whether it is good for the clinic, not by its direction", () => {
    const { html } = render(briefingReport);
    const tile = (key: string) => html.slice(html.indexOf(`data-figure="${key}"`), html.indexOf("</td>", html.indexOf(`data-figure="${key}"`)));
    expect(tile("newPatients")).toContain('class="b-good"'); // up is good
    expect(tile("dnaRate")).toContain('class="b-bad"'); // up is bad
    expect(tile("utilisation")).toContain('class="b-bad"'); // down is bad
  });

  it("lists exactly the report's three actions, numbered in the report's order", () => {
    const { html, text } = render(briefingReport);
    const items = [...html.matchAll(/<li[^>]*><strong>([\s\S]*?)<\/strong>/g)].map((m) => visible(m[1]!).trim());
    expect(items).toEqual(briefingReport.actions.map((a) => a.title));
    briefingReport.actions.forEach((a, i) => expect(text).toContain(`${i + 1}. ${a.title}\n   ${a.detail}`));
    expect(text).not.toContain("4. ");
  });

  it("says why when the data supports fewer than three actions", () => {
    const { html, text } = render(fewerActionsReport);
    expect(headings(html, 2)[0]).toBe("Actions for this week");
    expect([...html.matchAll(/<li[^>]*><strong>/g)]).toHaveLength(1);
    expect(visible(html)).toContain(fewerActionsReport.fewerActionsReason!);
    expect(text).toContain(`1. ${fewerActionsReport.actions[0]!.title}`);
    expect(text).toContain(fewerActionsReport.fewerActionsReason!);
    const none = render({ ...fewerActionsReport, actions: [], fewerActionsReason: "Nothing stood out." });
    expect(headings(none.html, 2)[0]).toBe("No actions this week");
    expect(none.text).toContain("No actions this week. Nothing stood out.");
  });

  it("states each metric's definition in numbered footnotes, in both parts", () => {
    const { html, text } = render(briefingReport);
    const notes = [...html.slice(html.indexOf("How these figures are defined")).matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => visible(m[1]!));
    expect(notes.map((n) => n.split(":")[0])).toEqual([
      "Utilisation",
      "AR rate",
      "Invoiced",
      "Revenue per attended hour",
      "Did not arrive",
      "Cancellations",
      "New patients",
      "Rebooking rate",
      "AR ageing",
      "Previous",
    ]);
    expect(notes[0]).toContain("attended and did-not-arrive appointments");
    expect(notes[0]).toContain("daily availability + availability blocks − unavailable blocks, in Australia/Melbourne time");
    expect(notes[0]).toContain("(marked †)");
    expect(notes[1]).toContain("last 12 weeks");
    expect(notes[2]).toContain("invoices issued this week (by issue date), paid and open");
    expect(notes[2]).toContain("Cliniko's transactions list dates them and its practitioner performance report counts revenue");
    expect(notes[7]).toContain("as Cliniko's rebook rate");
    notes.forEach((n, i) => expect(text).toContain(`[${i + 1}] ${n.trim()}`));
  });

  it("shows each practitioner's utilisation as bars against the previous average, and AR buckets as bars", () => {
    const { html } = render(briefingReport);
    const widths = (kind: string) => [...html.matchAll(new RegExp(`<td width="(\\d+)%"[^>]*data-bar="${kind}"`, "g"))].map((m) => Number(m[1]));
    expect(widths("now")).toEqual([81, 52, 77, 63]);
    expect(widths("prev")).toEqual([75, 71, 72, 61]);
    expect(widths("ar")).toEqual([41, 24, 11, 24]);
    expect(html).not.toMatch(/<svg|<script|<img/i);
    const page = visible(html);
    expect(page).toContain("Dr Priya Patel 33 attended · 3 DNA · 7 cancelled (4 late) 52% ▼ down · avg 71%");
    expect(page).toContain("Sam Nguyen †");
  });

  it("says partial payments are not visible for Cliniko, and not for a Nookal clinic that has payments", () => {
    expect(visible(render(briefingReport).html)).toContain("Partial payments are not visible: Cliniko does not share payments with Clinic Connect");
    const nookal = render(nookalReport, { vendor: "nookal" });
    expect(nookal.html).not.toContain("data-partial-payments");
    expect(nookal.text).not.toContain("Partial payments are not visible");
    expect(nookal.text).toContain("as Nookal's ageing debts report");
    expect(nookal.text).not.toContain("Cliniko");
  });

  it("marks a held-then-sent briefing as late at the top, with the due time in the clinic's zone", () => {
    const { html, text } = render(lateBriefing.report, { late: lateBriefing.late });
    expect(html.indexOf("data-late")).toBeGreaterThan(-1);
    expect(html.indexOf("data-late")).toBeLessThan(html.indexOf("<h1"));
    expect(visible(html)).toContain("Late briefing. It was due Mon 7 Dec, 07:00");
    expect(text.split("\n").slice(0, 6).join("\n")).toContain("LATE BRIEFING. It was due Mon 7 Dec, 07:00");
    expect(render(briefingReport).html).not.toContain("data-late");
  });

  it("reads sensibly for a first briefing with no history", () => {
    const { html, text } = render(noHistoryReport);
    expect(visible(html)).toContain("No earlier weeks to compare with yet.");
    expect(visible(html)).not.toContain("no earlier weeks yet");
    expect(visible(html)).not.toContain("Previous average");
    const mixed = render({ ...briefingReport, totals: { ...briefingReport.totals, newPatients: { value: 11, previous: null } } });
    expect(visible(mixed.html)).toContain("New patients 7 11 no earlier weeks yet");
    expect(html).not.toContain('data-bar="prev"');
    expect(html).not.toMatch(/[▲▼]/);
    expect(text).toContain("- Utilisation: 68% — 80.8 h booked of 118 h available [1]");
  });

  it("carries the same figures, actions, notes and footnotes in the plain-text part", () => {
    const { text } = render(briefingReport);
    expect(text).not.toMatch(/<[a-z]/i);
    for (const s of [
      "Week of Mon 30 Nov – Sun 6 Dec 2026",
      "- Utilisation: 68% (▼ down 3 pts from 71% avg)",
      "- Invoiced: $12,400.00 (▼ down from $12,935.00 avg)",
      "- Dr Priya Patel: utilisation 52% (avg 71%); 33 attended · 3 DNA · 7 cancelled (4 late); invoiced $2,970.00 ($180.00 per attended hour)",
      "- 90+ days: $1,380.00 (2 invoices)",
      "Partial payments are not visible",
      "- Configured working hours stood in for Sam Nguyen",
      "Figures from your practice system as of Mon 7 Dec, 06:42 (Australia/Melbourne).",
      "Change recipients or settings: https://console.clinic-connect.example/clinics/x/briefing",
      "Questions? Contact Clinic Connect support: help@clinic-connect.example · https://help.clinic-connect.example",
    ])
      expect(text).toContain(s);
  });

  it("escapes vendor-supplied names in the HTML and keeps them inert text in the plain part", () => {
    const { html, text, subject } = render(hostileReport);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;clinic&quot;)&lt;/script&gt; &amp; Co");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;Dr&#x27; Bad");
    expect(visible(html)).toContain(`<img src=x onerror=alert(1)>"Dr' Bad`);
    // text/plain is never interpreted: the name is shown as typed
    expect(text).toContain(`Your week at <script>alert("clinic")</script> & Co`);
    expect(subject).toBe(`Your week at <script>alert("clinic")</script> & Co: 68% utilisation, $12,400 invoiced`);
    const forged = render({ ...briefingReport, clinicName: "Evil\r\nBcc: victim@example.com" });
    expect(forged.subject).not.toMatch(/[\r\n]/);
  });

  it("formats money in the report's currency from the exact decimal strings", () => {
    expect(visible(render(briefingReport).html)).toContain("$5,040.00");
    const gbp = render(nookalReport, { vendor: "nookal" });
    expect(gbp.subject).toBe("Your week at Camden Sports Therapy: 68% utilisation, £12,400 invoiced");
    expect(gbp.text).toContain("- Invoiced: £12,400.00 (▼ down from £12,935.00 avg)");
    expect(gbp.text).toContain("in GBP");
    const usd = render(usdReport);
    expect(usd.text).toContain("invoiced $3,190.50 ($145.02 per attended hour)");
    // an amount no float can hold survives to the cent
    const big = render({ ...briefingReport, totals: { ...briefingReport.totals, revenue: { value: "90071992547409.93", previous: null } } });
    expect(big.text).toContain("- Invoiced: $90,071,992,547,409.93");
  });

  it("never says Relink, in any variant, and signs with the configured brand", () => {
    const variants = [
      render(briefingReport),
      render(lateBriefing.report, { late: lateBriefing.late }),
      render(noHistoryReport, { vendor: null }),
      render(fewerActionsReport),
      render(nookalReport, { vendor: "nookal" }),
      renderBriefingEmail(briefingReport, { brand: DEFAULT_BRAND }),
    ];
    for (const e of variants) expect(`${e.subject}\n${e.html}\n${e.text}`).not.toMatch(/relink/i);
    expect(render(briefingReport).text).toContain("Sent by Clinic Connect.");
  });

  it("shows the brand's logo with alt text, and drops a logo or link that is not http(s)", () => {
    const withLogo = renderBriefingEmail(briefingReport, { brand: { ...brand, logoUrl: "https://cdn.vendor.example/logo.png" } });
    expect(withLogo.html).toContain('<img src="https://cdn.vendor.example/logo.png" alt="Clinic Connect" width="28" height="28"');
    const hostile = renderBriefingEmail(briefingReport, { brand: { ...brand, logoUrl: "javascript:alert(1)" }, setupUrl: "javascript:alert(2)" });
    expect(hostile.html).not.toContain("javascript:");
  });

  it("has a hidden preheader with the week and the top action", () => {
    const { html } = render(briefingReport);
    const pre = html.match(/<div style="display:none[^"]*">([^<]*)/)?.[1] ?? "";
    expect(pre).toContain("Week of Mon 30 Nov – Sun 6 Dec 2026. Utilisation 68%. Top action: Chase the 14 invoices over 30 days");
  });

  it("stays well under Gmail's 102 KB clipping size for a 20-practitioner clinic", () => {
    const many = { ...briefingReport, practitioners: Array.from({ length: 20 }, (_, i) => ({ ...briefingReport.practitioners[i % 4]!, id: `p${i}` })) };
    expect(Buffer.byteLength(render(many).html)).toBeLessThan(90_000);
  });
});
