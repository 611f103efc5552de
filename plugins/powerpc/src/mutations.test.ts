/**
 * The powerpc mutations (mutations.ts): descriptor and resolution, then every declared cell run
 * a few thousand seeded times with the mutation (the declared invariant must be reported at
 * least once, nothing outside the documented set) and without it (clean: the false-alarm
 * check of `lazytlb mutants`). Seeds are runSeed(cell, i): the counts are fixed.
 */
import { describe, expect, it } from 'vitest';
import { resolveMutations, validateArchPlugin, type Scheme, ProfileName } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import powerpc, { MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON, MUT_RADIX_TRIM_CLEARS_OTHER_CPUS, POWERPC_MUTATIONS } from './index.js';

const RUNS = 2000;

/** What each mutation may be reported as (the declared one first). */
const ALLOWED: Record<string, readonly string[]> = {
  // I7-ppc (I13) at the worker's next mm step, or I2 when the flusher frees pages first.
  [MUT_RADIX_TRIM_CLEARS_OTHER_CPUS]: ['I13', 'I2'],
  [MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON]: ['I13'],
};

function sweep(archOptions: object, scheme: Scheme, cpus: number, workload: ProfileName, mutations: readonly string[], runs = RUNS) {
  const c = runCell({ plugin: powerpc, archOptions, scheme, cpus, workload, strategy: { kind: 'random' }, mutations }, { runs });
  // the first run of each way the runs failed
  const examples = Object.values(c.firstFailures)
    .filter((f) => f.class === 'violation' || f.class === 'error')
    .map((f) => `run ${f.runIndex}: ${f.message}`);
  return { bad: c.notOk, examples };
}

describe('powerpc mutations', () => {
  it('are declared in the descriptor, validate, and resolve to the plugin; cells name radix only', () => {
    expect(validateArchPlugin(powerpc).mutations).toBe(POWERPC_MUTATIONS);
    expect(POWERPC_MUTATIONS.map((m) => m.id)).toEqual([MUT_RADIX_TRIM_CLEARS_OTHER_CPUS, MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON]);
    const both = [MUT_RADIX_TRIM_CLEARS_OTHER_CPUS, MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON];
    expect(resolveMutations(both, powerpc).arch).toEqual([...both].sort());
    for (const m of POWERPC_MUTATIONS) {
      expect(m.breaks).toBe(ALLOWED[m.id]![0]);
      for (const c of m.cells) expect(c).toMatchObject({ arch: 'powerpc', options: { mmu: 'radix' } });
    }
  });

  for (const m of POWERPC_MUTATIONS) {
    for (const cell of m.cells) {
      const opts = cell.options ?? {};
      const cpus = cell.cpus ?? 4;
      const workload = ProfileName.parse(cell.workload ?? 'default');
      it(`${m.id} @ ${JSON.stringify(opts)} ${cell.scheme} ${cpus} CPUs ${workload}: ${RUNS} runs kill it with ${m.breaks}; unmutated clean`, () => {
        const mutated = sweep(opts, cell.scheme, cpus, workload, [m.id]);
        expect(mutated.bad[m.breaks] ?? 0, mutated.examples.join('\n')).toBeGreaterThan(0);
        for (const key of Object.keys(mutated.bad)) expect(ALLOWED[m.id], mutated.examples.join('\n')).toContain(key);
        const clean = sweep(opts, cell.scheme, cpus, workload, []);
        expect(clean.bad, clean.examples.join('\n')).toEqual({});
      });
    }
  }

  it('both are radix code: with mmu=hash they change nothing (clean, like hash itself)', () => {
    for (const scheme of ['refcount', 'shootdown'] as const) {
      const r = sweep({ mmu: 'hash', trimPeriod: 3 }, scheme, 2, 'kthread-heavy', [MUT_RADIX_TRIM_CLEARS_OTHER_CPUS, MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON], 500);
      expect(r.bad, r.examples.join('\n')).toEqual({});
    }
  });
});
