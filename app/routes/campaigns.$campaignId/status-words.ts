import type { CampaignStatus } from "../../../domain/vocabulary.ts";

/** How each campaign progress status reads on the page (label, badge tone, what it means). */
export const STATUS_WORDS: Record<CampaignStatus, { label: string; tone: string; hint: string }> = {
  reconnected: { label: "Reconnected", tone: "ok", hint: "a key entered since being added works" },
  waiting: { label: "Waiting", tone: "info", hint: "not reconnected yet, deadline ahead" },
  failing: { label: "Failing", tone: "bad", hint: "the connection needs a human now" },
  past_deadline: { label: "Past deadline", tone: "warn", hint: "not reconnected and the deadline is over" },
};
