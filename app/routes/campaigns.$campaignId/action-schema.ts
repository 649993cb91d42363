import { z } from "zod";
import { CancelReasonSchema } from "../../../domain/campaigns/withdraw.ts";
import { CONNECTION_STATES, FAILURE_CODES } from "../../../domain/vocabulary.ts";

/** What the campaign page's forms may post, one schema per intent. */
const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
const AddFilterForm = z
  .object({
    intent: z.literal("add-filter"),
    state: z.preprocess(blankToUndefined, z.enum(CONNECTION_STATES, "Not a state").optional()),
    failure: z.preprocess(blankToUndefined, z.enum(FAILURE_CODES, "Not a problem code").optional()),
    region: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^[a-z]{2}\d{0,2}$/, "Not a region")
        .optional(),
    ),
    q: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
  })
  // why: an empty filter would add the vendor's whole fleet with one stray click
  .refine((f) => f.state || f.failure || f.region || f.q, { message: "Pick at least one filter, so a stray click cannot add every clinic.", path: ["form"] });
const AddCsvForm = z.object({ intent: z.literal("add-csv") });
/** The count the confirm step showed; absent before it. */
const Confirmed = z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(0).optional());
const SendForm = z.object({
  intent: z.literal("send-links"),
  batch: z.literal("1").optional(),
  retryFailed: z.literal("1").optional(),
  confirmed: Confirmed,
});
const RemoveForm = z.object({ intent: z.literal("remove-clinic"), clinicId: z.uuid("That is not a clinic") });
const CancelForm = z.object({ intent: z.literal("cancel"), reason: CancelReasonSchema, confirmed: Confirmed });
export const ActionSchema = z.discriminatedUnion("intent", [AddFilterForm, AddCsvForm, SendForm, RemoveForm, CancelForm]);
