/**
 * Random runs through core's Simulator: a few hundred seeds per (option set × scheme × CPU
 * count) of the default workload (deep idle, text_poke, mremap, khugepaged, reclaim and a
 * suspend/resume included). The thousands-per-cell table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import { runCell } from '@lazytlb/explore';
import plugin, { SITE_FIX_PROCESSOR_CONTEXT } from './index.js';

const RUNS = 200;
const OPTION_SETS = [{}, { cpumask: 'clear-on-switch' }, { invlpgb: true }, { exitFlushSkipsEmptyMm: false }, { idleTlbFlushed: false }] as const;
/** What `none` may hit on x86: the use sites that can fire without I1 first, and the __mmdrop WARN. */
const NONE_SITES = ['__mmdrop', SITE_FIX_PROCESSOR_CONTEXT, 'membarrier_switch_mm'];

describe('x86-native random runs', () => {
  for (const archOptions of OPTION_SETS) {
    describe(JSON.stringify(archOptions), () => {
      for (const cpus of [2, 4]) {
        it(`${cpus} CPUs: refcount clean, shootdown breaks only I7, none: I3 only as a hazard, violations only I1 / I14`, () => {
          const refcount = runCell({ plugin, archOptions, scheme: 'refcount', cpus }, { runs: RUNS });
          expect(refcount.notOk, JSON.stringify(refcount.shortest?.violation)).toEqual({});
          expect(refcount.hazards).toEqual({});
          expect(refcount.useSites).toEqual({});
          const shootdown = runCell({ plugin, archOptions, scheme: 'shootdown', cpus }, { runs: RUNS });
          for (const key of Object.keys(shootdown.notOk)) expect(key, JSON.stringify(shootdown.shortest?.violation)).toBe('I7');
          expect(shootdown.hazards).toEqual({});
          const none = runCell({ plugin, archOptions, scheme: 'none', cpus }, { runs: RUNS });
          // Under `none` a dangling lazy pointer is a hazard: nearly every run records one and goes on.
          expect(none.hazards.I3 ?? 0).toBeGreaterThan(RUNS / 2);
          expect(none.notOk.I3).toBeUndefined();
          for (const key of Object.keys(none.notOk)) expect(['I1', 'I14'], JSON.stringify(none.shortest?.violation)).toContain(key);
          for (const site of Object.keys(none.useSites)) expect(NONE_SITES).toContain(site);
          // The hardware side of `none` (kernel-reference §5.2): I1 comes only from the empty-mm
          // exit (C2) or an mm that went global; with the arch_exit_mmap flush it never comes.
          if ('exitFlushSkipsEmptyMm' in archOptions) expect(none.notOk.I1 ?? 0).toBe(0);
          else expect(none.notOk.I1 ?? 0).toBeGreaterThan(0);
          // Never I2: the tlb_gen / freed_tables protocol keeps every TLB honest.
          expect((refcount.notOk.I2 ?? 0) + (shootdown.notOk.I2 ?? 0) + (none.notOk.I2 ?? 0)).toBe(0);
          // cond_mitigation ran on the switches to user mms.
          expect(refcount.costs.ibpb_checks).toBeGreaterThan(RUNS);
          expect(refcount.costs.ibpb).toBeLessThanOrEqual(refcount.costs.ibpb_checks);
        });
      }
    });
  }

  it('every-mm INVLPGB (hypothetical), none: lazy CPUs keep CR3 on every exiting mm -> I1 in nearly every run', () => {
    const none = runCell({ plugin, archOptions: { invlpgb: true, globalAsid: 'every-mm' }, scheme: 'none', cpus: 2 }, { runs: RUNS });
    expect(none.notOk.I1 ?? 0).toBeGreaterThan(RUNS * 0.9);
  });
});
