/**
 * Cutting a search into subtrees (subtrees.ts) and searching them apart (batch.ts): the subtrees
 * together are the search. Without state hashing and sleep sets their executions are exactly the
 * whole search's (the roots partition the tree); with them, the same findings and verdict. The
 * sweep's exhaustive batches add up to the same aggregate however the units are batched.
 */
import { describe, expect, it } from 'vitest';
import { hashString128, referenceArch, type RunSeed, runSeed, seedFromHex, seedToHex, Simulator } from '@lazytlb/core';
import { mergeAll } from '../aggregate/aggregate.js';
import { DEFAULT_MAX_EXECUTIONS, exhaustiveBatch } from './batch.js';
import { DfsExplorer } from './dfs-explorer.js';
import { exhaustiveSearch } from './search.js';
import { SUBTREES, splitSearch } from './subtrees.js';

const SEED: RunSeed = runSeed(hashString128('subtrees'), 0);

function sim(
  scheme: 'refcount' | 'shootdown' | 'none',
  workload: `canonical:${string}`,
  strategy?: { kind: 'exhaustive'; preemptions?: number; maxExecutions?: number },
) {
  return new Simulator({ plugin: referenceArch, scheme, cpus: 2, workload, ...(strategy !== undefined ? { strategy } : {}) });
}

const keysOf = (fs: readonly { class: string; key: string }[]) => [...new Set(fs.map((f) => `${f.class}:${f.key}`))].sort();

describe('splitSearch', () => {
  it('partitions the reference search: the subtrees run exactly its executions, and find what it finds', () => {
    for (const [scheme, workload, bound] of [
      ['none', 'canonical:exit-while-lazy', 1],
      ['refcount', 'canonical:kthread-use-mm-vs-flush', 1],
      ['none', 'canonical:switch-vs-flush', 0],
    ] as const) {
      const s = sim(scheme, workload);
      const off = { stateHashing: 'off', partialOrder: 'off', preemptionBound: bound } as const;
      const whole = exhaustiveSearch(s, { seed: SEED, ...off });
      const split = splitSearch(s, { seed: SEED, ...off, target: 8 });
      expect(split.roots.length).toBeGreaterThanOrEqual(Math.min(8, whole.executions));
      let executions = 0;
      const findings: { class: string; key: string }[] = [];
      for (const root of split.roots) {
        const r = exhaustiveSearch(s, { seed: SEED, ...off, root });
        expect(r.verdict).not.toBe('incomplete');
        executions += r.executions;
        findings.push(...r.findings);
      }
      expect(executions, `${scheme} ${workload}`).toBe(whole.executions);
      expect(keysOf(findings)).toEqual(keysOf(whole.findings));
    }
  });

  it('with state hashing and sleep sets: the subtrees find what the whole search finds', () => {
    for (const [scheme, workload] of [
      ['none', 'canonical:exec-while-lazy'],
      ['shootdown', 'canonical:fork-racing-exit'],
      ['refcount', 'canonical:hotplug-vs-exit'],
    ] as const) {
      const s = sim(scheme, workload);
      const whole = exhaustiveSearch(s, { seed: SEED });
      expect(whole.partialOrder.on).toBe(true);
      const split = splitSearch(s, { seed: SEED });
      expect(split.roots.length).toBeGreaterThanOrEqual(SUBTREES);
      const findings: { class: string; key: string }[] = [];
      for (const root of split.roots) findings.push(...exhaustiveSearch(s, { seed: SEED, root }).findings);
      expect(keysOf(findings), `${scheme} ${workload}`).toEqual(keysOf(whole.findings));
    }
  });

  it('is a function of the cell and the seed: the same roots every time', () => {
    const s = sim('shootdown', 'canonical:switch-vs-flush');
    const a = splitSearch(s, { seed: SEED, preemptionBound: 2 });
    const b = splitSearch(sim('shootdown', 'canonical:switch-vs-flush'), { seed: SEED, preemptionBound: 2 });
    expect(b.roots.map((r) => [...r])).toEqual(a.roots.map((r) => [...r]));
    expect(a.depth).toBeGreaterThan(0);
  });
});

describe('a plain run of an exhaustive cell (core FirstScheduleExplorer)', () => {
  it("is the search's first execution: same decisions and choices", () => {
    for (const workload of ['canonical:switch-vs-flush', 'canonical:exec-while-lazy'] as const) {
      const s = sim('none', workload, { kind: 'exhaustive' });
      const first = s.run(SEED, { explorer: new DfsExplorer(), keepDecisions: true });
      const plain = s.run(SEED, { keepDecisions: true });
      expect(plain.choices).not.toBeNull();
      expect([...plain.decisions!]).toEqual([...first.decisions!]);
      expect([...plain.choices!]).toEqual([...first.choices!]);
    }
  });
});

describe('exhaustiveBatch', () => {
  const cellHash = seedToHex(hashString128('exhaustive batch'));

  it('adds up to the same aggregate however the units are batched', () => {
    const s = sim('none', 'canonical:switch-vs-flush', { kind: 'exhaustive', preemptions: 2 });
    const one = exhaustiveBatch(s, 0, cellHash, 0, SUBTREES);
    const fresh = sim('none', 'canonical:switch-vs-flush', { kind: 'exhaustive', preemptions: 2 });
    const parts = [
      [0, 5],
      [5, 6],
      [6, 20],
      [20, SUBTREES],
    ].map(([a, b]) => exhaustiveBatch(fresh, 0, cellHash, a!, b!));
    const merged = mergeAll(0, s.actorCount, parts.reverse());
    expect(JSON.stringify(merged)).toBe(JSON.stringify(one));
    expect(one.batches).toEqual([`0-${SUBTREES}`]);
    expect(one.violations.I14).toBeGreaterThan(0);
    // The first failure replays from its artifact, decisions and choices included.
    const f = one.firstFailures.I14!;
    expect(f.artifact.choices).toBeDefined();
    expect(f.runIndex).toBeLessThan(SUBTREES);
  });

  it('searches every root of the split, however many there are (units take roots i, i + SUBTREES, …)', () => {
    const strategy = { kind: 'exhaustive', preemptions: 2 } as const;
    const s = sim('shootdown', 'canonical:switch-vs-flush', strategy);
    const split = splitSearch(s, { seed: runSeed(seedFromHex(cellHash), 0), preemptionBound: 2 });
    expect(split.roots.length).toBeGreaterThan(SUBTREES);
    const share = Math.ceil(DEFAULT_MAX_EXECUTIONS / split.roots.length);
    let executions = 0;
    for (const root of split.roots)
      executions += exhaustiveSearch(s, { seed: runSeed(seedFromHex(cellHash), 0), preemptionBound: 2, root, maxExecutions: share }).executions;
    expect(exhaustiveBatch(s, 0, cellHash, 0, SUBTREES).runs).toBe(executions);
  });

  it('counts executions as runs and the whole search as proved when nothing is violated', () => {
    const s = sim('refcount', 'canonical:exit-while-lazy', { kind: 'exhaustive' });
    const a = exhaustiveBatch(s, 0, cellHash, 0, SUBTREES);
    expect(a.runs).toBe(a.exhaustive!.executions);
    expect(a.runs).toBeGreaterThan(0);
    expect(a.violations).toEqual({});
    expect(a.exhaustive!.stoppedSubtrees).toBe(0);
    expect(a.exhaustive!.stateHashing).toBeNull();
    expect(a.exhaustive!.partialOrder).toBeNull();
  });

  it('a search that throws is a model error of its unit, naming the root (not a crash at a seed)', () => {
    const s = sim('refcount', 'canonical:switch-vs-flush', { kind: 'exhaustive', preemptions: 2 });
    let resumes = 0;
    // The simulator of one unit's search throws once (as a model that is not a function of its decisions would).
    const broken = new Proxy(s, {
      get(t, p) {
        if (p === 'resume')
          return (...a: Parameters<Simulator['resume']>) => {
            if (++resumes === 3) throw new Error('boom');
            return t.resume(...a);
          };
        const v: unknown = Reflect.get(t, p, t);
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
      },
    });
    const a = exhaustiveBatch(broken, 0, cellHash, 0, SUBTREES);
    expect(resumes).toBeGreaterThan(3);
    expect(a.modelErrors).toBe(1);
    expect(a.firstErrors['model-error']!.message).toMatch(/^exhaustive search of unit \d+, root \d+ \(alternatives [\d,]+\): boom$/);
  });

  it('a budget too small for a subtree leaves it stopped, with its frontier', () => {
    const s = sim('refcount', 'canonical:hotplug-vs-exit', { kind: 'exhaustive', maxExecutions: SUBTREES });
    const a = exhaustiveBatch(s, 0, cellHash, 0, SUBTREES);
    expect(a.exhaustive!.stoppedSubtrees).toBeGreaterThan(0);
    expect(a.exhaustive!.frontier).toBeGreaterThan(0);
  });
});
