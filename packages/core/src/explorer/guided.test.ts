import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../prng/sfc32.js';
import { type Chooser, guidedRun, nonPreemptiveFrom, withoutPreemptionAt } from '../test-support/app-drivers.js';
import { CELLS, outcomeOrError, seedOf, simOf, summary } from '../test-support/explorer-cells.js';
import { thrown } from '../test-support/thrown.js';
import { GuidedExplorer } from './guided.js';
import { RecordingExplorer } from './recording.js';

/** A chooser that mostly keeps the previous actor and sometimes switches at random (deterministic per seed). */
function sticky(seed: number): Chooser {
  const rng = new Sfc32(seed, 1, 2, 3);
  return (_step, en, prev) => (prev >= 0 && en.includes(prev) && rng.int(4) !== 0 ? prev : en[rng.int(en.length)]!);
}

describe('GuidedExplorer', () => {
  it("gives exactly the sweep app's guidedRun result and preemption points with its choosers (4 cells x 60 seeds)", () => {
    const outcomes = new Set<string>();
    let runs = 0;
    for (const cell of CELLS) {
      const sim = simOf(cell);
      for (let i = 0; i < 60; i++) {
        const seed = seedOf(sim, i);
        const base = sim.run(seed, { keepDecisions: true });
        const d = base.decisions!;
        const target = cell.target !== undefined && i % 2 === 0 ? cell.target : undefined;
        // nonPreemptiveFrom / withoutPreemptionAt at some step, or a random sticky chooser.
        const at = 1 + ((i * 7919) % Math.max(1, d.length - 1));
        const makers: (() => Chooser)[] = [() => nonPreemptiveFrom(d, i % 5 === 0 ? 0 : at), () => withoutPreemptionAt(d, at), () => sticky(i)];
        for (const make of makers) {
          const want = outcomeOrError(() => {
            const { result, points } = guidedRun(sim, seed, make(), target);
            return { result: summary(result, sim), points };
          });
          const rec = new RecordingExplorer(new GuidedExplorer(make()));
          const got = outcomeOrError(() => {
            const result = sim.run(seed, { explorer: rec, keepDecisions: true, ...(target !== undefined ? { stopAt: target } : {}) });
            return { result: summary(result, sim), points: rec.preemptionPoints() };
          });
          expect(got).toEqual(want);
          outcomes.add('value' in got ? (got.value as { result: { outcome: string } }).result.outcome : 'error');
          runs++;
        }
      }
    }
    expect(runs).toBe(720);
    expect([...outcomes].sort()).toEqual(['ok', 'stopped', 'violation']);
  });

  it('asks the chooser with the step, a fresh enabled array and the previous actor (-1 first), and refuses a choice that is not enabled', () => {
    const sim = simOf(CELLS[1]!);
    const seen: [number, number[], number][] = [];
    // biome-ignore lint/complexity/noCommaOperator: record the enabled set, then choose (one expression: the chooser's shape)
    sim.run(seedOf(sim, 0), { explorer: new GuidedExplorer((step, en, prev) => (seen.push([step, [...en], prev]), en[en.length - 1]!)), keepDecisions: true });
    expect(seen[0]![2]).toBe(-1);
    seen.forEach(([step, en], i) => {
      expect(step).toBe(i);
      if (i > 0) expect(seen[i]![2]).toBe(seen[i - 1]![1][seen[i - 1]![1].length - 1]);
      expect(en.length).toBeGreaterThan(0);
    });
    const e = thrown(() => sim.run(seedOf(sim, 0), { explorer: new GuidedExplorer(() => 99) }));
    expect(e.message).toMatch(/^GuidedExplorer: step 0: the chooser picked actor 99, which is not enabled \(enabled: [\d,]+\)$/);
  });

  it('ends where it stands (ok) at its limit', () => {
    const sim = simOf(CELLS[0]!);
    const r = sim.run(seedOf(sim, 1), { explorer: new GuidedExplorer((_s, en) => en[0]!, 5), keepDecisions: true });
    expect([r.outcome, r.steps]).toEqual(['ok', 5]);
  });
});
