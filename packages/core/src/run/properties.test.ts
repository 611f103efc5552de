/**
 * Property tests over random runs on the reference arch (fast-check draws the cell and the
 * run index; each property covers thousands of runs in total).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { PROFILE_NAMES } from '../workload/profiles.js';
import { makeArtifact, replayArtifact } from '../artifact/artifact.js';
import { Simulator } from './simulator.js';

const sims = new Map<string, Simulator>();
function simFor(scheme: 'refcount' | 'shootdown' | 'none', cpus: number, workload: string, depth: number): Simulator {
  const key = `${scheme}/${cpus}/${workload}/${depth}`;
  let sim = sims.get(key);
  if (sim === undefined) {
    sim = new Simulator({
      plugin: referenceArch,
      scheme,
      cpus,
      workload: workload as 'default',
      strategy: depth === 0 ? { kind: 'random' } : { kind: 'pct', depth },
    });
    sims.set(key, sim);
  }
  return sim;
}

const cellArb = fc.record({
  cpus: fc.integer({ min: 1, max: 8 }),
  workload: fc.constantFrom(...PROFILE_NAMES),
  depth: fc.integer({ min: 0, max: 3 }),
  run: fc.nat(1_000_000),
});

describe('properties on the reference arch', () => {
  it('refcount: every run is clean (in particular I4/I5/I6 hold), over thousands of runs', () => {
    let runs = 0;
    fc.assert(
      fc.property(cellArb, ({ cpus, workload, depth, run }) => {
        const sim = simFor('refcount', cpus, workload, depth);
        const cell = hashString128(sim.cellId);
        for (let i = 0; i < 10; i++) {
          const r = sim.run(runSeed(cell, run + i));
          runs++;
          expect(r.violation).toBeNull();
          expect(r.outcome).toBe('ok');
        }
      }),
      { numRuns: 400, seed: 42 },
    );
    expect(runs).toBe(4000);
  });

  for (const scheme of ['shootdown', 'none'] as const) {
    it(`${scheme}: I4, I5 and I6 never break (only the lazy-pointer/hardware invariants may)`, () => {
      fc.assert(
        fc.property(cellArb, ({ cpus, workload, depth, run }) => {
          const sim = simFor(scheme, cpus, workload, depth);
          const cell = hashString128(sim.cellId);
          for (let i = 0; i < 10; i++) {
            const r = sim.run(runSeed(cell, run + i));
            expect(['ok', 'violation']).toContain(r.outcome);
            if (r.violation !== null) expect(['I4', 'I5', 'I6']).not.toContain(r.violation.invariant);
            if (scheme === 'shootdown') expect(r.outcome).toBe('ok');
          }
        }),
        { numRuns: 200, seed: 7 },
      );
    });
  }

  it('replay reproduces any run exactly (outcome, steps, violation, costs)', () => {
    fc.assert(
      fc.property(cellArb, fc.constantFrom('refcount', 'shootdown', 'none' as const), ({ cpus, workload, depth, run }, scheme) => {
        const sim = simFor(scheme, cpus, workload, depth);
        const seed = runSeed(hashString128(sim.cellId), run);
        const r = sim.run(seed, { keepDecisions: true });
        const costs = Array.from(sim.costs);
        const replay = replayArtifact(makeArtifact(sim, seed, r), referenceArch);
        expect(replay.reproduced).toBe(true);
        expect(replay.result.violation).toEqual(r.violation);
        expect(Array.from(replay.simulator.costs)).toEqual(costs);
      }),
      { numRuns: 300, seed: 99 },
    );
  });
});
