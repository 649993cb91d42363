import type { Playbook, FailureInfo } from "../../../domain/health/taxonomy.ts";
import { CopyButton } from "../../components/copy-button.tsx";
import { type Vendor, VENDOR_LABELS } from "../../../domain/vocabulary.ts";

/** The guided fix for the connection's failure: support steps, the clinic's steps, what to tell them. */
export function PlaybookCard({ playbook, info, vendor }: { playbook: Playbook; info: FailureInfo; vendor: Vendor | null }) {
  return (
    <section className="card" aria-labelledby="pb-h" id="playbook">
      <h2 id="pb-h">Playbook: {info.title}</h2>
      <p>
        <strong>First:</strong> {info.suggestedAction}
      </p>
      <h3>Support steps</h3>
      <ol className="steps">
        {playbook.supportSteps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      {playbook.clinicSteps.length ? (
        <>
          <h3>What the clinic does in {vendor ? VENDOR_LABELS[vendor] : "their system"}</h3>
          <ol className="steps">
            {playbook.clinicSteps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        </>
      ) : null}
      <h3>Tell the clinic</h3>
      <blockquote className="tell">{playbook.tellClinic}</blockquote>
      <CopyButton text={playbook.tellClinic} label="Copy message" />
    </section>
  );
}

/** The escalation packet as text, ready to paste into the vendor's support form. */
export function PacketCard({ packet }: { packet: string }) {
  return (
    <section className="card" aria-labelledby="esc-h">
      <h2 id="esc-h">Escalation packet</h2>
      <pre className="packet">{packet}</pre>
      <CopyButton text={packet} label="Copy packet" />
    </section>
  );
}
