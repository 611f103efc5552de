import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../prng/sfc32.js';
import { lenientRun } from '../test-support/app-drivers.js';
import { CELLS, limitOf, outcomeOrError, perturb, seedOf, simOf, summary } from '../test-support/explorer-cells.js';
import { LenientReplayExplorer } from './lenient-replay.js';
import { ReplayExplorer } from './replay.js';

describe('LenientReplayExplorer', () => {
  it("gives exactly the sweep app's lenientRun result: outcome, steps, violation, findings, decisions, costs (4 cells x 100 seeds, perturbed lists, limits, targets)", () => {
    const rng = new Sfc32(1, 2, 3, 5);
    const outcomes = new Map<string, number>();
    let replaced = 0;
    for (const cell of CELLS) {
      const sim = simOf(cell);
      for (let i = 0; i < 100; i++) {
        const seed = seedOf(sim, i);
        const base = sim.run(seed, { keepDecisions: true });
        const d = perturb(base.decisions!, sim.actorCount + 1, rng);
        const limit = limitOf(base.steps, rng);
        const target = cell.target !== undefined && rng.int(2) === 0 ? cell.target : undefined;
        const want = outcomeOrError(() => summary(lenientRun(sim, seed, d, limit, target), sim));
        const got = outcomeOrError(() =>
          summary(
            sim.run(seed, { explorer: new LenientReplayExplorer(d, limit), keepDecisions: true, ...(target !== undefined ? { stopAt: target } : {}) }),
            sim,
          ),
        );
        expect(got).toEqual(want);
        const o = 'value' in got ? (got.value as { outcome: string }).outcome : 'error';
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        if ('value' in got && (got.value as { decisions: number[] }).decisions.join() !== Array.from(d).join()) replaced++;
      }
    }
    // The corpus reaches every way a lenient run ends, and most lists needed replacements.
    expect([...outcomes.keys()].sort()).toEqual(['ok', 'stopped', 'violation']);
    expect(replaced).toBeGreaterThan(250);
  });

  it("takes the recorded actor when enabled, else the lowest enabled one (also for values that are no actor and past the list's end)", () => {
    const ex = new LenientReplayExplorer([3, 9, 255, 0]);
    ex.begin(undefined, 8, 10, 100);
    const en = Uint8Array.from([1, 3, 5, 200]);
    expect([0, 1, 2, 3, 4, 5].map((s) => ex.pick(en, 3, s))).toEqual([3, 1, 1, 1, 1, 1]);
    expect(ex.pick(Uint8Array.from([0, 4]), 2, 3)).toBe(0);
  });

  it("ends the run where it stands at its limit and at the cell's step budget, outcome ok, never budget (as lenientRun)", () => {
    const cell = CELLS[2]!; // budget 150: the cell's own runs end `budget`
    const sim = simOf(cell);
    const seed = seedOf(sim, 0);
    const base = sim.run(seed, { keepDecisions: true });
    expect(base.outcome).toBe('budget');
    const atBudget = sim.run(seed, { explorer: new LenientReplayExplorer(base.decisions!), keepDecisions: true });
    expect([atBudget.outcome, atBudget.steps]).toEqual(['ok', 150]);
    const atLimit = sim.run(seed, { explorer: new LenientReplayExplorer(base.decisions!, 40), keepDecisions: true });
    expect([atLimit.outcome, atLimit.steps]).toEqual(['ok', 40]);
    expect(Array.from(atLimit.decisions!)).toEqual(Array.from(base.decisions!.subarray(0, 40)));
    // The decisions a lenient run took replay it exactly.
    const again = sim.run(seed, { explorer: new ReplayExplorer(atLimit.decisions!, { onEnd: 'stop' }), keepDecisions: true });
    expect(summary(again, sim)).toEqual(summary(sim.run(seed, { explorer: new LenientReplayExplorer(base.decisions!, 40), keepDecisions: true }), sim));
  });

  it('a reused explorer behaves like a fresh one (begin resets its limit)', () => {
    const sim = simOf(CELLS[1]!);
    const ex = new LenientReplayExplorer([0, 1, 0, 1], 30);
    for (let i = 0; i < 5; i++) {
      const seed = seedOf(sim, i);
      expect(summary(sim.run(seed, { explorer: ex, keepDecisions: true }), sim)).toEqual(
        summary(sim.run(seed, { explorer: new LenientReplayExplorer([0, 1, 0, 1], 30), keepDecisions: true }), sim),
      );
    }
  });
});
