import { describe, expect, it } from 'vitest';
import { INIT_MM } from '../machine/constants.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { PROFILE_NAMES } from '../workload/profiles.js';
import { Simulator, type SimulatorOptions } from './simulator.js';

/** An arch whose switch_mm skips loading init_mm: I13 fires (a check that must not be skipped). */
const noInitLoad = referenceVariant('no-init-load', (h) => ({
  switch_mm_irqs_off: (k, cpu, prev, next, task) => (next !== INIT_MM ? h.switch_mm_irqs_off(k, cpu, prev, next, task) : undefined),
}));

/**
 * The per-CPU checks run only after steps that touched the CPU's mm state. Cross-check against
 * checking after every step: every run must end identically (outcome, step, CPU, invariant).
 */
describe('per-CPU checks only after steps that touch mm state', () => {
  const cells: SimulatorOptions[] = [];
  for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
    for (const workload of PROFILE_NAMES) cells.push({ plugin: referenceArch, scheme, cpus: 3, workload });
    cells.push({ plugin: referenceArch, archOptions: { leaveLazyOnFreedTables: false }, scheme, cpus: 4, workload: 'default' });
    cells.push({ plugin: noInitLoad, scheme, cpus: 2, workload: 'default' });
  }
  for (const opts of cells) {
    it(`gives the same results as checking every step (${opts.plugin.name}, ${String(opts.scheme)}, ${String(opts.workload)})`, () => {
      const fast = new Simulator(opts);
      const full = new Simulator({ ...opts, checkEveryStep: true });
      const cell = hashString128(fast.cellId);
      let violations = 0;
      for (let i = 0; i < 400; i++) {
        const a = fast.run(runSeed(cell, i));
        const b = full.run(runSeed(cell, i));
        expect(a.outcome).toBe(b.outcome);
        expect(a.steps).toBe(b.steps);
        expect(a.violation).toEqual(b.violation);
        expect([a.hazards, a.useSites]).toEqual([b.hazards, b.useSites]);
        if (a.violation !== null || a.hazards !== 0) violations++;
      }
      if (opts.scheme === 'none' || (opts.plugin === noInitLoad && opts.scheme === 'shootdown')) expect(violations).toBeGreaterThan(0);
    });
  }
});
