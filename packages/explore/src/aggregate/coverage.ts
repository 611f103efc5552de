/**
 * Coverage growth: per cell, abstract-state sketches (HyperLogLog registers of the core's
 * fingerprints) kept apart by run index in power-of-two buckets — bucket 0 holds run 0 and
 * bucket b ≥ 1 holds runs [2^(b−1), 2^b) — so the union of buckets 0..b is exactly the
 * sketch of the first 2^b runs. The distinct-state estimate after the first 1, 2, 4, ... runs
 * (and after all of them) is therefore a function of which runs were done, never of how they
 * were batched, threaded or sharded: sketches merge by register max, bucket by bucket.
 */
import { HLL_REGISTERS, hllEstimate, hllMergeInto } from '@lazytlb/core';
import type { Interval } from '../plan/intervals.js';

/** Sketches by bucket index (only buckets some run added a state to). */
export type StateSketches = Record<number, Uint8Array>;

/** The bucket of run `i`: 0 for run 0, else ⌊log2 i⌋ + 1. */
export function coverageBucket(i: number): number {
  return i === 0 ? 0 : 32 - Math.clz32(i);
}

/** Runs of bucket `b`: [start, end). */
export function bucketRange(b: number): Interval {
  return b === 0 ? [0, 1] : [2 ** (b - 1), 2 ** b];
}

/** Bucket-wise union (inputs are not modified; a bucket only one side has is shared, never written). */
export function mergeSketches(a: StateSketches, b: StateSketches): StateSketches {
  const out: StateSketches = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)].map(Number))) {
    const x = a[key],
      y = b[key];
    if (x === undefined || y === undefined) {
      out[key] = (x ?? y)!;
    } else {
      const m = x.slice();
      hllMergeInto(m, y);
      out[key] = m;
    }
  }
  return out;
}

export interface CoverageGrowthPoint {
  /** Runs done among the first 2^b (the last point: all runs done). */
  readonly runs: number;
  /** Estimated distinct abstract states over those runs. */
  readonly distinctStates: number;
}

export interface CoverageSummary {
  readonly distinctStates: number;
  readonly growth: CoverageGrowthPoint[];
  readonly saturated: boolean;
}

/** A saturated cell: the last doubling (or more) of its runs added less than this fraction of its states. */
export const SATURATION_THRESHOLD = 0.01;

function coveredIn(done: readonly Interval[], s: number, e: number): number {
  let n = 0;
  for (const [a, b] of done) n += Math.max(0, Math.min(b, e) - Math.max(a, s));
  return n;
}

/**
 * Growth of the distinct-state estimate over prefixes of the runs: one point per bucket with
 * runs done (the union of buckets 0..b, i.e. runs below 2^b), the last one covering every run
 * done. `saturated`: the last point adds less than 1% over the latest point at most half as
 * many runs (with power-of-two points that spans at least one doubling).
 */
export function coverageSummary(sketches: StateSketches, done: readonly Interval[]): CoverageSummary {
  const growth: CoverageGrowthPoint[] = [];
  const end = done.reduce((m, [, b]) => Math.max(m, b), 0);
  if (end === 0) return { distinctStates: 0, growth, saturated: false };
  const union = new Uint8Array(HLL_REGISTERS);
  const last = coverageBucket(end - 1);
  let runs = 0;
  for (let b = 0; b <= last; b++) {
    const [s, e] = bucketRange(b);
    const n = coveredIn(done, s, e);
    if (n === 0) continue;
    runs += n;
    const sk = sketches[b];
    if (sk !== undefined) hllMergeInto(union, sk);
    growth.push({ runs, distinctStates: Math.round(hllEstimate(union)) });
  }
  const top = growth[growth.length - 1]!;
  let prev: CoverageGrowthPoint | undefined;
  for (const g of growth) if (2 * g.runs <= top.runs) prev = g;
  const saturated = prev !== undefined && top.distinctStates > 0 && top.distinctStates - prev.distinctStates < SATURATION_THRESHOLD * top.distinctStates;
  return { distinctStates: top.distinctStates, growth, saturated };
}
