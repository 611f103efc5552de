/**
 * Run-index coverage as sorted, disjoint, non-adjacent half-open intervals, serialised as
 * "start-end" strings (CellAggregate.batches). Normalised, so equal coverage gives an equal list
 * whatever the batches were.
 */
export type Interval = readonly [number, number];

export function parseInterval(s: string): Interval {
  const m = /^(\d+)-(\d+)$/.exec(s);
  if (m === null) throw new Error(`invalid run range "${s}": expected START-END`);
  const a = Number(m[1]),
    b = Number(m[2]);
  if (!(a < b)) throw new Error(`invalid run range "${s}": empty`);
  return [a, b];
}

export function formatInterval([a, b]: Interval): string {
  return `${a}-${b}`;
}

/** Union of interval lists; throws if two of them overlap (the same runs counted twice). */
export function unionIntervals(lists: readonly (readonly Interval[])[]): Interval[] {
  const all = lists
    .flat()
    .slice()
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [a, b] of all) {
    const last = out[out.length - 1];
    if (last !== undefined && a < last[1]) {
      throw new Error(`runs ${a}-${Math.min(b, last[1])} are covered twice (overlapping results merged)`);
    }
    if (last !== undefined && a === last[1]) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}

/** Parts of [a, b) not in `covered` (normalised). */
export function subtractIntervals([a, b]: Interval, covered: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let cur = a;
  for (const [c, d] of covered) {
    if (d <= cur) continue;
    if (c >= b) break;
    if (c > cur) out.push([cur, Math.min(c, b)]);
    cur = Math.max(cur, d);
    if (cur >= b) break;
  }
  if (cur < b) out.push([cur, b]);
  return out;
}

export function coveredCount(list: readonly Interval[]): number {
  return list.reduce((n, [a, b]) => n + (b - a), 0);
}
