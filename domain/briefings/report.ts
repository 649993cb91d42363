import { z } from "zod";

/**
 * The weekly briefing as composed from synced data (issue 14): the one shape the metrics produce
 * (domain/briefings/compose.ts), the email renders (domain/briefings/render.ts), the clinic page
 * previews and the briefings table stores (jsonb, read back through this schema). Plain JSON:
 * money is an exact decimal string in the clinic's currency ("3420.00"), never a float; rates are
 * fractions 0–1 (null when the denominator is zero); dates are the clinic's local calendar dates.
 * Definitions follow the vendors' own reports (../shared/BRIEFING.md, docs/briefing-metrics.md).
 */

const Money = z.string().regex(/^-?\d+(\.\d+)?$/, "an exact decimal amount");
const Rate = z.number().min(0).max(1).nullable();
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** A figure for the briefed week beside the clinic's average over the previous weeks (null: no history yet). */
const Compared = <T extends z.ZodType>(value: T) => z.object({ value, previous: value.nullable() });

const UtilisationSchema = z.object({
  /** Attended + did-not-arrive appointment minutes (overlaps of one practitioner counted once). */
  bookedMinutes: z.number().int().nonnegative(),
  /** Daily availability + availability blocks − unavailable blocks (or configured hours). */
  availableMinutes: z.number().int().nonnegative(),
  rate: Rate,
});

const AvailabilitySourceSchema = z.enum(["vendor", "configured", "none"]);

export const PractitionerLineSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Where the available minutes came from: the vendor's availability, the clinic's configured hours, or nowhere. */
  availabilitySource: AvailabilitySourceSchema,
  utilisation: Compared(UtilisationSchema),
  attended: z.number().int().nonnegative(),
  didNotArrive: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  /** Cancelled less than 24 hours before the start (counted in `cancelled` too). */
  lateCancelled: z.number().int().nonnegative(),
  /** Invoiced value for the week (paid + open, not deleted). */
  revenue: Compared(Money),
  revenuePerAttendedHour: Money.nullable(),
});

const ArBucketSchema = z.object({
  /** "0–30", "31–60", "61–90", "90+" (days since issue). */
  label: z.string(),
  fromDays: z.number().int().nonnegative(),
  toDays: z.number().int().nullable(),
  count: z.number().int().nonnegative(),
  amount: Money,
});

const BriefingActionSchema = z.object({
  /** The rule that proposed it (domain/briefings/actions.ts), stable for tests and analytics. */
  rule: z.string(),
  /** One imperative sentence citing its numbers: "Chase the 14 invoices over 30 days: $3,420 outstanding". */
  title: z.string(),
  /** Why, in one or two sentences, with the figures behind it. */
  detail: z.string(),
  /** What is at stake, for ranking: money in the clinic's currency, or hours. */
  stake: z.discriminatedUnion("kind", [z.object({ kind: z.literal("money"), amount: Money }), z.object({ kind: z.literal("hours"), hours: z.number() })]),
  /** The stake in money terms, used to rank money against hours (hours × revenue per attended hour). */
  rankValue: Money,
});

export const BriefingReportSchema = z.object({
  version: z.literal(1),
  clinicId: z.uuid(),
  clinicName: z.string(),
  timeZone: z.string(),
  currency: z.string().length(3),
  /** Monday and Sunday of the briefed week, local. */
  week: z.object({ start: LocalDate, end: LocalDate }),
  /** How many earlier weeks the "previous" figures average (4, fewer for a new connection, 0 = none). */
  comparisonWeeks: z.number().int().min(0).max(4),
  /** The last successful sync the figures rest on (ISO instant). */
  dataAsOf: z.string(),
  practitioners: z.array(PractitionerLineSchema),
  totals: z.object({
    utilisation: Compared(UtilisationSchema),
    attended: Compared(z.number().int().nonnegative()),
    dnaRate: Compared(Rate),
    cancellationRate: Compared(Rate),
    lateCancellationRate: Compared(Rate),
    revenue: Compared(Money),
    revenuePerAttendedHour: Compared(Money.nullable()),
    newPatients: Compared(z.number().int().nonnegative()),
    rebookingRate: Compared(Rate),
  }),
  ar: z.object({
    /** Open invoices ("Open", "Open credit") by age at the end of the week; a partly paid invoice counts in full. */
    buckets: z.array(ArBucketSchema),
    openTotal: Money,
    /** Value of invoices issued in the window still open ÷ value invoiced in the window. */
    rate: Compared(Rate),
    windowWeeks: z.number().int().positive(),
    /** False for Cliniko (no payments endpoint): the email says partial payments are not visible. */
    partialPaymentsVisible: z.boolean(),
  }),
  /** Exactly three unless the data truly supports fewer; then `fewerActionsReason` says why. */
  actions: z.array(BriefingActionSchema).max(3),
  fewerActionsReason: z.string().nullable(),
  /** Caveats the email prints (configured hours stood in for X; no history yet; …). */
  notes: z.array(z.string()),
});

export type BriefingReport = z.infer<typeof BriefingReportSchema>;
export type BriefingAction = z.infer<typeof BriefingActionSchema>;
export type PractitionerLine = z.infer<typeof PractitionerLineSchema>;
