import { describe, expect, it } from 'vitest';
import { createSimulator, fmix32, HLL_REGISTERS, hllAdd, hllEstimate, referenceArch } from '@lazytlb/core';
import { mergeAggregate, mergeAll } from './aggregate.js';
import { bucketRange, coverageBucket, coverageSummary, mergeSketches, type StateSketches } from './coverage.js';
import { runBatch } from '../executor/run-batch.js';
import { cellHashOf } from '../plan/seed.js';
import type { EngineCellAggregate } from './types.js';

/** A sketch of the values [from, to). */
function sketch(from: number, to: number): Uint8Array {
  const r = new Uint8Array(HLL_REGISTERS);
  for (let i = from; i < to; i++) hllAdd(r, fmix32(i));
  return r;
}

describe('coverage buckets', () => {
  it('bucket b ≥ 1 holds runs [2^(b-1), 2^b), so buckets 0..b are the first 2^b runs', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 1023, 1024].map(coverageBucket)).toEqual([0, 1, 2, 2, 3, 3, 4, 10, 11]);
    expect(bucketRange(0)).toEqual([0, 1]);
    expect(bucketRange(1)).toEqual([1, 2]);
    expect(bucketRange(11)).toEqual([1024, 2048]);
    for (let i = 0; i < 5000; i++) {
      const [s, e] = bucketRange(coverageBucket(i));
      expect(s <= i && i < e).toBe(true);
    }
  });

  it('merges bucket-wise by register max, leaving the inputs alone', () => {
    const a: StateSketches = { 0: sketch(0, 10), 3: sketch(0, 100) };
    const b: StateSketches = { 3: sketch(50, 200), 5: sketch(0, 5) };
    const a3 = a[3]!.slice();
    const m = mergeSketches(a, b);
    expect(Object.keys(m)).toEqual(['0', '3', '5']);
    expect(Array.from(m[3]!)).toEqual(Array.from(sketch(0, 200)));
    expect(Array.from(a[3]!)).toEqual(Array.from(a3));
    expect(JSON.stringify(mergeSketches(b, a))).toBe(JSON.stringify(m));
  });

  it('growth: one point per bucket with runs done, the union of the prefix; saturation over the last doubling', () => {
    // 20 runs: buckets 0..5; states grow then stop
    const sk: StateSketches = { 0: sketch(0, 10), 1: sketch(5, 30), 2: sketch(0, 60), 3: sketch(40, 100), 4: sketch(0, 100), 5: sketch(90, 100) };
    const s = coverageSummary(sk, [[0, 20]]);
    expect(s.growth.map((g) => g.runs)).toEqual([1, 2, 4, 8, 16, 20]);
    const est = (from: number, to: number): number => Math.round(hllEstimate(sketch(from, to)));
    expect(s.growth.map((g) => g.distinctStates)).toEqual([est(0, 10), est(0, 30), est(0, 60), est(0, 100), est(0, 100), est(0, 100)]);
    expect(Math.abs(s.distinctStates - 100)).toBeLessThanOrEqual(3);
    expect(s.saturated).toBe(true); // 8 -> 20 runs added nothing
    const growing = coverageSummary({ ...sk, 5: sketch(100, 150) }, [[0, 20]]);
    expect(growing.distinctStates).toBe(est(0, 150));
    expect(growing.saturated).toBe(false);
    // partial coverage (a shard): only buckets with runs done, counting the runs done
    const part = coverageSummary({ 2: sketch(0, 10), 4: sketch(0, 20) }, [
      [2, 4],
      [9, 12],
    ]);
    expect(part.growth).toEqual([
      { runs: 2, distinctStates: est(0, 10) },
      { runs: 5, distinctStates: est(0, 20) },
    ]);
    expect(coverageSummary({}, [])).toEqual({ distinctStates: 0, growth: [], saturated: false });
  });
});

describe('runBatch with coverage', () => {
  const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
  const hash = cellHashOf(sim.cellId, 'cov-test');
  const whole = runBatch(sim, 0, hash, 0, 300, { coverage: true });
  const canon = (a: EngineCellAggregate): string => JSON.stringify(a);

  it('sketches each run into its bucket, without changing anything else', () => {
    expect(Object.keys(whole.stateSketches)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const plain = runBatch(sim, 0, hash, 0, 300);
    expect(plain.stateSketches).toEqual({});
    expect(canon({ ...whole, stateSketches: {} })).toBe(canon(plain));
    expect(sim.coverageSink).toBeNull();
    const s = coverageSummary(whole.stateSketches, [[0, 300]]);
    expect(s.growth.at(-1)).toEqual({ runs: 300, distinctStates: s.distinctStates });
    expect(s.distinctStates).toBeGreaterThan(100);
    for (let i = 1; i < s.growth.length; i++) expect(s.growth[i]!.distinctStates).toBeGreaterThanOrEqual(s.growth[i - 1]!.distinctStates);
  });

  it('any split into batches, merged in any order, gives the same sketches', () => {
    for (const cuts of [[1], [3, 5, 100], [37, 74, 111, 148, 185, 222, 259], [128, 256]]) {
      const bounds = [0, ...cuts, 300];
      const parts = bounds.slice(1).map((e, i) => runBatch(sim, 0, hash, bounds[i]!, e, { coverage: true }));
      expect(canon(mergeAll(0, whole.actors, parts))).toBe(canon(whole));
      expect(canon(mergeAll(0, whole.actors, [...parts].reverse()))).toBe(canon(whole));
      if (parts.length >= 3) {
        const [a, b, c] = parts as [EngineCellAggregate, EngineCellAggregate, EngineCellAggregate];
        expect(canon(mergeAggregate(mergeAggregate(a, b), c))).toBe(canon(mergeAggregate(a, mergeAggregate(b, c))));
      }
    }
  });
});
