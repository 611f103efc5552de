/**
 * Random runs through core's Simulator: a few hundred seeds per (backend × scheme × CPU
 * count) of the default workload (which includes vCPU preemptions). The thousands-per-cell
 * table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import { sweepCell } from '@lazytlb/arch-x86-native';
import plugin from './index.js';

const RUNS = 200;

describe('x86-paravirt random runs', () => {
  const cases = [
    { archOptions: { backend: 'kvm' }, shootdown: ['I7'], none: ['I1', 'I3'] },
    { archOptions: { backend: 'hyperv' }, shootdown: [], none: ['I1', 'I3'] },
    { archOptions: { backend: 'hyperv', hypercallFails: true }, shootdown: ['I7'], none: ['I1', 'I3'] },
    { archOptions: { backend: 'xen' }, shootdown: [], none: ['I3'] },
    { archOptions: { backend: 'xen', cpumask: 'clear-on-switch' }, shootdown: ['I7'], none: ['I3'] },
  ] as const;
  for (const c of cases) {
    for (const cpus of [2, 4]) {
      it(`${JSON.stringify(c.archOptions)} ${cpus} CPUs: refcount clean, shootdown ⊆ {${c.shootdown.join(',')}}, none violates ⊆ {${c.none.join(',')}}`, () => {
        const refcount = sweepCell({ plugin, archOptions: c.archOptions, scheme: 'refcount', cpus, runs: RUNS });
        expect(refcount.bad, JSON.stringify(refcount.shortest)).toEqual({});
        const shootdown = sweepCell({ plugin, archOptions: c.archOptions, scheme: 'shootdown', cpus, runs: RUNS });
        for (const key of Object.keys(shootdown.bad)) expect(c.shootdown as readonly string[]).toContain(key);
        const none = sweepCell({ plugin, archOptions: c.archOptions, scheme: 'none', cpus, runs: RUNS });
        expect(none.ok).toBeLessThan(RUNS);
        for (const key of Object.keys(none.bad)) expect(c.none as readonly string[]).toContain(key);
      });
    }
  }
});
