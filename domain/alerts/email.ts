import nodemailer from "nodemailer";

export interface OutgoingEmail {
  /** An address, or a display name with its address ("Clinic Connect" <alerts@…>). */
  from: string | { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  /** Custom headers, e.g. a stable Message-ID-like reference for threading. */
  headers?: Record<string, string>;
}

/** How an email leaves Relink. The SMTP sender is the real one; tests pass their own. */
export interface EmailSender {
  send(message: OutgoingEmail): Promise<{ messageId: string | null }>;
  close(): void;
}

/**
 * nodemailer over SMTP, from a URL such as `smtps://user:pass@smtp.example:465` or
 * `smtp://smtp.example:587` (STARTTLS is negotiated when offered). Pooled: alert bursts reuse
 * connections instead of handshaking per message.
 */
export function smtpEmailSender(smtpUrl: string, options: { timeoutMs?: number; requireTLS?: boolean } = {}): EmailSender {
  return smtpSender(nodemailer.createTransport(smtpTransportOptions(smtpUrl, options)));
}

/**
 * nodemailer's options for an SMTP URL. With `requireTLS` a plain `smtp://` connection must
 * upgrade with STARTTLS or nothing is sent (SMTP_REQUIRE_TLS): otherwise a server, or anyone on
 * the path, that does not offer STARTTLS gets the password and every message in clear text.
 */
export function smtpTransportOptions(smtpUrl: string, options: { timeoutMs?: number; requireTLS?: boolean } = {}) {
  const url = new URL(smtpUrl);
  const timeout = options.timeoutMs ?? 15_000;
  return {
    pool: true,
    maxConnections: 2,
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
    secure: url.protocol === "smtps:",
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    requireTLS: options.requireTLS ?? false,
  };
}

function smtpSender(transport: nodemailer.Transporter): EmailSender {
  return {
    async send(message) {
      const info = await transport.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        ...(message.headers ? { headers: message.headers } : {}),
      });
      return { messageId: info.messageId ?? null };
    },
    close() {
      transport.close();
    },
  };
}
