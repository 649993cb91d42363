/** Half-open instant intervals [start, end) in epoch ms, for availability and booked time. Pure. */
export type Interval = readonly [number, number];

/** Sorted, non-overlapping, non-empty: overlapping or touching intervals become one. */
export function merge(list: readonly Interval[]): Interval[] {
  const sorted = list.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** `a` minus `b`; both merged. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const [s0, e] of a) {
    let s = s0;
    while (j < b.length && b[j]![1] <= s) j++;
    let k = j;
    while (k < b.length && b[k]![0] < e) {
      const [bs, be] = b[k]!;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
      if (s >= e) break;
      k++;
    }
    if (s < e) out.push([s, e]);
  }
  return out;
}

/** Total length of merged intervals, clipped to [from, to) when given. */
export function measure(list: readonly Interval[], from = -Infinity, to = Infinity): number {
  let total = 0;
  for (const [s, e] of list) {
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    if (b > a) total += b - a;
  }
  return total;
}
