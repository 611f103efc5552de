import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { Sfc32 } from '../prng/sfc32.js';
import {
  createExplorer,
  type Explorer,
  parseStrategy,
  PctExplorer,
  RandomExplorer,
  ReplayDivergence,
  ReplayExplorer,
  StrategySpec,
  strategyToString,
} from './strategy.js';

const all = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

/** The actors ordered by PCT priority, highest first, discovered only through pick(). */
function priorityOrder(ex: PctExplorer, n: number, step: number): number[] {
  const rest = Array.from({ length: n }, (_, i) => i);
  const order: number[] = [];
  while (rest.length > 0) {
    const a = ex.pick(Uint8Array.from(rest), rest.length, step);
    if (!rest.includes(a)) throw new Error(`pick returned ${a}, not one of the enabled ${rest.join(',')}`);
    order.push(a);
    rest.splice(rest.indexOf(a), 1);
  }
  return order;
}

describe('parseStrategy', () => {
  it('parses "random"', () => {
    expect(parseStrategy('random')).toEqual({ kind: 'random' });
  });

  it('parses "pct:D" for D in 1..16', () => {
    expect(parseStrategy('pct:3')).toEqual({ kind: 'pct', depth: 3 });
    expect(parseStrategy('pct:1')).toEqual({ kind: 'pct', depth: 1 });
    expect(parseStrategy('pct:16')).toEqual({ kind: 'pct', depth: 16 });
  });

  it('parses "exhaustive" and "exhaustive:P"', () => {
    expect(parseStrategy('exhaustive')).toEqual({ kind: 'exhaustive' });
    expect(parseStrategy('exhaustive:0')).toEqual({ kind: 'exhaustive', preemptions: 0 });
    expect(parseStrategy('exhaustive:64')).toEqual({ kind: 'exhaustive', preemptions: 64 });
  });

  it.each([
    'foo',
    'pct:x',
    'pct',
    'pct:',
    'pct:-1',
    'pct:2.5',
    'Random',
    'random ',
    ' pct:3',
    'pct:3:4',
    '',
    'exhaustive:',
    'exhaustive:65',
    'exhaustive:-1',
    'dfs',
  ])('rejects %j saying what is expected', (text) => {
    const e = thrown(() => parseStrategy(text));
    expect(e.message).toBe(
      `invalid strategy "${text}": expected "random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P" with P (a preemption bound) in 0..64`,
    );
  });

  // Fixed: out-of-range depths used to escape as a raw ZodError instead of this message.
  it('rejects out-of-range depths with the same message as other malformed strategies', () => {
    for (const text of ['pct:0', 'pct:17']) {
      expect(thrown(() => parseStrategy(text)).message).toBe(
        `invalid strategy "${text}": expected "random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P" with P (a preemption bound) in 0..64`,
      );
    }
  });
});

describe('strategyToString', () => {
  it('writes the CLI form', () => {
    expect(strategyToString({ kind: 'random' })).toBe('random');
    expect(strategyToString({ kind: 'pct', depth: 7 })).toBe('pct:7');
    expect(strategyToString({ kind: 'exhaustive' })).toBe('exhaustive');
    expect(strategyToString({ kind: 'exhaustive', preemptions: 2, maxExecutions: 10 })).toBe('exhaustive:2');
  });

  it('round-trips through parseStrategy for every valid spec', () => {
    const spec = fc.oneof(
      fc.constant<StrategySpec>({ kind: 'random' }),
      fc.integer({ min: 1, max: 16 }).map((depth): StrategySpec => ({ kind: 'pct', depth })),
      fc.constant<StrategySpec>({ kind: 'exhaustive' }),
      fc.integer({ min: 0, max: 64 }).map((preemptions): StrategySpec => ({ kind: 'exhaustive', preemptions })),
    );
    fc.assert(
      fc.property(spec, (s) => {
        expect(parseStrategy(strategyToString(s))).toEqual(s);
      }),
    );
  });
});

describe('StrategySpec', () => {
  it('is strict and bounds the depth', () => {
    expect(StrategySpec.safeParse({ kind: 'pct', depth: 3, extra: 1 }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'pct' }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'pct', depth: 1.5 }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'dfs' }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'exhaustive', preemptions: 2, maxExecutions: 100 }).success).toBe(true);
    expect(StrategySpec.safeParse({ kind: 'exhaustive', depth: 2 }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'exhaustive', maxExecutions: 0 }).success).toBe(false);
    expect(StrategySpec.safeParse({ kind: 'random', depth: 2 }).success).toBe(false);
  });
});

describe('createExplorer', () => {
  it('builds the explorer the spec names', () => {
    expect(createExplorer({ kind: 'random' })).toBeInstanceOf(RandomExplorer);
    const pct = createExplorer({ kind: 'pct', depth: 4 });
    expect(pct).toBeInstanceOf(PctExplorer);
    expect((pct as PctExplorer).depth).toBe(4);
  });
});

describe('RandomExplorer', () => {
  it('picks only enabled actors (ignoring entries past n) and covers all of them roughly uniformly', () => {
    const ex: Explorer = new RandomExplorer();
    ex.begin(new Sfc32(1, 2, 3, 4), 10, 100);
    // Entries after n are stale and must never be chosen.
    const enabled = Uint8Array.from([1, 4, 7, 9, 200, 201]);
    const counts = new Map<number, number>();
    for (let step = 0; step < 8000; step++) {
      const a = ex.pick(enabled, 4, step);
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([1, 4, 7, 9]);
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan(1700);
      expect(c).toBeLessThan(2300);
    }
  });

  it('with one enabled actor picks it', () => {
    const ex: Explorer = new RandomExplorer();
    ex.begin(new Sfc32(5, 5, 5, 5), 7, 100);
    for (let step = 0; step < 50; step++) expect(ex.pick(Uint8Array.from([6, 3]), 1, step)).toBe(6);
  });

  it('is a pure function of its PRNG stream', () => {
    const run = (seed: number): number[] => {
      const ex: Explorer = new RandomExplorer();
      ex.begin(new Sfc32(seed, 0, 0, 1), 9, 200);
      return Array.from({ length: 200 }, (_, s) => ex.pick(all(9), 9, s));
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });
});

describe('PctExplorer', () => {
  it('with depth 1 always picks the same highest-priority actor of a fixed enabled set', () => {
    for (let seed = 0; seed < 50; seed++) {
      const ex = new PctExplorer(1);
      ex.begin(new Sfc32(seed, 1, 2, 3), 6, 1000);
      const enabled = Uint8Array.from([0, 2, 3, 5]);
      const first = ex.pick(enabled, 4, 0);
      expect([0, 2, 3, 5]).toContain(first);
      const picks = Array.from({ length: 999 }, (_, i) => ex.pick(enabled, 4, i + 1));
      expect(picks).toEqual(new Array(999).fill(first));
    }
  });

  it('priorities are a strict total order: every subset picks its highest-ranked member', () => {
    const n = 6;
    for (let seed = 0; seed < 20; seed++) {
      const ex = new PctExplorer(1);
      ex.begin(new Sfc32(seed, 7, 7, 7), n, 100);
      const order = priorityOrder(ex, n, 0);
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (let mask = 1; mask < 1 << n; mask++) {
        const subset = Array.from({ length: n }, (_, i) => i).filter((i) => (mask & (1 << i)) !== 0);
        const expected = order.find((a) => subset.includes(a));
        expect(ex.pick(Uint8Array.from(subset), subset.length, 0)).toBe(expected);
      }
    }
  });

  it('initial priorities are a permutation of depth..depth+n-1', () => {
    for (const depth of [1, 3, 16]) {
      const ex = new PctExplorer(depth);
      ex.begin(new Sfc32(depth, 2, 3, 4), 9, 50);
      const prio = Array.from((ex as unknown as { prio: Int32Array }).prio.subarray(0, 9));
      expect([...prio].sort((a, b) => a - b)).toEqual(Array.from({ length: 9 }, (_, i) => depth + i));
    }
  });

  it('draws each priority order about equally often (unbiased shuffle)', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const ex = new PctExplorer(1);
      ex.begin(new Sfc32(seed, 0xabc, 0xdef, 1), 3, 10);
      const key = priorityOrder(ex, 3, 0).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan(850);
      expect(c).toBeLessThan(1150);
    }
  });

  it('a change point lowers the running actor below every initial priority at that step', () => {
    // depth 2, estimated 1 step: the single change point is step 1.
    for (let seed = 0; seed < 30; seed++) {
      const n = 5;
      const ex = new PctExplorer(2);
      ex.begin(new Sfc32(seed, 3, 2, 1), n, 1);
      const picks = Array.from({ length: 6 }, (_, step) => ex.pick(all(n), n, step));
      const top = picks[0]!;
      // The top actor runs at steps 0 and 1 (the change applies after the step-1 pick) ...
      expect(picks[1]).toBe(top);
      // ... and from step 2 on another actor (the second-highest) always wins.
      expect(picks[2]).not.toBe(top);
      for (let s = 3; s < 6; s++) expect(picks[s]).toBe(picks[2]);
      // The lowered actor now loses even against the lowest-priority initial actor.
      const order = priorityOrder(ex, n, 10);
      expect(order[n - 1]).toBe(top);
    }
  });

  it('change points fall uniformly in [1, estSteps] and are taken at that step', () => {
    const K = 5;
    const at = new Map<number, number>();
    for (let seed = 0; seed < 1000; seed++) {
      const n = 3;
      const ex = new PctExplorer(2);
      ex.begin(new Sfc32(seed, 11, 12, 13), n, K);
      const top = ex.pick(all(n), n, 0);
      let changedAt = -1;
      for (let step = 1; step <= K + 2; step++) {
        const a = ex.pick(all(n), n, step);
        if (a !== top) {
          changedAt = step - 1;
          break;
        }
      }
      expect(changedAt).toBeGreaterThanOrEqual(1);
      expect(changedAt).toBeLessThanOrEqual(K);
      at.set(changedAt, (at.get(changedAt) ?? 0) + 1);
    }
    expect([...at.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const c of at.values()) {
      expect(c).toBeGreaterThan(150);
      expect(c).toBeLessThan(250);
    }
  });

  it('a change point lowers the actor that ran at that step, even when it is not the top actor', () => {
    // depth 2, estSteps 1: change point at step 1. Only the lowest-priority actor is enabled then.
    const n = 4;
    const ex = new PctExplorer(2);
    ex.begin(new Sfc32(42, 42, 42, 42), n, 1);
    const order = priorityOrder(ex, n, 0);
    const lowest = order[n - 1]!;
    expect(ex.pick(Uint8Array.from([lowest]), 1, 1)).toBe(lowest);
    // Nothing else was lowered: the former top still wins, and `lowest` stays last.
    const after = priorityOrder(ex, n, 5);
    expect(after).toEqual(order);
    // It was lowered from depth (2) to depth - 2 (0).
    expect((ex as unknown as { prio: Int32Array }).prio[lowest]).toBe(0);
  });

  it('with depth d, all d-1 lowered priorities are below every initial one', () => {
    const d = 4;
    const n = 6;
    for (let seed = 0; seed < 50; seed++) {
      const ex = new PctExplorer(d);
      ex.begin(new Sfc32(seed, 9, 9, 9), n, 20);
      for (let step = 0; step <= 21; step++) ex.pick(all(n), n, step);
      const prio = Array.from((ex as unknown as { prio: Int32Array }).prio.subarray(0, n));
      const lowered = prio.filter((p) => p < d);
      const kept = prio.filter((p) => p >= d);
      // Change points may coincide or hit an already-lowered actor, so 1..d-1 actors were lowered.
      expect(lowered.length).toBeGreaterThanOrEqual(1);
      expect(lowered.length).toBeLessThanOrEqual(d - 1);
      for (const p of lowered) expect(p).toBeGreaterThanOrEqual(0);
      expect(new Set(kept).size).toBe(kept.length);
      for (const p of kept) expect(p).toBeLessThan(d + n);
    }
  });

  it('begin() starts afresh: a reused explorer behaves like a new one', () => {
    const used = new PctExplorer(3);
    used.begin(new Sfc32(1, 1, 1, 1), 8, 10);
    for (let s = 0; s < 30; s++) used.pick(all(8), 8, s);
    used.begin(new Sfc32(2, 2, 2, 2), 4, 10);
    const fresh = new PctExplorer(3);
    fresh.begin(new Sfc32(2, 2, 2, 2), 4, 10);
    for (let s = 0; s < 30; s++) expect(used.pick(all(4), 4, s)).toBe(fresh.pick(all(4), 4, s));
  });
});

describe('ReplayExplorer', () => {
  it('returns the recorded decisions in order', () => {
    const ex = new ReplayExplorer([3, 0, 5, 3]);
    ex.begin();
    const enabled = Uint8Array.from([0, 3, 5]);
    expect([0, 1, 2, 3].map((s) => ex.pick(enabled, 3, s))).toEqual([3, 0, 5, 3]);
  });

  it('accepts a Uint8Array decision list', () => {
    const ex = new ReplayExplorer(Uint8Array.from([2, 1]));
    expect(ex.pick(Uint8Array.from([1, 2]), 2, 1)).toBe(1);
  });

  it('throws ReplayDivergence naming the step, the actor and the enabled set when a decision is not enabled', () => {
    const ex = new ReplayExplorer([0, 3]);
    expect(ex.pick(Uint8Array.from([0, 5]), 2, 0)).toBe(0);
    // Actor 3 sits past n in the array: it is not enabled.
    const e = thrown(() => ex.pick(Uint8Array.from([0, 5, 3]), 2, 1));
    expect(e).toBeInstanceOf(ReplayDivergence);
    expect(e.name).toBe('ReplayDivergence');
    expect(e.message).toBe('step 1: recorded actor 3 is not enabled (enabled: 0,5)');
  });

  it('throws ReplayDivergence naming the step when the decision list runs out', () => {
    const ex = new ReplayExplorer([1, 1]);
    ex.pick(Uint8Array.from([1]), 1, 0);
    ex.pick(Uint8Array.from([1]), 1, 1);
    const e = thrown(() => ex.pick(Uint8Array.from([1]), 1, 2));
    expect(e).toBeInstanceOf(ReplayDivergence);
    expect(e.message).toContain('step 2');
    expect(e.message).toContain('run goes on');
  });

  it('an empty decision list diverges at step 0', () => {
    const e = thrown(() => new ReplayExplorer([]).pick(Uint8Array.from([0]), 1, 0));
    expect(e).toBeInstanceOf(ReplayDivergence);
    expect(e.message).toContain('step 0');
  });
});
