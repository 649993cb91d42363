import type { ReactNode } from "react";
import { brandContactLine, type Brand } from "../../domain/brand.ts";

/**
 * The frame of every reconnect page: the vendor's own product name (and logo) in a quiet header,
 * one narrow column, a privacy footer with the vendor's support contact. Never "Relink": a page
 * asking for an API key under a name the clinic does not know reads as phishing (decision 0027).
 */
export function ReconnectShell({ brand, expiresText, children }: { brand: Brand; expiresText?: string | null; children: ReactNode }) {
  const contact = brandContactLine(brand);
  return (
    <main id="main" className="rc">
      <header className="rc-head">
        <span className="rc-brand">
          {brand.logoUrl ? <img className="rc-logo" src={brand.logoUrl} alt="" width={28} height={28} /> : null}
          {brand.productName}
        </span>
        <span className="rc-secure">Secure reconnect page</span>
      </header>
      {children}
      <footer className="rc-foot">
        <p>
          This page is private to your clinic: please do not forward the link. It works once{expiresText ? `, until ${expiresText}` : ""}. Your key is sent
          straight to a secure server and is never shown again.
        </p>
        {contact ? <p className="rc-contact">{contact}</p> : null}
      </footer>
    </main>
  );
}

/** Shown for expired, used, replaced and unknown links alike: one wording, so links cannot be probed. */
/** A link no longer needed: the connection already works again (someone used a newer link, support fixed it). */
export function ReconnectFixed({ brand, clinicName, vendorLabel }: { brand: Brand; clinicName: string; vendorLabel: string }) {
  return (
    <ReconnectShell brand={brand}>
      <section className="rc-card rc-fixed" aria-labelledby="fixed-h">
        <h1 id="fixed-h">
          Already fixed: {brand.productName} works with {vendorLabel} again
        </h1>
        <p className="rc-clinic">for {clinicName}</p>
        <p>
          <strong>There is nothing to do on your side.</strong> The connection was repaired after this email was sent — with a newer link or by our support team
          — so this link is no longer needed.
        </p>
        <p className="rc-muted">If something still looks wrong in {brand.productName}, reply to the email that brought you here.</p>
      </section>
    </ReconnectShell>
  );
}

export function ReconnectUnavailable({ brand }: { brand: Brand }) {
  return (
    <ReconnectShell brand={brand}>
      <section className="rc-card" aria-labelledby="gone-h">
        <h1 id="gone-h">This link can no longer be used</h1>
        <p>Reconnect links work for a limited time and only once. This one has expired, has already been used, or was replaced by a newer link.</p>
        <h2>What to do</h2>
        <ul className="rc-list">
          <li>If you received a newer email with a link, use that one.</li>
          <li>Otherwise, reply to the email that brought you here and ask for a new reconnect link. It takes support a minute.</li>
        </ul>
        <p className="rc-muted">Nothing has been lost: your clinic&apos;s data stays where it is while you wait.</p>
      </section>
    </ReconnectShell>
  );
}
