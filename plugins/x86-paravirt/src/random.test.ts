/**
 * Random runs through core's Simulator: a few hundred seeds per (backend × scheme × CPU
 * count) of the default workload (which includes vCPU preemptions, deep idle, text_poke,
 * khugepaged, reclaim and a suspend/resume). The thousands-per-cell table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import { runCell } from '@lazytlb/explore';
import { SITE_FIX_PROCESSOR_CONTEXT } from '@lazytlb/arch-x86-native';
import plugin from './index.js';

const RUNS = 200;
const NONE_SITES = ['__mmdrop', SITE_FIX_PROCESSOR_CONTEXT, 'membarrier_switch_mm'];

describe('x86-paravirt random runs', () => {
  const cases = [
    { archOptions: { backend: 'kvm' }, shootdown: ['I7'], none: ['I1', 'I14'] },
    { archOptions: { backend: 'hyperv' }, shootdown: [], none: ['I1', 'I14'] },
    { archOptions: { backend: 'hyperv', nativeFallback: 0.2 }, shootdown: ['I7'], none: ['I1', 'I14'] },
    { archOptions: { backend: 'hyperv', nativeFallback: 1 }, shootdown: ['I7'], none: ['I1', 'I14'] },
    { archOptions: { backend: 'xen' }, shootdown: [], none: ['I14'] },
    { archOptions: { backend: 'xen', cpumask: 'clear-on-switch' }, shootdown: ['I7'], none: ['I14'] },
  ] as const;
  for (const c of cases) {
    for (const cpus of [2, 4]) {
      it(`${JSON.stringify(c.archOptions)} ${cpus} CPUs: refcount clean, shootdown ⊆ {${c.shootdown.join(',')}}, none: I3 hazards, violations ⊆ {${c.none.join(',')}}`, () => {
        const refcount = runCell({ plugin, archOptions: c.archOptions, scheme: 'refcount', cpus }, { runs: RUNS });
        expect(refcount.notOk, JSON.stringify(refcount.shortest?.violation)).toEqual({});
        expect(refcount.hazards).toEqual({});
        const shootdown = runCell({ plugin, archOptions: c.archOptions, scheme: 'shootdown', cpus }, { runs: RUNS });
        for (const key of Object.keys(shootdown.notOk)) expect(c.shootdown as readonly string[], JSON.stringify(shootdown.shortest?.violation)).toContain(key);
        const none = runCell({ plugin, archOptions: c.archOptions, scheme: 'none', cpus }, { runs: RUNS });
        expect(none.hazards.I3 ?? 0).toBeGreaterThan(0);
        expect(none.notOk.I3).toBeUndefined();
        for (const key of Object.keys(none.notOk)) expect(c.none as readonly string[], JSON.stringify(none.shortest?.violation)).toContain(key);
        for (const site of Object.keys(none.useSites)) expect(NONE_SITES).toContain(site);
        expect((refcount.notOk.I2 ?? 0) + (shootdown.notOk.I2 ?? 0) + (none.notOk.I2 ?? 0)).toBe(0);
      });
    }
  }

  it('hyperv, shootdown, 4 CPUs: the hypercall alone never trims (clean); a 20% native fallback trims a lazy vCPU out of the mask (I7)', () => {
    const pure = runCell({ plugin, archOptions: { backend: 'hyperv' }, scheme: 'shootdown', cpus: 4 }, { runs: 500 });
    expect(pure.notOk).toEqual({});
    const fallback = runCell({ plugin, archOptions: { backend: 'hyperv', nativeFallback: 0.2 }, scheme: 'shootdown', cpus: 4 }, { runs: 500 });
    expect(Object.keys(fallback.notOk)).toEqual(['I7']);
    expect(fallback.costs.hypercalls).toBeGreaterThan(0); // most flushes still go through the hypercall
  });
});
