/**
 * How long something lasted, in the words every message and page uses: "41 min", "2 h 5 min",
 * "3 days" (rounded to the minute; never negative).
 */
export function durationBetween(from: Date, to: Date): string {
  const minutes = Math.max(0, Math.round((to.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}
