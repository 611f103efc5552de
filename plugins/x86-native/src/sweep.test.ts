/**
 * The deprecated sweepCell (sweep.ts) against runCell (@lazytlb/explore), which replaced it in
 * this package's tests and scripts: same seeds, so the same counts, the same keys in the same
 * order, the same shortest violation and the same cost sums.
 */
import { describe, expect, it } from 'vitest';
import { runCell } from '@lazytlb/explore';
import plugin, { MUT_X86_LAZY_SKIP_FREED_TABLES, sweepCell, type SweepCell, type SweepResult } from './index.js';

/** runCell's result in sweepCell's shape (the mapping sweep.ts's deprecation notes give). */
function viaRunCell({ runs, ...options }: SweepCell): SweepResult {
  const r = runCell(options, { runs });
  const s = r.shortest;
  return {
    runs: r.runs,
    ok: r.ok,
    bad: r.notOk,
    hazards: r.hazards,
    sites: r.useSites,
    costs: r.costs,
    shortest: s === null ? null : { index: s.runIndex, steps: s.steps, invariant: s.violation.invariant, message: s.violation.message },
  };
}

const withKeyOrder = (r: SweepResult) => ({ ...r, order: [r.bad, r.hazards, r.sites].map((x) => Object.keys(x)) });

describe('sweepCell (deprecated) = runCell', () => {
  const CELLS: SweepCell[] = [
    { plugin, scheme: 'refcount', cpus: 2, runs: 150 },
    // violations (I1, I14), I3 hazards, use sites
    { plugin, scheme: 'none', cpus: 4, runs: 150, strategy: { kind: 'pct', depth: 3 } },
    // I2 from the suspend/resume ASID-0 reload
    { plugin, archOptions: { invlpgb: true, globalAsid: 'every-mm' }, scheme: 'refcount', cpus: 2, runs: 150 },
    // a mutation under tso; then an oracle switched off (the runs go on past I14)
    { plugin, scheme: 'refcount', cpus: 4, runs: 150, mutations: [MUT_X86_LAZY_SKIP_FREED_TABLES], memory: 'tso' },
    { plugin, scheme: 'none', cpus: 2, runs: 150, workload: 'hotplug', disabledInvariants: ['I14'] },
  ];
  for (const c of CELLS) {
    const { plugin: _, ...label } = c;
    it(JSON.stringify(label), () => {
      const want = sweepCell(c);
      expect(withKeyOrder(viaRunCell(c))).toEqual(withKeyOrder(want));
    });
  }

  it('the cells above are not all clean', () => {
    const results = CELLS.map(sweepCell);
    expect(results.some((r) => Object.keys(r.bad).length > 1)).toBe(true);
    expect(results.some((r) => Object.keys(r.hazards).length > 0)).toBe(true);
    expect(results.some((r) => Object.keys(r.sites).length > 1)).toBe(true);
  });
});
