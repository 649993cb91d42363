import { describe, expect, it } from "vitest";
import { clientAddressFrom } from "./client-address.ts";

describe("the client address reconnect attempts are counted against", () => {
  it("is the socket address when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddressFrom({ forwardedFor: "203.0.113.9", socketAddress: "198.51.100.7", trustedHops: 0 })).toBe("198.51.100.7");
    expect(clientAddressFrom({ forwardedFor: undefined, socketAddress: "::ffff:127.0.0.1", trustedHops: 0 })).toBe("127.0.0.1");
    expect(clientAddressFrom({ forwardedFor: undefined, socketAddress: undefined, trustedHops: 0 })).toBe("unknown");
  });

  it("behind one appending proxy is the address that proxy saw, not a client-supplied entry", () => {
    expect(clientAddressFrom({ forwardedFor: "1.1.1.1, 203.0.113.9", socketAddress: "10.0.0.2", trustedHops: 1 })).toBe("203.0.113.9");
    expect(clientAddressFrom({ forwardedFor: "203.0.113.9", socketAddress: "10.0.0.2", trustedHops: 1 })).toBe("203.0.113.9");
  });

  it("behind two proxies skips the inner proxy's entry", () => {
    expect(clientAddressFrom({ forwardedFor: ["6.6.6.6, 203.0.113.9", "10.0.0.5"], socketAddress: "10.0.0.2", trustedHops: 2 })).toBe("203.0.113.9");
  });

  it("falls back to the socket when the header has fewer entries than trusted proxies", () => {
    expect(clientAddressFrom({ forwardedFor: "", socketAddress: "10.0.0.2", trustedHops: 1 })).toBe("10.0.0.2");
    expect(clientAddressFrom({ forwardedFor: "203.0.113.9", socketAddress: "10.0.0.2", trustedHops: 2 })).toBe("10.0.0.2");
  });
});
