import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpEmailSender, smtpTransportOptions } from "./email.ts";

// Security item 10: SMTP can require TLS (SMTP_REQUIRE_TLS → nodemailer requireTLS).

/** An SMTP server that never offers STARTTLS, as a downgrading man in the middle would look. */
let server: net.Server;
let port: number;
const sockets = new Set<net.Socket>();
let mailFrom = 0;
beforeAll(async () => {
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.write("220 plain.test ESMTP\r\n");
    let inData = false;
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            socket.write("250 queued\r\n");
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") socket.write("250-plain.test\r\n250 8BITMIME\r\n");
        else if (verb === "MAIL") {
          mailFrom++;
          socket.write("250 ok\r\n");
        } else if (verb === "DATA") {
          inData = true;
          socket.write("354 go\r\n");
        } else if (verb === "STAR") socket.write("454 4.7.0 TLS not available\r\n");
        else if (verb === "QUIT") socket.end("221 bye\r\n");
        else socket.write("250 ok\r\n");
      }
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const message = { from: "alerts@relink.test", to: "ops@clinic.test", subject: "s", text: "t" };

describe("SMTP transport", () => {
  it("passes requireTLS to nodemailer", () => {
    expect(smtpTransportOptions("smtp://mail.example:587", { requireTLS: true })).toMatchObject({ requireTLS: true, secure: false, port: 587 });
    expect(smtpTransportOptions("smtp://mail.example:587")).toMatchObject({ requireTLS: false });
  });

  it("with TLS required, sends nothing to a server that does not offer STARTTLS", async () => {
    const sender = smtpEmailSender(`smtp://127.0.0.1:${port}`, { requireTLS: true, timeoutMs: 3000 });
    try {
      await expect(sender.send(message)).rejects.toThrow(/STARTTLS|TLS/i);
      expect(mailFrom).toBe(0);
    } finally {
      sender.close();
    }
  });

  it("without it, the same server gets the message (the default, for local relays)", async () => {
    const sender = smtpEmailSender(`smtp://127.0.0.1:${port}`, { timeoutMs: 3000 });
    try {
      await sender.send(message);
      expect(mailFrom).toBe(1);
    } finally {
      sender.close();
    }
  });
});
