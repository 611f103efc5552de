import { describe, expect, it } from 'vitest';
import { createSimulator, referenceArch, replayArtifact } from '@lazytlb/core';
import { emptyAggregate, mergeAggregate, mergeAll } from './aggregate.js';
import { runBatch } from '../executor/run-batch.js';
import { cellHashOf } from '../plan/seed.js';
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

  it('counts hazards and use sites per run by name; their first runs are re-run up to the finding (stopAt)', () => {
    // none: I3 is a hazard (the run goes on), the __mmdrop WARN a hazard-class use site
    expect(whole.violations.I3).toBeUndefined();
    expect(whole.hazards.I3).toBeGreaterThan(0);
    expect(whole.hazards.I3).toBeLessThanOrEqual(whole.runs);
    expect(whole.useSites.__mmdrop).toBeGreaterThan(0);
    for (const site of Object.keys(whole.useSites)) expect(sim.sites).toContain(site);
    const hz = whole.firstFailures['hazard:I3']!;
    expect(hz).toMatchObject({ kind: 'I3', class: 'hazard' });
    expect(hz.artifact.target).toEqual({ hazard: 'I3' });
    expect(hz.artifact.outcome.kind).toBe('stopped');
    const site = whole.firstFailures['site:__mmdrop']!;
    expect(site).toMatchObject({ kind: '__mmdrop', class: 'use-site', siteKind: 'warn' });
    expect(site.artifact.target).toEqual({ site: '__mmdrop' });
    for (const f of [hz, site]) {
      expect(f.artifact.runIndex).toBe(f.runIndex);
      expect(f.steps).toBe(f.artifact.outcome.steps);
      const r = replayArtifact(f.artifact, referenceArch);
      expect(r.reproduced).toBe(true);
      expect(r.result.steps).toBe(f.steps);
    }
    // the first run of a key is the lowest run index that has it
    const firstWith = (key: 'hazard' | 'site'): number => {
      for (let i = 0; i < 240; i++) {
        const one = runBatch(sim, 0, hash, i, i + 1);
        if (key === 'hazard' ? one.hazards.I3 !== undefined : one.useSites.__mmdrop !== undefined) return i;
      }
      return -1;
    };
    expect(hz.runIndex).toBe(firstWith('hazard'));
    expect(site.runIndex).toBe(firstWith('site'));
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

  it('hazard and use-site counts add exactly across batches', () => {
    const parts = [runBatch(sim, 0, hash, 0, 77), runBatch(sim, 0, hash, 77, 160), runBatch(sim, 0, hash, 160, 240)];
    const sum = (rec: (a: EngineCellAggregate) => Record<string, number>, k: string): number => parts.reduce((n, p) => n + (rec(p)[k] ?? 0), 0);
    expect(sum((a) => a.hazards, 'I3')).toBe(whole.hazards.I3);
    for (const k of Object.keys(whole.useSites)) expect(sum((a) => a.useSites, k)).toBe(whole.useSites[k]);
    // and the merged first findings are the whole's (lowest run index per key)
    expect(JSON.stringify(mergeAll(0, whole.actors, parts).firstFailures)).toBe(JSON.stringify(whole.firstFailures));
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
