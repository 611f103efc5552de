import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { referenceVariant } from '../test-support/reference-variant.js';
import { Simulator } from './simulator.js';

/** The reference arch as a guest: the hypervisor may preempt and resume its vCPUs. */
const guestArch = referenceVariant('reference-guest', () => ({ vcpu_preempt() {}, vcpu_resume() {} }), { vcpuPreemption: true });

/**
 * The explorer's enabled set is maintained incrementally (only CPUs marked dirty are
 * recomputed). Cross-check it against a from-scratch computation after every step.
 */
describe('incremental enabled-actor tracking', () => {
  for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
    for (const [arch, workload] of [
      [referenceArch, 'default'],
      [referenceArch, 'kthread-heavy'],
      [referenceArch, 'idle-heavy'],
      [referenceArch, 'exit-heavy'],
      [guestArch, 'default'],
    ] as const) {
      it(`matches a full recomputation (${arch.name}, ${scheme}, ${workload})`, () => {
        const sim = new Simulator({ plugin: arch, scheme, cpus: 4, workload, strategy: { kind: 'random' } });
        const cell = hashString128(sim.cellId);
        let checked = 0;
        for (let i = 0; i < 150; i++) {
          sim.begin(runSeed(cell, i));
          for (let step = 0; step < 5000; step++) {
            const incremental = sim.enabledActors();
            expect(incremental).toEqual(sim.stepper.enabledFromScratch());
            checked++;
            if (incremental.length === 0) break;
            if (!sim.stepActor(incremental[(i + step * 7) % incremental.length]!)) break;
          }
          sim.end();
        }
        expect(checked).toBeGreaterThan(1000);
      });
    }
  }
});
