import { describe, expect, it } from 'vitest';
import type { Explorer } from '../explorer/explorer.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from './simulator.js';

const SEED = runSeed(hashString128('run-points'), 0);
const make = () => new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'canonical:exec-while-lazy' });

/** The lowest enabled actor at every step, choice 0 in every step: a deterministic explorer that enumerates choices. */
function lowest(): Explorer {
  return { begin: () => {}, pick: (en, n) => Math.min(...Array.from(en.subarray(0, n))), chooseInStep: () => 0 };
}

describe('Simulator.saveRun / restoreRun / resume (stateful exhaustive search)', () => {
  it('a run restored to a saved point and resumed ends exactly as the run that never left it', () => {
    const plain = make();
    const ref = plain.run(SEED, { explorer: lowest(), keepDecisions: true });
    const refCosts = plain.costsObject();
    expect(ref.steps).toBeGreaterThan(12);
    for (const at of [0, 3, 9]) {
      const s = make();
      const ex = lowest();
      s.begin(SEED, { explorer: ex });
      for (let i = 0; i < at; i++) expect(s.stepActor(ref.decisions![i]!)).toBe(true);
      const p = s.newRunPoint();
      s.saveRun(p);
      // Wander off: the highest enabled actor for a while, then end that run.
      for (let i = 0; i < 8; i++) {
        const en = s.enabledActors();
        if (en.length === 0 || !s.stepActor(Math.max(...en))) break;
      }
      s.end();
      s.restoreRun(p);
      expect(s.k.step).toBe(at);
      const r = s.resume({ explorer: ex, keepDecisions: true });
      expect({ ...r, trace: null }).toEqual({ ...ref, trace: null });
      expect(s.costsObject()).toEqual(refCosts);
    }
  });

  it('refuses a point of another run and an explorer the run did not begin with', () => {
    const s = make();
    s.begin(SEED, { explorer: lowest() });
    const p = s.newRunPoint();
    s.saveRun(p);
    expect(() => s.resume({ explorer: lowest() })).toThrow(/explorer/);
    s.begin(SEED, { explorer: lowest() });
    expect(() => s.restoreRun(p)).toThrow(/another run/);
  });
});
