import { z } from "zod";
import { TAXONOMY, whoMustAct } from "../../../domain/health/taxonomy.ts";
import { FAILURE_CODES, VENDORS } from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";

const PlaybookSchema = z.object({
  supportSteps: z.array(z.string()),
  clinicSteps: z.array(z.string()).meta({ description: "What the clinic admin does in the vendor's own screens; empty when nothing" }),
  tellClinic: z.string(),
});

const FailureCodeSchema = z
  .object({
    code: z.enum(FAILURE_CODES),
    title: z.string(),
    transient: z.boolean().meta({ description: "A transient failure (outage, rate limit, network) never means the key is bad" }),
    whoMustAct: z.enum(["clinic", "vendor", "us", "paused"]),
    clinicMessage: z.string().meta({ description: "What to show the clinic's user" }),
    supportMessage: z.string(),
    suggestedAction: z.string(),
    playbooks: z.object(Object.fromEntries(VENDORS.map((v) => [v, PlaybookSchema])) as Record<(typeof VENDORS)[number], typeof PlaybookSchema>),
  })
  .meta({ id: "FailureCode" });

export const listFailureCodes = defineEndpoint({
  operationId: "listFailureCodes",
  method: "get",
  path: "/failure-codes",
  summary: "The failure-code taxonomy",
  description: "Every failure code a connection can have, who must act, and what to tell the clinic and support.",
  tags: ["Taxonomy"],
  scope: "read",
  responses: { 200: { description: "Every failure code", schema: z.object({ data: z.array(FailureCodeSchema) }) } },
  async handle() {
    const data = FAILURE_CODES.map((code) => {
      const info = TAXONOMY[code];
      return {
        code,
        title: info.title,
        transient: info.transient,
        whoMustAct: whoMustAct("failing", code),
        clinicMessage: info.clinicMessage,
        supportMessage: info.supportMessage,
        suggestedAction: info.suggestedAction,
        playbooks: info.playbooks,
      };
    });
    return { status: 200, body: { data } };
  },
});
