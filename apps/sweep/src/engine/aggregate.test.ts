import { describe, expect, it } from 'vitest';
import { createSimulator, referenceArch } from '@lazytlb/core';
import { emptyAggregate, mergeAggregate, mergeAll } from './aggregate.js';
import { runBatch } from './run-batch.js';
import { cellHashOf } from './seed.js';
import type { EngineCellAggregate } from './types.js';

const sim = createSimulator({ plugin: referenceArch, scheme: 'none', cpus: 2, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
const hash = cellHashOf(sim.cellId, 'agg-test');
const whole = runBatch(sim, 0, hash, 0, 240);
const canon = (a: EngineCellAggregate): string => JSON.stringify(a);

describe('aggregates', () => {
  it('a batch of runs finds violations under scheme none, with artifacts', () => {
    expect(whole.runs).toBe(240);
    expect(Object.keys(whole.violations).length).toBeGreaterThan(0);
    for (const f of Object.values(whole.firstFailures)) {
      expect(f.artifact.seed).toBe(f.seed);
      expect(f.artifact.runIndex).toBe(f.runIndex);
    }
    expect(whole.batches).toEqual(['0-240']);
  });

  it('empty is the identity', () => {
    expect(canon(mergeAggregate(emptyAggregate(0, whole.actors), whole))).toBe(canon(whole));
    expect(canon(mergeAggregate(whole, emptyAggregate(0, whole.actors)))).toBe(canon(whole));
  });

  it('any split into batches, merged in any order, equals the whole', () => {
    for (const cuts of [[100], [1, 2, 3, 200], [17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204, 221]]) {
      const bounds = [0, ...cuts, 240];
      const parts = bounds.slice(1).map((e, i) => runBatch(sim, 0, hash, bounds[i]!, e));
      expect(canon(mergeAll(0, whole.actors, parts))).toBe(canon(whole));
      expect(canon(mergeAll(0, whole.actors, [...parts].reverse()))).toBe(canon(whole));
      // associativity: ((a b) c) vs (a (b c)) on the first three parts
      if (parts.length >= 3) {
        const [a, b, c] = parts as [EngineCellAggregate, EngineCellAggregate, EngineCellAggregate];
        expect(canon(mergeAggregate(mergeAggregate(a, b), c))).toBe(canon(mergeAggregate(a, mergeAggregate(b, c))));
        expect(canon(mergeAggregate(a, b))).toBe(canon(mergeAggregate(b, a)));
      }
    }
  });

  it('first failure per kind is the lowest run index', () => {
    const late = runBatch(sim, 0, hash, 120, 240);
    const early = runBatch(sim, 0, hash, 0, 120);
    const m = mergeAggregate(late, early);
    for (const [k, f] of Object.entries(m.firstFailures)) {
      const e = early.firstFailures[k];
      if (e !== undefined) expect(f.runIndex).toBe(e.runIndex);
    }
  });

  it('refuses overlapping runs and different cells', () => {
    const a = runBatch(sim, 0, hash, 0, 20);
    const b = runBatch(sim, 0, hash, 10, 30);
    expect(() => mergeAggregate(a, b)).toThrow(/covered twice/);
    expect(() => mergeAggregate(a, emptyAggregate(1, 4))).toThrow(/differ/);
  });

  it('the per-run seed depends on the matrix seed', () => {
    expect(cellHashOf(sim.cellId, 'a')).not.toBe(cellHashOf(sim.cellId, 'b'));
  });
});
