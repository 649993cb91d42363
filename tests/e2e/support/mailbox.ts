import fs from "node:fs/promises";
import path from "node:path";
import { SMTPServer } from "smtp-server";

/**
 * A local SMTP sink for the e2e product (SMTP_URL points here), so journeys read the emails the
 * delivery worker really sent — the only place a reconnect link's token exists besides the copy box.
 * Each message is written as `<n>.eml` into `dir`.
 */
export async function startMailbox(dir: string, port: number): Promise<{ close(): Promise<void> }> {
  await fs.mkdir(dir, { recursive: true });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    // why: loopback only; nodemailer would otherwise upgrade to TLS with a certificate nobody trusts
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        n += 1;
        fs.writeFile(path.join(dir, `${String(n).padStart(5, "0")}.eml`), Buffer.concat(chunks)).then(() => callback(), callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Decodes quoted-printable soft line breaks and escapes (nodemailer's encoding of long lines). */
function decodeQuotedPrintable(s: string): string {
  return s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Every message delivered to `to` so far, raw text with quoted-printable decoded. */
export async function mailTo(dir: string, to: string): Promise<string[]> {
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".eml")).sort();
  const out: string[] = [];
  for (const f of files) {
    const raw = await fs.readFile(path.join(dir, f), "utf8");
    if (new RegExp(`^To: .*${to.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "mi").test(raw)) out.push(decodeQuotedPrintable(raw));
  }
  return out;
}
