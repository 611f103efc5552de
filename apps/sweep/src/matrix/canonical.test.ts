/**
 * `canonical:NAME` (core's CANONICAL_WORKLOADS) as a sweep workload: `--workload` and matrix
 * files take it where they take a profile name, the cell spec keeps the name (results.json
 * labels), and every canonical workload loads and runs to completion on every bundled arch.
 */
import { CANONICAL_NAMES, CANONICAL_WORKLOADS, createSimulator, ExplicitWorkload, hashString128, runSeed } from '@lazytlb/core';
import { expandMatrix } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';
import { BUNDLED, createRegistry } from '../plugins/bundled.js';
import { matrixFromFlags } from './flags.js';
import { parseMatrixText } from './parse-file.js';

const RUNS = 10;

describe('canonical workloads in a matrix', () => {
  it('--workload canonical:NAME (alone, in a list, or as { profile }) is a workload; the cell spec keeps the name', async () => {
    const m = await matrixFromFlags({ workload: ['canonical:exit-while-lazy,default', '{"profile":"canonical:switch-vs-flush"}'] });
    expect(m.workloads).toEqual([{ profile: 'canonical:exit-while-lazy' }, { profile: 'default' }, { profile: 'canonical:switch-vs-flush' }]);
    expect(expandMatrix(m).map((c) => c.workload.profile)).toContain('canonical:exit-while-lazy');
    const f = await parseMatrixText('arch: reference\ncpus: 2\nworkload: [canonical:hotplug-vs-exit, exit-heavy]\n', 'm.yaml');
    expect(f.workloads).toEqual([{ profile: 'canonical:hotplug-vs-exit' }, { profile: 'exit-heavy' }]);
  });

  it('an unknown canonical name lists the canonical workloads; params are refused', async () => {
    await expect(matrixFromFlags({ workload: ['canonical:exit-while-lazyy'] })).rejects.toThrow(
      /--workload canonical:exit-while-lazyy: unknown canonical workload "canonical:exit-while-lazyy": allowed canonical:exit-while-lazy, canonical:exec-while-lazy/,
    );
    await expect(matrixFromFlags({ workload: ['{"profile":"canonical:exit-while-lazy","params":{"processes":2}}'] })).rejects.toThrow(
      /is an explicit workload: it takes no params/,
    );
    await expect(matrixFromFlags({ workload: ['heavy'] })).rejects.toThrow(/unknown workload profile "heavy": allowed default, exit-heavy/);
  });

  // Under refcount (mainline on every arch) every run is clean. Under shootdown every run ends
  // (no budget, deadlock or plugin error), but only powerpc and the reference arch keep every lazy
  // CPU in mm_cpumask: x86 trims lazy CPUs out of it (kernel-reference §5.2-B) and arm64 keeps
  // no mask, so cleanup_lazy_tlbs() misses a lazy CPU (I7) on some schedules; neither selects
  // MMU_LAZY_TLB_SHOOTDOWN in mainline.
  it.each(BUNDLED.map((b) => b.plugin.name))('every canonical workload loads on %s and runs to completion under refcount and shootdown', async (arch) => {
    const plugin = await (await createRegistry()).arch(arch);
    const maskKept = arch === 'powerpc' || arch === 'reference';
    for (const name of CANONICAL_NAMES) {
      for (const scheme of ['refcount', 'shootdown'] as const) {
        const sim = createSimulator({ plugin, scheme, cpus: CANONICAL_WORKLOADS[name].cpus, workload: `canonical:${name}` });
        expect(sim.cell.workload).toEqual({ explicit: ExplicitWorkload.parse(CANONICAL_WORKLOADS[name].workload) });
        for (let i = 0; i < RUNS; i++) {
          const r = sim.run(runSeed(hashString128(`canonical ${arch} ${name}`), i));
          if (scheme === 'refcount' || maskKept) expect([name, scheme, r.outcome, r.violation?.invariant ?? null]).toEqual([name, scheme, 'ok', null]);
          else
            expect([name, scheme, r.outcome === 'ok' || (r.outcome === 'violation' && ['I7', 'I1'].includes(r.violation!.invariant))]).toEqual([
              name,
              scheme,
              true,
            ]);
        }
      }
    }
  });

  it('a cell with fewer CPUs than the workload is written for is refused when the sweep builds it', async () => {
    const plugin = await (await createRegistry()).arch('reference');
    expect(() => createSimulator({ plugin, scheme: 'refcount', cpus: 1, workload: 'canonical:fork-racing-exit' })).toThrow(/is written for 2 CPUs/);
  });
});
