import type { ReactNode } from "react";

/** The frame of every reconnect page: a quiet header, one narrow column, a privacy footer. */
export function ReconnectShell({ children }: { children: ReactNode }) {
  return (
    <main id="main" className="rc">
      <header className="rc-head">
        <span className="rc-brand">Relink</span>
        <span className="rc-secure">Secure reconnect page</span>
      </header>
      {children}
      <footer className="rc-foot">
        <p>
          This page is private to your clinic: please do not forward the link. It works once, for a few days. Your key is sent straight to a secure server and
          is never shown again.
        </p>
      </footer>
    </main>
  );
}

/** Shown for expired, used, replaced and unknown links alike: one wording, so links cannot be probed. */
export function ReconnectUnavailable() {
  return (
    <ReconnectShell>
      <section className="rc-card" aria-labelledby="gone-h">
        <h1 id="gone-h">This link can no longer be used</h1>
        <p>Reconnect links work for a few days and only once. This one has expired, has already been used, or was replaced by a newer link.</p>
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
