import { describe, expect, it } from 'vitest';
import { Sfc32 } from '../prng/sfc32.js';
import { enabledAlong, preemptionPoints as appPreemptionPoints } from '../test-support/app-drivers.js';
import { CELLS, outcomeOrError, perturb, seedOf, simOf, summary } from '../test-support/explorer-cells.js';
import { thrown } from '../test-support/thrown.js';
import { RecordingExplorer, preemptionPoints } from './recording.js';
import { ReplayDivergence, ReplayExplorer } from './replay.js';
import { RandomExplorer } from './strategy.js';

describe('RecordingExplorer', () => {
  it("around a stop-at-end replay records the enabled sets of the sweep app's enabledAlong, with the same result (4 cells x 80 seeds)", () => {
    const rng = new Sfc32(9, 8, 7, 6);
    let diverged = 0;
    let points = 0;
    for (const cell of CELLS) {
      const sim = simOf(cell);
      for (let i = 0; i < 80; i++) {
        const seed = seedOf(sim, i);
        const base = sim.run(seed, { keepDecisions: true });
        let d = i % 4 === 0 ? base.decisions! : perturb(base.decisions!, sim.actorCount, rng);
        // enabledAlong has no step budget: a list longer than the budget steps past it (see below).
        if (d.length > sim.cell.stepBudget) d = d.subarray(0, sim.cell.stepBudget);
        const target = cell.target !== undefined && i % 3 === 0 ? cell.target : undefined;
        const want = outcomeOrError(() => {
          const { result, enabled } = enabledAlong(sim, seed, d, target);
          return { result: summary(result, sim), enabled, points: appPreemptionPoints(d, enabled) };
        });
        const rec = new RecordingExplorer(new ReplayExplorer(d, { onEnd: 'stop' }));
        const got = outcomeOrError(() => {
          const result = sim.run(seed, { explorer: rec, keepDecisions: true, ...(target !== undefined ? { stopAt: target } : {}) });
          return { result: summary(result, sim), enabled: rec.enabled, points: rec.preemptionPoints() };
        });
        // enabledAlong's divergence is the app's BugDepthError, the replay's a ReplayDivergence: same message.
        expect(got).toEqual(want);
        if ('error' in got) {
          diverged++;
          expect(thrown(() => sim.run(seed, { explorer: new ReplayExplorer(d) }))).toBeInstanceOf(ReplayDivergence);
          // The enabled set of the step that diverged is recorded too.
          const step = Number(/^step (\d+):/.exec(got.error)![1]);
          expect(rec.enabled.length).toBe(step + 1);
        } else {
          points += (got.value as { points: number[] }).points.length;
        }
      }
    }
    expect(diverged).toBeGreaterThan(50);
    expect(points).toBeGreaterThan(100);
  });

  it('differs from enabledAlong only on a list longer than the step budget: enabledAlong steps past the budget, the recorder ends budget there', () => {
    const cell = CELLS[2]!; // budget 150
    const sim = simOf(cell);
    const seed = seedOf(sim, 0);
    const base = sim.run(seed, { keepDecisions: true });
    const d = Uint8Array.from([...base.decisions!, ...sim.enabledActors().slice(0, 1)]);
    expect(d.length).toBe(151);
    const app = enabledAlong(sim, seed, d);
    expect(app.result.steps).toBe(151);
    const rec = new RecordingExplorer(new ReplayExplorer(d, { onEnd: 'stop' }));
    const r = sim.run(seed, { explorer: rec, keepDecisions: true });
    expect([r.outcome, r.steps, rec.enabled.length]).toEqual(['budget', 150, 150]);
    expect(rec.enabled).toEqual(app.enabled.slice(0, 150));
  });

  it('records what the wrapped explorer saw and picked, without changing the run; begin starts afresh', () => {
    const sim = simOf(CELLS[0]!);
    const rec = new RecordingExplorer(new RandomExplorer());
    for (let i = 0; i < 10; i++) {
      const seed = seedOf(sim, i);
      const plainSim = simOf({ ...CELLS[0]!, opts: { ...CELLS[0]!.opts, strategy: { kind: 'random' } } });
      const plain = plainSim.run(seed, { keepDecisions: true });
      const before = rec.enabled;
      const r = sim.run(seed, { explorer: rec, keepDecisions: true });
      expect(summary(r, sim)).toEqual(summary(plain, plainSim));
      expect(rec.picks).toEqual(Array.from(r.decisions!));
      expect(rec.enabled.length).toBe(r.steps);
      rec.enabled.forEach((en, s) => expect(en).toContain(rec.picks[s]));
      if (i > 0) expect(rec.enabled).not.toBe(before);
    }
  });

  it('preemptionPoints: a switch away from an actor that is still enabled', () => {
    expect(preemptionPoints([0, 0, 1, 1, 0], [[0], [0, 1], [0, 1], [1], [0]])).toEqual([2]);
    expect(preemptionPoints([], [])).toEqual([]);
  });
});
