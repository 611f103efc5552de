import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../prng/sfc32.js';
import { CELLS, perturb, seedOf, simOf, summary } from '../test-support/explorer-cells.js';
import { thrown } from '../test-support/thrown.js';
import { ReplayDivergence, ReplayExplorer } from './replay.js';

describe('ReplayExplorer injected with RunOptions.explorer', () => {
  it('runs exactly as RunOptions.decisions does: results, costs, traces and divergences (4 cells x 60 seeds, perturbed lists)', () => {
    const rng = new Sfc32(7, 7, 7, 7);
    let runs = 0;
    let diverged = 0;
    for (const cell of CELLS) {
      const sim = simOf(cell);
      for (let i = 0; i < 60; i++) {
        const seed = seedOf(sim, i);
        const base = sim.run(seed, { keepDecisions: true });
        const d = i % 2 === 0 ? base.decisions! : perturb(base.decisions!, sim.actorCount + 1, rng);
        const stopAt = cell.target !== undefined && i % 3 === 0 ? { stopAt: cell.target } : {};
        const trace = i < 5;
        let want: unknown;
        try {
          const r = sim.run(seed, { decisions: d, keepDecisions: true, trace, ...stopAt });
          want = { ...(summary(r, sim) as object), trace: r.trace };
        } catch (e) {
          expect(e).toBeInstanceOf(ReplayDivergence);
          want = (e as Error).message;
          diverged++;
        }
        let got: unknown;
        try {
          const r = sim.run(seed, { explorer: new ReplayExplorer(d), keepDecisions: true, trace, ...stopAt });
          got = { ...(summary(r, sim) as object), trace: r.trace };
        } catch (e) {
          expect(e).toBeInstanceOf(ReplayDivergence);
          got = (e as Error).message;
        }
        expect(got).toEqual(want);
        runs++;
      }
    }
    expect(runs).toBe(240);
    expect(diverged).toBeGreaterThan(20);
  });

  it('onEnd "stop" ends the run where it stands when the list runs out (outcome ok), and the rest replays', () => {
    const sim = simOf(CELLS[1]!);
    const seed = seedOf(sim, 3);
    const full = sim.run(seed, { keepDecisions: true });
    const half = full.decisions!.subarray(0, full.steps >> 1);
    expect(thrown(() => sim.run(seed, { decisions: half })).message).toContain(`decision list ends at step ${half.length}`);
    const r = sim.run(seed, { explorer: new ReplayExplorer(half, { onEnd: 'stop' }), keepDecisions: true });
    expect(r.outcome).toBe('ok');
    expect(r.steps).toBe(half.length);
    expect(Array.from(r.decisions!)).toEqual(Array.from(half));
  });

  it('decisions and explorer together are refused', () => {
    const sim = simOf(CELLS[1]!);
    expect(thrown(() => sim.run(seedOf(sim, 0), { decisions: [0], explorer: new ReplayExplorer([0]) })).message).toBe(
      'RunOptions: give decisions or explorer, not both',
    );
  });
});

describe('injected explorers', () => {
  it('an injected explorer that picks an actor that is not enabled is refused with the step and the enabled set', () => {
    const sim = simOf(CELLS[1]!);
    const bad = { begin() {}, pick: (en: Uint8Array, n: number) => (n > 1 ? 200 : en[0]!) };
    const e = thrown(() => sim.run(seedOf(sim, 0), { explorer: bad }));
    expect(e.message).toMatch(/^step \d+: the explorer picked actor 200, which is not enabled \(enabled: [\d,]+\)$/);
  });

  it("the cell's own strategy is unchanged by injected runs in between (same results as a fresh simulator)", () => {
    const a = simOf(CELLS[0]!);
    const b = simOf(CELLS[0]!);
    for (let i = 0; i < 30; i++) {
      const seed = seedOf(a, i);
      const r = b.run(seed, { keepDecisions: true });
      b.run(seed, { explorer: new ReplayExplorer(r.decisions!), keepDecisions: true });
      expect(summary(a.run(seed, { keepDecisions: true }), a)).toEqual(summary(b.run(seed, { keepDecisions: true }), b));
    }
  });
});
