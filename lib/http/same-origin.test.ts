import { describe, expect, it } from "vitest";
import { checkSameOrigin, type OriginSignals } from "./same-origin.ts";

const base: OriginSignals = {
  origin: undefined,
  secFetchSite: undefined,
  referer: undefined,
  host: "127.0.0.1:3000",
  allowedOrigins: ["https://relink.example"],
};
const verdict = (s: Partial<OriginSignals>) => checkSameOrigin({ ...base, ...s }).ok;

describe("checkSameOrigin", () => {
  it.each<[string, Partial<OriginSignals>, boolean]>([
    ["our Host", { origin: "http://127.0.0.1:3000" }, true],
    ["PUBLIC_URL behind a proxy", { origin: "https://relink.example", host: "10.0.0.5:3000" }, true],
    ["another site", { origin: "https://evil.example" }, false],
    ["same site, another port", { origin: "http://127.0.0.1:3001", secFetchSite: "same-site" }, false],
    ["a sibling of PUBLIC_URL", { origin: "https://evil.relink.example", host: "10.0.0.5:3000" }, false],
    ["PUBLIC_URL over http", { origin: "http://relink.example", host: "10.0.0.5:3000" }, false],
    ["garbage", { origin: "not a url" }, false],
    ["no-referrer page posting to itself", { origin: "null", secFetchSite: "same-origin" }, true],
    ["sandboxed or cross-site opaque origin", { origin: "null", secFetchSite: "cross-site" }, false],
    ["opaque origin, no fetch metadata", { origin: "null" }, false],
    ["only fetch metadata, same origin", { secFetchSite: "same-origin" }, true],
    ["only fetch metadata, cross site", { secFetchSite: "cross-site" }, false],
    ["only fetch metadata, same site", { secFetchSite: "same-site" }, false],
    ["only fetch metadata, user typed it", { secFetchSite: "none" }, false],
    ["only a Referer from us", { referer: "http://127.0.0.1:3000/users" }, true],
    ["only a Referer from elsewhere", { referer: "https://evil.example/x" }, false],
    ["no browser signal at all (a script)", {}, true],
  ])("%s → %s", (_name, signals, ok) => {
    expect(verdict(signals)).toBe(ok);
  });
});
