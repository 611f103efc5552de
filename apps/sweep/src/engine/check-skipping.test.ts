/**
 * Core re-evaluates the per-CPU checks only after steps that touched the CPU's mm state.
 * Cross-check that against checking every step on the bundled arch plugins (whose hardware
 * views are richer than the reference arch's): every run must end identically.
 */
import { hashString128, runSeed, Simulator } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../plugins/bundled.js';

const CELLS: [string, Record<string, unknown>][] = [
  ['x86-native', {}],
  ['x86-native', { invlpgb: true }],
  ['x86-paravirt', { backend: 'kvm' }],
  ['x86-paravirt', { backend: 'hyperv' }],
  ['x86-paravirt', { backend: 'xen' }],
  ['powerpc', { mmu: 'radix' }],
  ['powerpc', { mmu: 'hash' }],
];

describe('check skipping is invisible on the bundled arches', () => {
  for (const [name, archOptions] of CELLS) {
    it(`${name} ${JSON.stringify(archOptions)}: same outcome, step and violation as checking every step`, async () => {
      const plugin = await (await createRegistry()).arch(name);
      let violations = 0;
      for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
        const opts = { plugin, archOptions, scheme, cpus: 3, workload: 'default' as const };
        const fast = new Simulator(opts);
        const full = new Simulator({ ...opts, checkEveryStep: true });
        const cell = hashString128(fast.cellId);
        for (let i = 0; i < 300; i++) {
          const a = fast.run(runSeed(cell, i));
          const b = full.run(runSeed(cell, i));
          expect([a.outcome, a.steps, a.violation]).toEqual([b.outcome, b.steps, b.violation]);
          if (a.violation !== null) violations++;
        }
      }
      expect(violations).toBeGreaterThan(0);
    });
  }
});
