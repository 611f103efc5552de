/**
 * CPU hotplug in x86 guests: the hooks are native x86's (cpu_up = initialize_tlbstate_and_flush,
 * no cpu_disable). Seeded runs of the hotplug profile (CPU offline/online cycles on top of the
 * default mix and vCPU preemptions): refcount clean, shootdown no worse than without hotplug.
 */
import { describe, expect, it } from 'vitest';
import { runCell } from '@lazytlb/explore';
import plugin from './index.js';

const RUNS = 300;

describe('x86-paravirt hotplug profile, seeded runs', () => {
  const cases = [
    { archOptions: { backend: 'kvm' }, shootdown: ['I7'] },
    { archOptions: { backend: 'hyperv' }, shootdown: [] },
    { archOptions: { backend: 'xen' }, shootdown: [] },
  ] as const;
  for (const c of cases) {
    for (const cpus of [2, 4]) {
      it(`${JSON.stringify(c.archOptions)} ${cpus} CPUs: refcount clean, shootdown ⊆ {${c.shootdown.join(',')}}`, () => {
        const refcount = runCell({ plugin, archOptions: c.archOptions, scheme: 'refcount', cpus, workload: 'hotplug' }, { runs: RUNS });
        expect(refcount.notOk, JSON.stringify(refcount.shortest?.violation)).toEqual({});
        const shootdown = runCell({ plugin, archOptions: c.archOptions, scheme: 'shootdown', cpus, workload: 'hotplug' }, { runs: RUNS });
        for (const key of Object.keys(shootdown.notOk)) expect(c.shootdown as readonly string[], JSON.stringify(shootdown.shortest?.violation)).toContain(key);
      });
    }
  }
});
