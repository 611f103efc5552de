/**
 * Random runs through core's Simulator: a few hundred seeds per (mmu x scheme x CPUs).
 * The mainline configurations (A = refcount, B = shootdown) must be clean; C (`none`) must be
 * caught violating. The full table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, hashString128, runSeed, type Scheme } from '@lazytlb/core';
import powerpc from './index.js';

const SEEDS = 200;

function sweep(archOptions: object, scheme: Scheme, cpus: number) {
  const sim = createSimulator({ plugin: powerpc, archOptions, scheme, cpus, workload: 'default', strategy: { kind: 'random' } });
  const cell = hashString128(sim.cellId);
  const bad: string[] = [];
  let violations = 0;
  for (let i = 0; i < SEEDS; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome === 'violation') violations++;
    if (r.outcome !== 'ok' && bad.length < 3) bad.push(`run ${i}: ${r.outcome} ${r.violation ? `${r.violation.invariant} ${r.violation.message}` : (r.pluginError?.message ?? '')}`);
  }
  return { violations, bad };
}

describe('powerpc random runs', () => {
  for (const [label, opts] of [
    ['radix', {}],
    ['radix trimPeriod=3', { trimPeriod: 3 }],
    ['radix combinedFinalFlush=false', { combinedFinalFlush: false }],
    ['hash', { mmu: 'hash' }],
  ] as const) {
    for (const cpus of [2, 4]) {
      for (const scheme of ['refcount', 'shootdown'] as const) {
        it(`${label} ${scheme} ${cpus} CPUs: ${SEEDS} seeds clean`, () => {
          const r = sweep(opts, scheme, cpus);
          expect(r.bad, r.bad.join('\n')).toEqual([]);
        });
      }
    }
    it(`${label} none: violations found`, () => {
      const r2 = sweep(opts, 'none', 2);
      const r4 = sweep(opts, 'none', 4);
      expect(r2.violations + r4.violations).toBeGreaterThan(0);
    });
  }
});
