/** Where a clinic in a campaign stands (derived in db/queries/campaigns.ts); no server imports, for the page too. */
export const CAMPAIGN_STATUSES = ["reconnected", "waiting", "failing", "past_deadline"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
