/**
 * Random runs through core's Simulator: a few hundred seeds per (option set × scheme × CPU
 * count) of the default workload. The thousands-per-cell table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import plugin, { sweepCell } from './index.js';

const RUNS = 200;
const OPTION_SETS = [{}, { cpumask: 'clear-on-switch' }, { invlpgb: true }, { exitFlushSkipsEmptyMm: false }] as const;

describe('x86-native random runs', () => {
  for (const archOptions of OPTION_SETS) {
    describe(JSON.stringify(archOptions), () => {
      for (const cpus of [2, 4]) {
        it(`${cpus} CPUs: refcount clean, shootdown breaks only I7, none violates`, () => {
          const refcount = sweepCell({ plugin, archOptions, scheme: 'refcount', cpus, runs: RUNS });
          expect(refcount.bad, JSON.stringify(refcount.shortest)).toEqual({});
          const shootdown = sweepCell({ plugin, archOptions, scheme: 'shootdown', cpus, runs: RUNS });
          for (const key of Object.keys(shootdown.bad)) expect(key).toBe('I7');
          const none = sweepCell({ plugin, archOptions, scheme: 'none', cpus, runs: RUNS });
          expect(none.ok).toBeLessThan(RUNS);
          for (const key of Object.keys(none.bad)) expect(['I1', 'I3']).toContain(key);
          // The hardware side of `none` (kernel-reference §5.2): I1 comes only from the empty-mm
          // exit (C2) or from INVLPGB (C3); with the arch_exit_mmap flush it is I3 only.
          if ('exitFlushSkipsEmptyMm' in archOptions) expect(none.bad.I1 ?? 0).toBe(0);
          if ('invlpgb' in archOptions) expect(none.bad.I3 ?? 0).toBe(0);
          // Never I2: the tlb_gen / freed_tables protocol keeps every TLB honest.
          expect((refcount.bad.I2 ?? 0) + (shootdown.bad.I2 ?? 0) + (none.bad.I2 ?? 0)).toBe(0);
        });
      }
    });
  }
});
