import { describe, expect, it } from "vitest";
import { ClinikoAppointmentSchema, ClinikoInvoiceSchema, idFromUrl, toAppointment, toInvoice } from "./cliniko-client.ts";
import { VendorError } from "./errors.ts";
import { appointmentStatus, invoiceStatus, nookalFailure } from "./nookal-common.ts";
import { IdSchema, MoneySchema, overlapCursor, parseWith } from "./parse.ts";
import { normalizeTimestamp, toLocalDateTime } from "./time.ts";
import { vendorText } from "./transport.ts";

const req = { vendor: "cliniko" as const, region: "au1", method: "GET" as const, path: "/patients" };

describe("ids and money", () => {
  it("keeps string ids exact and refuses ids that already lost digits as JSON numbers", () => {
    expect(IdSchema.parse("1660000000000000123")).toBe("1660000000000000123");
    expect(IdSchema.parse(42)).toBe("42");
    const body = JSON.parse('{"id": 1660000000000000123}') as { id: unknown };
    expect(IdSchema.safeParse(body.id).success).toBe(false);
  });

  it("keeps money as decimal text", () => {
    expect(MoneySchema.parse("123.45")).toBe("123.45");
    expect(MoneySchema.parse("-0.10")).toBe("-0.10");
    expect(MoneySchema.parse(12.5)).toBe("12.5");
    expect(MoneySchema.safeParse("12.3.4").success).toBe(false);
    expect(MoneySchema.safeParse("$12").success).toBe(false);
  });

  it("turns a schema failure into invalid_response naming fields, never values", () => {
    let caught: unknown;
    try {
      parseWith(ClinikoInvoiceSchema, { id: "1", status: 20, total_amount: "Jane Citizen owes" }, req);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(VendorError);
    expect((caught as VendorError).kind).toBe("invalid_response");
    expect((caught as VendorError).message).toContain("total_amount");
    expect((caught as VendorError).message).not.toContain("Jane");
  });
});

describe("Cliniko records", () => {
  const base = { id: "1660000000000000001", starts_at: "2025-01-02T22:00:00Z", ends_at: "2025-01-02T22:30:00Z", updated_at: "2025-01-03T00:00:00Z" };

  it("reads linked ids from nested links.self and from a flat links map", () => {
    const nested = toAppointment(
      ClinikoAppointmentSchema.parse({
        ...base,
        patient_arrived: true,
        patient: { links: { self: "https://api.au1.cliniko.com/v1/patients/1660000000000000777" } },
        practitioner: { links: { self: "https://api.au1.cliniko.com/v1/practitioners/1660000000000000888" } },
      }),
    );
    expect(nested).toMatchObject({ patientId: "1660000000000000777", practitionerId: "1660000000000000888", status: "arrived" });
    const flat = toAppointment(
      ClinikoAppointmentSchema.parse({
        ...base,
        did_not_arrive: true,
        links: { patient: "https://api.uk1.cliniko.com/v1/patients/55", appointment_type: { self: "https://x/v1/appointment_types/9" } },
      }),
    );
    expect(flat).toMatchObject({ patientId: "55", appointmentTypeId: "9", status: "did_not_arrive" });
    expect(toAppointment(ClinikoAppointmentSchema.parse({ ...base, cancelled_at: "2025-01-01T00:00:00Z", cancellation_reason: 40 }))).toMatchObject({
      status: "cancelled",
      cancellationReason: "40",
    });
    expect(idFromUrl("https://x/v1/patients/12?x=1")).toBe("12");
    expect(idFromUrl(null)).toBeNull();
  });

  it("maps every invoice status, keeping the vendor's code", () => {
    const inv = (status: number | string) => toInvoice(ClinikoInvoiceSchema.parse({ id: "1", status, total_amount: "10.00" }));
    expect([10, 20, 30, 40, 99].map((s) => inv(s).status)).toEqual(["open", "paid", "closed", "open_credit", "unknown"]);
    expect(inv("20")).toMatchObject({ status: "paid", vendorStatus: "20", totalAmount: "10.00" });
  });
});

describe("Nookal parsing", () => {
  it("recognises the failure envelope with a numeric or string code", () => {
    const err = nookalFailure(
      { status: "failure", details: { errorMessage: "Invalid API Key", errorCode: 1001 } },
      { region: "au", method: "POST", path: "/getPatients" },
      200,
    );
    expect(err).toMatchObject({ kind: "vendor_failure", vendorMessage: "Invalid API Key", vendorCode: "1001", status: 200 });
    expect(nookalFailure({ status: "success", data: {} }, { region: "au", method: "POST", path: "/x" })).toBeUndefined();
    expect(nookalFailure({ status: "failure" }, { region: "au", method: "POST", path: "/x" })?.kind).toBe("vendor_failure");
  });

  it("maps appointment and invoice statuses from words and flags", () => {
    expect(appointmentStatus("Cancelled", {})).toBe("cancelled");
    expect(appointmentStatus("Did Not Arrive", {})).toBe("did_not_arrive");
    expect(appointmentStatus(null, { arrived: true })).toBe("arrived");
    expect(appointmentStatus("Booked", {})).toBe("booked");
    expect(["Paid", "Outstanding", "Unpaid", "Written Off", "Credit", "Part Paid", "Mystery"].map(invoiceStatus)).toEqual([
      "paid",
      "open",
      "open",
      "closed",
      "open_credit",
      "open",
      "unknown",
    ]);
  });
});

describe("time", () => {
  it("reads wall-clock time in the practice's zone, across daylight saving", () => {
    expect(normalizeTimestamp("2025-01-15 09:00:00", "Australia/Sydney")).toBe("2025-01-14T22:00:00Z");
    expect(normalizeTimestamp("2025-07-15 09:00:00", "Australia/Sydney")).toBe("2025-07-14T23:00:00Z");
    expect(normalizeTimestamp("2025-03-30 09:00:00", "Europe/London")).toBe("2025-03-30T08:00:00Z");
    expect(normalizeTimestamp("2025-07-15T09:00:00+10:00")).toBe("2025-07-14T23:00:00Z");
    expect(normalizeTimestamp("2025-07-15T09:00:00.123Z")).toBe("2025-07-15T09:00:00Z");
    expect(normalizeTimestamp("0000-00-00 00:00:00", "Australia/Sydney")).toBeNull();
    expect(normalizeTimestamp("yesterday", "Australia/Sydney")).toBeNull();
    expect(toLocalDateTime("2025-01-14T22:00:00Z", "Australia/Sydney")).toBe("2025-01-15 09:00:00");
  });

  it("overlaps a cursor by one second", () => {
    expect(overlapCursor("2025-01-14T22:00:00Z")).toBe("2025-01-14T21:59:59Z");
    expect(overlapCursor(undefined)).toBeUndefined();
  });
});

describe("vendor text", () => {
  it("reduces an HTML page to its words", () => {
    expect(vendorText("<html><head><title>Down</title><style>p{}</style></head><body><h1>We're down for maintenance</h1></body></html>")).toBe(
      "Down We're down for maintenance",
    );
    expect(vendorText("HTTP Basic: Access denied.\n")).toBe("HTTP Basic: Access denied.");
  });
});
