/**
 * A sudden drop in what a sync sees (docs/decisions/0033-sync.md): to zero from any number, or by
 * more than `share` of what the previous sync saw (and at least `minimum` records, so a clinic of
 * five patients archiving two is not an incident). Pure.
 */
export interface DropSettings {
  /** 0..1: the share of records that may disappear between two syncs before it alerts. */
  share: number;
  minimum: number;
}

export const DEFAULT_DROP_SETTINGS: DropSettings = { share: 0.5, minimum: 10 };

export function recordDrop(
  before: number | null | undefined,
  after: number,
  settings: DropSettings = DEFAULT_DROP_SETTINGS,
): { before: number; after: number } | null {
  if (before == null || before <= 0 || after >= before) return null;
  if (after === 0) return { before, after };
  const lost = before - after;
  if (lost < settings.minimum) return null;
  return lost / before > settings.share ? { before, after } : null;
}
