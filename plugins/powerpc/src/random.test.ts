/**
 * Random runs through core's Simulator: a few hundred seeds per (mmu x scheme x CPUs).
 * The mainline configurations (A = refcount, B = shootdown) must be clean, with and without
 * CONFIG_DEBUG_VM. C (`none`) records the dangling pointers as I3 hazards (never as an I3
 * violation) and goes on to what uses them. The full table is scripts/truth-table.mjs.
 */
import { describe, expect, it } from 'vitest';
import type { Scheme } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import powerpc from './index.js';
import { SITE_DEBUG_VM_PREV } from './sites.js';

const SEEDS = 200;

function sweep(archOptions: object, scheme: Scheme, cpus: number) {
  // Violating runs by the use site that ended them (the engine's use-site counts also count a
  // site that fired as a hazard-class finding).
  const bySite = new Map<string, number>();
  const c = runCell(
    { plugin: powerpc, archOptions, scheme, cpus, workload: 'default', strategy: { kind: 'random' } },
    {
      runs: SEEDS,
      onRun: (r) => {
        const site = r.outcome === 'violation' ? r.violation!.site : undefined;
        if (site !== undefined) bySite.set(site, (bySite.get(site) ?? 0) + 1);
      },
    },
  );
  // What no run may end in: anything but ok, and under `none` anything but ok or a violation.
  const unexpected = scheme === 'none' ? c.errors : c.notOk;
  const bad = Object.entries(unexpected).map(([k, n]) => `${k}: ${n} runs, first: ${c.firstFailures[k]?.message ?? c.aggregate.firstErrors[k]?.message ?? ''}`);
  const violations = Object.values(c.violations).reduce((s, n) => s + n, 0);
  return { violations, hazardRuns: c.hazardRuns, byInvariant: new Map(Object.entries(c.violations)), bySite, bad };
}

describe('powerpc random runs', () => {
  for (const [label, opts] of [
    ['radix', {}],
    ['radix trimPeriod=3', { trimPeriod: 3 }],
    ['radix combinedFinalFlush=false', { combinedFinalFlush: false }],
    ['radix debugVm', { debugVm: true }],
    ['hash', { mmu: 'hash' }],
    ['hash debugVm', { mmu: 'hash', debugVm: true }],
  ] as const) {
    for (const cpus of [2, 4]) {
      for (const scheme of ['refcount', 'shootdown'] as const) {
        it(`${label} ${scheme} ${cpus} CPUs: ${SEEDS} seeds clean`, () => {
          const r = sweep(opts, scheme, cpus);
          expect(r.bad, r.bad.join('\n')).toEqual([]);
          expect(r.hazardRuns).toBe(0);
        });
      }
    }
    it(`${label} none: dangling pointers are hazards (never an I3 violation); what uses them is reported`, () => {
      for (const cpus of [2, 4]) {
        const r = sweep(opts, 'none', cpus);
        expect(r.bad, r.bad.join('\n')).toEqual([]);
        expect(r.hazardRuns).toBeGreaterThan(SEEDS / 2);
        expect(r.byInvariant.get('I3') ?? 0).toBe(0);
        const debugVm = 'debugVm' in opts;
        // radix: the lowest-free PID allocator hands a dead mm's PID to the next mm while a lazy
        // CPU still has it loaded (I1); with DEBUG_VM the first switch away from a dangling
        // active_mm reads it (I14). Hash without DEBUG_VM: hazards, and only the rare ABA compare.
        if (debugVm) expect(r.bySite.get(SITE_DEBUG_VM_PREV) ?? 0).toBeGreaterThan(SEEDS / 2);
        else if (!('mmu' in opts)) expect(r.byInvariant.get('I1') ?? 0).toBeGreaterThan(0);
        else expect(r.violations).toBeLessThan(SEEDS / 10);
      }
    });
  }
});
