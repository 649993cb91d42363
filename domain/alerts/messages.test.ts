import { describe, expect, it } from "vitest";
import { buildEscalationPacket } from "../health/escalation.ts";
import { renderEmail, type MessageContext } from "./messages.ts";

const at = new Date("2026-03-02T09:00:00Z");
const packet = buildEscalationPacket({
  organisationName: "Harbour <Physio> & Co\nInjected: line",
  vendor: "nookal",
  region: "eu",
  apiVersion: "v3",
  state: "action_required",
  failureCode: "permission_denied",
  evidence: { kind: "vendor_failure", vendorMessage: "Access to Clinical Notes denied" },
  keyHint: "••••a1b2 (eu)",
  keyUpdatedAt: null,
  firstFailureAt: at,
  lastSuccessAt: null,
});
const alert = {
  id: "a1",
  kind: "connection_needs_action" as const,
  status: "open" as const,
  count: 1,
  firstSeenAt: at,
  lastSeenAt: at,
  resolvedAt: null,
  packet,
};
const ctx: MessageContext = {
  event: "opened",
  notificationId: "n1",
  clinic: { id: "c1", name: packet.organisationName, adminName: "Sam" },
  connectionId: "k1",
  packet,
  alerts: [alert],
  now: at,
  consoleUrl: "https://relink.test/",
};

describe("alert messages", () => {
  it("tell support what to do, with the vendor's playbook and the escalation packet", () => {
    const m = renderEmail(ctx, "support");
    expect(m.subject).toBe("[Relink] Harbour <Physio> & Co Injected: line: Permission denied (Nookal)");
    expect(m.text).toContain("Suggested action: Ask the clinic admin to grant the missing access");
    expect(m.text).toContain("tick the missing access (Clinical Notes)");
    expect(m.text).toContain('Exact error: Nookal answered status "failure": Access to Clinical Notes denied');
    expect(m.text).toContain("Open in Relink: https://relink.test/clinics/c1");
  });

  it("tell the clinic in plain words with its own steps, without the support packet", () => {
    const m = renderEmail(ctx, "clinic_admin");
    expect(m.text).toMatch(/^Hello Sam,/);
    expect(m.text).toContain("Enable Clinical Notes access");
    expect(m.text).not.toContain("Escalation");
    expect(m.text).not.toContain("Exact error");
  });

  it("tell the clinic a held account change needs nothing from them, and support what to do", () => {
    const heldPacket = { ...packet, failureCode: null, failureTitle: "A key for a different account (Coogee Sports Physio) is waiting for support to confirm" };
    const held = { ...ctx, packet: heldPacket, alerts: [{ ...alert, kind: "account_change_pending" as const, packet: heldPacket }] };
    const clinic = renderEmail(held, "clinic_admin");
    expect(clinic.subject).toBe("We are checking your new Nookal key — Harbour <Physio> & Co Injected: line");
    expect(clinic.text).toContain("Nothing to do on your side");
    expect(clinic.text).not.toMatch(/Action needed|Relink/);
    expect(renderEmail(held, "support").text).toContain("waiting for support to confirm");
  });

  it("escape HTML and keep subjects on one line", () => {
    const m = renderEmail(ctx, "support");
    expect(m.html).toContain("Harbour &lt;Physio&gt; &amp; Co");
    expect(m.html).not.toContain("<Physio>");
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it("say once, for all resolved alerts, that the connection recovered", () => {
    const healthy = { ...packet, state: "healthy" as const, failureCode: null, failureTitle: null };
    const recovered: MessageContext = {
      ...ctx,
      event: "recovered",
      packet: healthy,
      now: new Date(at.getTime() + 90 * 60_000),
      alerts: [
        { ...alert, status: "resolved", count: 4, resolvedAt: at },
        { ...alert, id: "a2", kind: "degraded_too_long", status: "resolved", count: 2, resolvedAt: at },
      ],
    };
    const m = renderEmail(recovered, "support");
    expect(m.subject).toMatch(/^\[Relink\] Recovered: /);
    expect(m.text).toContain("seen 4 times");
    expect(m.text).toContain("Trouble lasted 1 h 30 min");
    expect(renderEmail(recovered, "clinic_admin").text).toContain("works again");
  });
});
