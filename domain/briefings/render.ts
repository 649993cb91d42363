import { createElement as h, Fragment, type CSSProperties, type ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { briefingContent, briefingText, type BriefingContent, type BriefingEmailContext, type Figure, type Trend } from "./content.ts";
import type { BriefingReport } from "./report.ts";
/**
 * The weekly briefing email (issue 14, docs/decisions/0039-briefing-email.md): one pure function
 * from the report to subject, HTML and text. The HTML is written for mail clients, not browsers:
 * nested tables, inline styles (a <style> block only adds dark-mode overrides for clients that
 * honour it), a 600 px column (the width attribute for Outlook, max-width for the rest), system
 * fonts, and bars made of table cells with background colours — no SVG, script or remote image
 * besides the brand's optional logo. React renders it to a string: every vendor-supplied name is
 * escaped by construction.
 */
export type { BriefingEmailContext } from "./content.ts";
export interface BriefingEmail {
  subject: string;
  html: string;
  text: string;
}
export function renderBriefingEmail(report: BriefingReport, ctx: BriefingEmailContext): BriefingEmail {
  const content = briefingContent(report, ctx);
  const html = `<!DOCTYPE html>${renderToStaticMarkup(h(BriefingHtml, { c: content }))}`;
  return { subject: content.subject, html, text: briefingText(content) };
}
// ---- palette: light by default (inline), dark overrides by class where the client supports it
const C = {
  page: "#eef1f5",
  card: "#ffffff",
  tile: "#f6f8fb",
  line: "#d9dee7",
  fg: "#111827",
  muted: "#4b5563",
  good: "#047857",
  bad: "#b91c1c",
  bar: "#1d4ed8",
  barPrev: "#6b7280",
  ar: "#b45309",
  track: "#e5e7eb",
  lateBg: "#fff7e0",
  lateFg: "#713f12",
  lateLine: "#e0a526",
  link: "#1d4ed8",
};
const DARK: Record<string, string> = {
  "b-page": `background-color:#0b1220 !important`,
  "b-card": `background-color:#111827 !important`,
  "b-tile": `background-color:#1b2435 !important; border-color:#334155 !important`,
  "b-line": `border-color:#334155 !important`,
  "b-fg": `color:#f3f4f6 !important`,
  "b-muted": `color:#cbd5e1 !important`,
  "b-good": `color:#6ee7b7 !important`,
  "b-bad": `color:#fca5a5 !important`,
  "b-bar": `background-color:#60a5fa !important`,
  "b-bar-prev": `background-color:#94a3b8 !important`,
  "b-ar": `background-color:#f59e0b !important`,
  "b-track": `background-color:#334155 !important`,
  "b-late": `background-color:#3b2a06 !important; color:#fde68a !important; border-color:#a16207 !important`,
  "b-link": `color:#93c5fd !important`,
};
// why both selectors: Apple Mail and iOS honour prefers-color-scheme; Outlook.com marks its dark mode with [data-ogsc]/[data-ogsb]
const STYLE = [
  ":root{color-scheme:light dark;supported-color-schemes:light dark}",
  "@media (prefers-color-scheme:dark){" +
    Object.entries(DARK)
      .map(([k, v]) => `.${k}{${v}}`)
      .join("") +
    "}",
  Object.entries(DARK)
    .map(([k, v]) => `[data-ogsc] .${k},[data-ogsb] .${k}{${v}}`)
    .join(""),
  "@media (max-width:480px){.b-pad{padding-left:16px !important;padding-right:16px !important}.b-pad-grid{padding-left:8px !important;padding-right:8px !important}.b-big{font-size:22px !important}}",
].join("\n");
const FONT = `-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif`;
// why the font sits on cells and headings, not on every paragraph: Outlook resets it per table cell, everything
// else inherits it; repeating it on each element would push a 20-practitioner email towards Gmail's 102 KB clipping
const F: CSSProperties = { fontFamily: FONT };
const text = (size: number, color: string, extra: CSSProperties = {}): CSSProperties => ({
  fontSize: size,
  lineHeight: 1.45,
  color,
  margin: 0,
  ...extra,
});
function safeUrl(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url) ? url : null;
}
function Table({ children, style, className, label }: { children?: ReactNode; style?: CSSProperties; className?: string; label?: string }) {
  return h(
    "table",
    {
      role: label ? undefined : "presentation",
      "aria-label": label,
      width: "100%",
      cellPadding: 0,
      cellSpacing: 0,
      border: 0,
      className: className,
      style: { borderCollapse: "collapse", width: "100%", ...style },
    },
    h("tbody", null, children),
  );
}
/** A horizontal bar from two table cells: the filled share and the rest of the track. */
function Bar({ percent, kind }: { percent: number; kind: "now" | "prev" | "ar" }) {
  const px = kind === "prev" ? 6 : 10;
  const fill = kind === "now" ? C.bar : kind === "prev" ? C.barPrev : C.ar;
  const cls = kind === "now" ? "b-bar" : kind === "prev" ? "b-bar-prev" : "b-ar";
  const cell = (bg: string, className: string, width: number) =>
    h(
      "td",
      {
        width: `${width}%`,
        height: px,
        className: className,
        "data-bar": className === "b-track" ? undefined : kind,
        style: { backgroundColor: bg, height: px, fontSize: 0, lineHeight: `${px}px` },
      },
      "\u00a0",
    );
  return h(
    "table",
    {
      role: "presentation",
      "aria-hidden": "true",
      width: "100%",
      cellPadding: 0,
      cellSpacing: 0,
      border: 0,
      style: { borderCollapse: "collapse", width: "100%", margin: "3px 0" },
    },
    h("tbody", null, h("tr", null, percent > 0 ? cell(fill, cls, percent) : null, percent < 100 ? cell(C.track, "b-track", 100 - percent) : null)),
  );
}
function Arrow({ trend, tone }: { trend: Trend | null; tone: Figure["tone"] }) {
  if (!trend) return null;
  const colour = tone === "good" ? C.good : tone === "bad" ? C.bad : C.muted;
  const cls = tone === "good" ? "b-good" : tone === "bad" ? "b-bad" : "b-muted";
  const word = trend === "up" ? "up" : trend === "down" ? "down" : "same";
  return h(
    "span",
    { className: cls, style: { color: colour, fontWeight: 600 } },
    h("span", { "aria-hidden": "true" }, trend === "up" ? "▲" : trend === "down" ? "▼" : "="),
    " ",
    word,
  );
}
function Heading({ children, level = 2 }: { children?: ReactNode; level?: 1 | 2 }) {
  const style =
    level === 1
      ? text(24, C.fg, { fontWeight: 700, lineHeight: 1.25, margin: "0 0 4px" })
      : text(18, C.fg, { ...F, fontWeight: 700, lineHeight: 1.3, margin: "0 0 10px" });
  return level === 1 ? h("h1", { className: "b-fg", style: style }, children) : h("h2", { className: "b-fg", style: style }, children);
}
function Sup({ n }: { n: number }) {
  return h("sup", { className: "b-muted", style: { fontSize: 11, lineHeight: 0, color: C.muted } }, " ", n);
}
/** One block of the card, padded; a rule above separates sections. */
function Section({ children, rule = true, bottom = 20 }: { children?: ReactNode; rule?: boolean; bottom?: number }) {
  return h(
    "tr",
    null,
    h("td", { className: "b-pad b-line", style: { ...F, padding: `20px 28px ${bottom}px`, borderTop: rule ? `1px solid ${C.line}` : "none" } }, children),
  );
}
// why the tile is the cell itself (border-spacing between cells): tiles of one row come out the same height in every client
function FigureTile({ f, history }: { f: Figure; history: boolean }) {
  return h(
    "td",
    {
      width: "50%",
      valign: "top",
      className: "b-tile",
      "data-figure": f.key,
      style: { ...F, width: "50%", verticalAlign: "top", padding: "10px 12px", backgroundColor: C.tile, border: `1px solid ${C.line}`, borderRadius: 8 },
    },
    h("p", { className: "b-muted", style: text(13, C.muted, { fontWeight: 600 }) }, f.label, h(Sup, { n: f.footnote })),
    h("p", { className: "b-fg b-big", style: text(24, C.fg, { fontWeight: 700, lineHeight: 1.2, margin: "2px 0" }) }, f.value),
    f.previous !== null
      ? h(
          "p",
          { className: "b-muted", style: text(13, C.muted) },
          h(Arrow, { trend: f.trend, tone: f.tone }),
          f.change && f.trend !== "same" ? ` ${f.change}` : "",
          " \u00B7 avg",
          "\u00a0",
          f.previous,
        )
      : history
        ? h("p", { className: "b-muted", style: text(13, C.muted) }, "no earlier weeks yet")
        : null,
    f.sub ? h("p", { className: "b-muted", style: text(12, C.muted, { marginTop: 2 }) }, f.sub) : null,
  );
}
function Figures({ figures }: { figures: Figure[] }) {
  const history = figures.some((f) => f.previous !== null);
  const rows: Figure[][] = [];
  for (let i = 0; i < figures.length; i += 2) rows.push(figures.slice(i, i + 2));
  return h(
    "table",
    { role: "presentation", width: "100%", cellPadding: 0, cellSpacing: 8, border: 0, style: { borderCollapse: "separate", borderSpacing: 8, width: "100%" } },
    h(
      "tbody",
      null,
      rows.map((pair) =>
        h(
          "tr",
          { key: pair[0]!.key },
          pair.map((f) => h(FigureTile, { key: f.key, f: f, history: history })),
          pair.length === 1 ? h("td", { width: "50%" }) : null,
        ),
      ),
    ),
  );
}
function Actions({ c }: { c: BriefingContent }) {
  return h(
    Fragment,
    null,
    h(Heading, null, c.actions.length === 3 ? "Three actions for this week" : c.actions.length ? "Actions for this week" : "No actions this week"),
    c.actions.length
      ? h(
          "ol",
          { style: { margin: 0, padding: "0 0 0 22px" } },
          c.actions.map((a) =>
            h(
              "li",
              { key: a.rule, className: "b-fg", style: text(15, C.fg, { margin: "0 0 12px", paddingLeft: 4 }) },
              h("strong", null, a.title),
              h("br", null),
              h("span", { className: "b-muted", style: { color: C.muted, fontSize: 14 } }, a.detail),
            ),
          ),
        )
      : null,
    c.fewerActionsReason ? h("p", { className: "b-muted", "data-fewer-actions": "", style: text(14, C.muted) }, c.fewerActionsReason) : null,
  );
}
function Legend({ items }: { items: Array<[string, string, string]> }) {
  return h(
    "table",
    { role: "presentation", cellPadding: 0, cellSpacing: 0, border: 0, style: { borderCollapse: "collapse", margin: "0 0 8px" } },
    h(
      "tbody",
      null,
      h(
        "tr",
        null,
        items.map(([label, colour, cls]) => [
          h(
            "td",
            {
              key: `${label}-swatch`,
              width: 12,
              height: 10,
              className: cls,
              style: { width: 12, height: 10, backgroundColor: colour, fontSize: 0, lineHeight: "10px" },
            },
            "\u00a0",
          ),
          h("td", { key: label, className: "b-muted", style: text(12, C.muted, { ...F, padding: "0 14px 0 6px" }) }, label),
        ]),
      ),
    ),
  );
}
function Practitioners({ c }: { c: BriefingContent }) {
  const th: CSSProperties = text(12, C.muted, { ...F, fontWeight: 600, textAlign: "left", padding: "0 8px 6px 0", borderBottom: `1px solid ${C.line}` });
  const td: CSSProperties = { ...F, padding: "10px 8px 10px 0", verticalAlign: "top", borderBottom: `1px solid ${C.line}` };
  return h(
    Fragment,
    null,
    h(Heading, null, "Practitioners"),
    h(Legend, {
      items: [
        ["Utilisation this week", C.bar, "b-bar"],
        ...(c.practitioners.some((p) => p.barPrevious !== null) ? [["Previous average", C.barPrev, "b-bar-prev"] as [string, string, string]] : []),
      ],
    }),
    h(
      Table,
      { label: "Utilisation and invoiced value per practitioner" },
      h(
        "tr",
        null,
        h("th", { scope: "col", className: "b-muted b-line", style: { ...th, width: "38%" } }, "Practitioner"),
        h("th", { scope: "col", className: "b-muted b-line", style: { ...th, width: "34%" } }, "Utilisation", h(Sup, { n: c.practitionerFootnote })),
        h("th", { scope: "col", className: "b-muted b-line", style: { ...th, width: "28%", textAlign: "right", paddingRight: 0 } }, "Invoiced"),
      ),
      c.practitioners.map((p, i) =>
        h(
          "tr",
          { key: i, "data-practitioner": "" },
          h(
            "th",
            { scope: "row", className: "b-line", style: { ...td, textAlign: "left", fontWeight: "normal" } },
            h(
              "p",
              { className: "b-fg", style: text(14, C.fg, { fontWeight: 600 }) },
              p.name,
              p.configuredHours ? h("span", { title: "Configured working hours" }, " †") : null,
            ),
            h("p", { className: "b-muted", style: text(12, C.muted) }, p.counts),
          ),
          h(
            "td",
            { className: "b-line", style: td },
            h(
              "p",
              { className: "b-fg", style: text(14, C.fg) },
              h("strong", null, p.utilisation),
              " ",
              p.utilisationPrevious !== null
                ? h(
                    "span",
                    { className: "b-muted", style: { color: C.muted, fontSize: 12 } },
                    h(Arrow, { trend: p.trend, tone: p.tone }),
                    " \u00B7 avg",
                    "\u00a0",
                    p.utilisationPrevious,
                  )
                : null,
            ),
            p.bar !== null ? h(Bar, { percent: p.bar, kind: "now" }) : null,
            p.barPrevious !== null ? h(Bar, { percent: p.barPrevious, kind: "prev" }) : null,
          ),
          h(
            "td",
            { className: "b-line", style: { ...td, textAlign: "right", paddingRight: 0 } },
            h("p", { className: "b-fg", style: text(14, C.fg, { fontWeight: 600 }) }, p.revenue),
            p.perHour ? h("p", { className: "b-muted", style: text(12, C.muted) }, p.perHour) : null,
            p.revenuePrevious !== null ? h("p", { className: "b-muted", style: text(12, C.muted) }, "avg ", p.revenuePrevious) : null,
          ),
        ),
      ),
    ),
  );
}
function Receivables({ c }: { c: BriefingContent }) {
  return h(
    Fragment,
    null,
    h(Heading, null, "Accounts receivable"),
    h(
      "p",
      { className: "b-fg", style: text(14, C.fg, { margin: "0 0 10px" }) },
      h("strong", null, c.ar.openTotal),
      " open \u00B7 AR rate ",
      h("strong", null, c.ar.rate),
      h(Sup, { n: 2 }),
    ),
    h(
      Table,
      { label: "Open invoices by age" },
      h(
        "tr",
        null,
        h(
          "th",
          { scope: "col", className: "b-muted", style: text(12, C.muted, { ...F, fontWeight: 600, textAlign: "left", width: "24%", paddingBottom: 4 }) },
          "Age",
          h(Sup, { n: c.ar.footnote }),
        ),
        h(
          "th",
          { scope: "col", className: "b-muted", style: text(12, C.muted, { ...F, fontWeight: 600, textAlign: "left", width: "40%", paddingBottom: 4 }) },
          "Share of open value",
        ),
        h(
          "th",
          { scope: "col", className: "b-muted", style: text(12, C.muted, { ...F, fontWeight: 600, textAlign: "right", width: "36%", paddingBottom: 4 }) },
          "Open",
        ),
      ),
      c.ar.rows.map((r) =>
        h(
          "tr",
          { key: r.label, "data-ar-bucket": "" },
          h(
            "th",
            {
              scope: "row",
              className: "b-fg",
              style: text(14, C.fg, { ...F, fontWeight: 600, textAlign: "left", padding: "5px 8px 5px 0", whiteSpace: "nowrap" }),
            },
            r.label,
          ),
          h("td", { style: { padding: "5px 8px 5px 0", verticalAlign: "middle" } }, h(Bar, { percent: r.share, kind: "ar" })),
          h(
            "td",
            { className: "b-fg", style: text(14, C.fg, { ...F, textAlign: "right", padding: "5px 0" }) },
            r.amount,
            " ",
            h("span", { className: "b-muted", style: { color: C.muted, fontSize: 12 } }, "(", r.count, ")"),
          ),
        ),
      ),
    ),
    c.ar.partialPaymentsNote
      ? h("p", { className: "b-muted", "data-partial-payments": "", style: text(13, C.muted, { marginTop: 10 }) }, c.ar.partialPaymentsNote)
      : null,
  );
}
function BriefingHtml({ c }: { c: BriefingContent }) {
  const logo = safeUrl(c.logoUrl);
  const setupUrl = safeUrl(c.setupUrl);
  return h(
    "html",
    { lang: "en", dir: "ltr" },
    h(
      "head",
      null,
      h("meta", { charSet: "utf-8" }),
      h("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
      h("meta", { name: "x-apple-disable-message-reformatting" }),
      h("meta", { name: "color-scheme", content: "light dark" }),
      h("meta", { name: "supported-color-schemes", content: "light dark" }),
      h("title", null, c.subject),
      h("style", { dangerouslySetInnerHTML: { __html: STYLE } }),
    ),
    h(
      "body",
      { className: "b-page", style: { ...F, margin: 0, padding: 0, backgroundColor: C.page, width: "100%" } },
      h(
        "div",
        { style: { display: "none", maxHeight: 0, overflow: "hidden", opacity: 0, fontSize: 1, lineHeight: "1px", msoHide: "all" } as CSSProperties },
        c.preheader,
        "\u00a0\u200c".repeat(60),
      ),
      h(
        Table,
        { className: "b-page", style: { backgroundColor: C.page } },
        h(
          "tr",
          null,
          h(
            "td",
            { align: "center", style: { padding: "24px 8px" } },
            h(
              "table",
              {
                role: "presentation",
                width: 600,
                cellPadding: 0,
                cellSpacing: 0,
                border: 0,
                className: "b-card",
                style: { borderCollapse: "collapse", width: "100%", maxWidth: 600, backgroundColor: C.card, borderRadius: 10 },
              },
              h(
                "tbody",
                null,
                h(
                  "tr",
                  null,
                  h(
                    "td",
                    { className: "b-pad", style: { ...F, padding: "20px 28px 0" } },
                    h(
                      "p",
                      { className: "b-muted", style: text(14, C.muted, { fontWeight: 600 }) },
                      logo
                        ? h("img", { src: logo, alt: c.productName, width: 28, height: 28, style: { verticalAlign: "middle", marginRight: 8, border: 0 } })
                        : null,
                      logo ? null : c.productName,
                      logo ? h("span", { style: { verticalAlign: "middle" } }, c.productName) : null,
                    ),
                  ),
                ),
                c.late
                  ? h(
                      "tr",
                      null,
                      h(
                        "td",
                        { className: "b-pad", style: { ...F, padding: "14px 28px 0" } },
                        h(
                          "p",
                          {
                            className: "b-late",
                            "data-late": "",
                            role: "note",
                            style: text(14, C.lateFg, { backgroundColor: C.lateBg, border: `1px solid ${C.lateLine}`, borderRadius: 6, padding: "10px 12px" }),
                          },
                          h("strong", null, "Late briefing."),
                          " ",
                          c.late,
                        ),
                      ),
                    )
                  : null,
                h(
                  Section,
                  { rule: false, bottom: 6 },
                  h(Heading, { level: 1 }, c.title),
                  h("p", { className: "b-fg", style: text(15, C.fg, { fontWeight: 600 }) }, c.week),
                  h("p", { className: "b-muted", style: text(13, C.muted, { margin: "2px 0 0" }) }, c.comparison),
                ),
                h("tr", null, h("td", { className: "b-pad-grid", style: { padding: "0 20px 12px" } }, h(Figures, { figures: c.figures }))),
                h(Section, null, h(Actions, { c: c })),
                h(Section, null, h(Practitioners, { c: c })),
                h(Section, null, h(Receivables, { c: c })),
                c.notes.length
                  ? h(
                      Section,
                      null,
                      h(Heading, null, "Notes"),
                      h(
                        "ul",
                        { style: { margin: 0, padding: "0 0 0 20px" } },
                        c.notes.map((n, i) => h("li", { key: i, className: "b-fg", style: text(14, C.fg, { margin: "0 0 6px" }) }, n)),
                      ),
                    )
                  : null,
                h(
                  Section,
                  null,
                  h(Heading, null, "How these figures are defined"),
                  h(
                    "ol",
                    { style: { margin: 0, padding: "0 0 0 20px" } },
                    c.footnotes.map((f, i) => h("li", { key: i, className: "b-muted", style: text(12, C.muted, { margin: "0 0 6px" }) }, f)),
                  ),
                ),
                h(
                  Section,
                  null,
                  h("p", { className: "b-muted", style: text(12, C.muted) }, c.dataAsOf),
                  setupUrl
                    ? h(
                        "p",
                        { className: "b-muted", style: text(12, C.muted, { marginTop: 6 }) },
                        h("a", { href: setupUrl, className: "b-link", style: { color: C.link, textDecoration: "underline" } }, "Change recipients or settings"),
                      )
                    : null,
                  c.contact ? h("p", { className: "b-muted", style: text(12, C.muted, { marginTop: 6 }) }, c.contact) : null,
                  h("p", { className: "b-muted", style: text(12, C.muted, { marginTop: 6 }) }, "Sent by ", c.productName, "."),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
