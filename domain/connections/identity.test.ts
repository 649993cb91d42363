import { describe, expect, it } from "vitest";
import { compareAccounts, identityOf, patientDrop, refreshedIdentity, sameIdentity } from "./identity.ts";
import type { VendorAccountIdentity } from "../vocabulary.ts";

const harbourside: VendorAccountIdentity = {
  userId: "1660000000000000123",
  accountIds: ["1660000000000000901"],
  practiceId: null,
  name: "Harbourside Physiotherapy",
};

describe("identityOf", () => {
  it("keeps Cliniko ids as exact strings, sorted, and names the account after its businesses", () => {
    const id = identityOf({
      vendor: "cliniko",
      user: { id: "1660000000000000123", name: "Alex Admin" },
      locations: [
        { id: "1660000000000000902", name: "Harbourside North" },
        { id: "1660000000000000901", name: "Harbourside Physiotherapy" },
      ],
    });
    expect(id).toEqual({
      userId: "1660000000000000123",
      accountIds: ["1660000000000000901", "1660000000000000902"],
      practiceId: null,
      name: "Harbourside North, Harbourside Physiotherapy",
    });
  });

  it("has no user for Nookal, and prefers the practice the vendor names", () => {
    const id = identityOf({
      vendor: "nookal",
      user: { id: "locations:11", name: "Main" },
      locations: [{ id: "11", name: "Main" }],
      practice: { id: "77", name: "Bayside Allied Health" },
    });
    expect(id).toEqual({ userId: null, accountIds: ["11"], practiceId: "77", name: "Bayside Allied Health" });
  });
});

describe("compareAccounts", () => {
  it("is the first account when nothing is stored", () => {
    expect(compareAccounts(null, harbourside, "cliniko")).toEqual({ kind: "first" });
  });

  it("is the same account for the same Cliniko user, even with other businesses", () => {
    expect(compareAccounts(harbourside, { ...harbourside, accountIds: ["1660000000000000999"] }, "cliniko")).toEqual({ kind: "same", by: "user" });
  });

  it("is the same account for another user who sees one of the same businesses", () => {
    const colleague = { ...harbourside, userId: "1660000000000000124", accountIds: ["1660000000000000901", "1660000000000000903"] };
    expect(compareAccounts(harbourside, colleague, "cliniko")).toEqual({ kind: "same", by: "accounts" });
  });

  it("is a different account when neither the user nor any business matches", () => {
    const other = { userId: "1700000000000000001", accountIds: ["1700000000000000002"], practiceId: null, name: "Other Clinic" };
    expect(compareAccounts(harbourside, other, "cliniko")).toEqual({ kind: "different" });
  });

  it("does not mistake ids that differ beyond 2^53 for equal ones", () => {
    const near = { ...harbourside, userId: "1660000000000000124", accountIds: ["1660000000000000900"] };
    expect(Number(near.accountIds[0]) === Number(harbourside.accountIds[0])).toBe(true); // why: what a number parse would have done
    expect(compareAccounts(harbourside, near, "cliniko")).toEqual({ kind: "different" });
  });

  it("lets a named practice decide on its own (Nookal)", () => {
    const a = { userId: null, accountIds: ["11"], practiceId: "77", name: "A" };
    expect(compareAccounts(a, { ...a, accountIds: ["12"] }, "nookal")).toEqual({ kind: "same", by: "practice" });
    expect(compareAccounts(a, { ...a, practiceId: "78" }, "nookal")).toEqual({ kind: "different" });
  });

  it("treats a Nookal key for other locations only as different, and overlapping locations as the same", () => {
    const a = { userId: null, accountIds: ["11", "12"], practiceId: null, name: "A" };
    expect(compareAccounts(a, { ...a, accountIds: ["12", "13"] }, "nookal")).toEqual({ kind: "same", by: "accounts" });
    expect(compareAccounts(a, { ...a, accountIds: ["21"] }, "nookal")).toEqual({ kind: "different" });
  });

  it("cannot tell when neither side lists anything", () => {
    const a = { userId: null, accountIds: [], practiceId: null, name: "Nookal practice" };
    expect(compareAccounts(a, a, "nookal")).toEqual({ kind: "unknown" });
  });
});

describe("refreshedIdentity (a probe of the same key)", () => {
  it("takes the new set of businesses: one added is not an account change", () => {
    const seen = { ...harbourside, accountIds: ["1660000000000000901", "1660000000000000905"] };
    expect(refreshedIdentity(harbourside, seen)).toEqual(seen);
  });

  it("keeps the stored ids when the probe did not list businesses", () => {
    expect(refreshedIdentity(harbourside, { ...harbourside, accountIds: [], name: "Alex Admin" })).toEqual(harbourside);
    expect(sameIdentity(harbourside, refreshedIdentity(harbourside, { ...harbourside, accountIds: [], name: "Alex Admin" }))).toBe(true);
  });
});

describe("patientDrop", () => {
  it("calls out losing at least half and at least 10 patients", () => {
    expect(patientDrop(1240, 12)).toEqual({ before: 1240, after: 12 });
    expect(patientDrop(100, 50)).toEqual({ before: 100, after: 50 });
  });

  it("ignores small clinics, small changes and growth", () => {
    expect(patientDrop(8, 0)).toBeNull();
    expect(patientDrop(100, 51)).toBeNull();
    expect(patientDrop(null, 0)).toBeNull();
    expect(patientDrop(100, 400)).toBeNull();
  });
});
