import { readFileSync } from 'node:fs';
import { COST_NAMES } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { runSweep } from '@lazytlb/explore';
import { cpuSeriesCells, smallCells } from '../test-support/engine.js';
import { buildResults, perEventCosts } from '@lazytlb/explore';
import type { CellResult, EventCosts, PerEventCosts, ResultsFile } from '@lazytlb/explore';
import { renderReport } from './markdown.js';
import { costTrend, cpuGroups, fitLine, renderCostVsCpus, shownCosts } from './cost-vs-cpus.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const small: ResultsFile = buildResults(await runSweep({ registry, cells: smallCells(), matrixSeed: 'cost-cpus', runs: 20, threads: 1 }));
const series: ResultsFile = buildResults(await runSweep({ registry, cells: cpuSeriesCells([2, 4, 8]), matrixSeed: 'cost-cpus', runs: 40, threads: 1 }));

/** scripts/scheme-costs.mjs's lineFit() (the rule report.md mirrors), taken from the script's text. */
function scriptFit(cpus: readonly number[]): (ys: number[]) => { a: number; b: number; r2: number; linear: boolean } {
  const text = readFileSync(new URL('../../../../scripts/scheme-costs.mjs', import.meta.url), 'utf8');
  const src = /^function lineFit\(ys\) \{\n[\s\S]*?\n\}\n/m.exec(text);
  if (src === null) throw new Error('scripts/scheme-costs.mjs has no lineFit(ys) function any more: update this test and cost-vs-cpus.ts together');
  return new Function('CPUS', `${src[0]}\nreturn lineFit;`)(cpus) as ReturnType<typeof scriptFit>;
}

const zeroEvent: EventCosts = { count: 100, atomics: 0, lineTransfers: 0, remoteReads: 0, ipis: 0, barriers: 0 };
/** A cell of the small sweep moved to `cpus` CPUs with the given costs by event. */
function cellAt(
  index: number,
  cpus: number,
  scheme: string,
  perEvent: Partial<{ [E in keyof PerEventCosts]: Partial<EventCosts> }>,
  extra: Partial<CellResult> = {},
): CellResult {
  const base = small.cells[0]!;
  const pe: PerEventCosts = {
    switch: { ...zeroEvent, ...perEvent.switch },
    exit: { ...zeroEvent, ...perEvent.exit },
    mmdrop: { ...zeroEvent, ...perEvent.mmdrop },
  };
  return { ...base, index, cpus, scheme, schemeOptions: {}, strategy: { kind: 'random' }, costs: { ...base.costs, perEvent: pe }, ...extra };
}

const N = [2, 4, 8, 16, 32];
const scan = N.map((n) => n - 1); // a scan of every other CPU
const saturating = [0.38, 0.83, 1.24, 1.6, 1.83]; // IPIs bounded by the CPUs an mm ran on

describe('cost vs CPUs', () => {
  it('fit: least squares a + b·N, extrapolated only when R² ≥ 0.99 and b ≥ 0.05 per CPU — the rule of scripts/scheme-costs.mjs', () => {
    const f = fitLine(N, scan);
    expect(f.a).toBeCloseTo(-1, 12);
    expect(f.b).toBeCloseTo(1, 12);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(f.linear).toBe(true);
    expect(costTrend(N, scan)).toMatchObject({ model: 'linear', formula: '-1.00 + 1.00·N (R² 1.000)', maxCpus: 32 });
    expect(costTrend(N, scan).at1024).toBeCloseTo(1023, 9);
    // saturating: the line does not explain it
    expect(fitLine(N, saturating).r2).toBeLessThan(0.99);
    expect(costTrend(N, saturating)).toMatchObject({ model: 'workload-bound', at1024: 1.83, formula: 'workload-bound (N=32 value)' });
    // flat: R² = 1 but no growth; a slow growth under 0.05 per CPU is not extrapolated either
    expect(fitLine(N, [1, 1, 1, 1, 1])).toMatchObject({ b: 0, r2: 1, linear: false });
    expect(
      costTrend(
        N,
        N.map((n) => 0.5 + 0.04 * n),
      ).model,
    ).toBe('workload-bound');
    expect(
      costTrend(
        N,
        N.map((n) => 0.5 + 0.06 * n),
      ).model,
    ).toBe('linear');
    expect(costTrend(N, [0, 0.001, 0, 0, 0.004])).toMatchObject({ model: 'zero', formula: 'zero' });
    // the largest N measured, whatever it is
    expect(costTrend([2, 4], [0.5, 0.2])).toMatchObject({ model: 'workload-bound', at1024: 0.2, formula: 'workload-bound (N=4 value)' });

    // the same numbers and verdicts as the script's lineFit(), on the series it meets and on random ones
    const scriptLineFit = scriptFit(N);
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases = [scan, saturating, [1, 1, 1, 1, 1], [0, 0, 0, 0, 0], N.map((n) => 0.05 * n), N.map((n) => 0.0499 * n + 3)];
    for (let i = 0; i < 200; i++) cases.push(N.map((n) => (i % 2 === 0 ? rnd() * n : rnd() * 4 + 0.1 * n * rnd())));
    for (const ys of cases) {
      const mine = fitLine(N, ys);
      const theirs = scriptLineFit([...ys]);
      expect(mine.linear, JSON.stringify(ys)).toBe(theirs.linear);
      expect(mine.a).toBe(theirs.a);
      expect(mine.b).toBe(theirs.b);
      expect(mine.r2).toBe(theirs.r2);
    }
  });

  it('groups: cells that differ only in CPUs, one line per scheme label; other workloads and strategies are other groups; a single CPU count is no series', () => {
    const cells: CellResult[] = [
      cellAt(0, 2, 'refcount', {}),
      cellAt(1, 4, 'refcount', {}),
      cellAt(2, 8, 'refcount', {}),
      cellAt(3, 2, 'hazptr', {}),
      cellAt(4, 4, 'hazptr', {}),
      cellAt(5, 4, 'refcount', {}, { preempt: 'rt' }),
      cellAt(6, 2, 'refcount', {}, { preempt: 'rt' }),
      cellAt(7, 2, 'none', {}), // only one CPU count: no series
      cellAt(8, 2, 'refcount', {}, { workload: { profile: 'idle-heavy' } }),
      cellAt(9, 8, 'refcount', {}, { workload: { profile: 'idle-heavy' } }),
      cellAt(10, 2, 'refcount', {}, { strategy: { kind: 'pct', depth: 3 } }), // alone
      cellAt(11, 4, 'refcount', {}), // a duplicate: the first cell at 4 CPUs counts
    ];
    const groups = cpuGroups({ cells });
    expect(groups.map((g) => g.title)).toEqual(['reference · default · random', 'reference · idle-heavy · random']);
    expect(groups[0]!.cpus).toEqual([2, 4, 8]);
    expect(groups[0]!.series.map((s) => [s.name, s.cpus, s.cells])).toEqual([
      ['refcount', [2, 4, 8], [0, 1, 2]],
      ['hazptr', [2, 4], [3, 4]],
      ['refcount preempt=rt', [2, 4], [6, 5]],
    ]);
    expect(groups[1]!.series.map((s) => [s.name, s.cpus])).toEqual([['refcount', [2, 8]]]);
    // nothing differs only in CPUs: no group, no section
    expect(cpuGroups(small)).toEqual([]);
    const L: string[] = [];
    renderCostVsCpus(small, L);
    expect(L).toEqual([]);
    expect(renderReport(small)).not.toContain('Cost vs CPUs');
    // a file without perEvent (written before it): from the raw counters
    const old = { ...series.cells[0]!, costs: { ...series.cells[0]!.costs, perEvent: undefined } };
    expect(cpuGroups({ cells: [old, series.cells[1]!] })[0]!.series[0]!.perEvent[0]).toEqual(series.cells[0]!.costs.perEvent);
  });

  it('report.md: per event a table scheme × N with the fit, N=1024 only where the line explains the series, workload-bound otherwise', () => {
    const cells: CellResult[] = [];
    N.forEach((n, i) => {
      cells.push(cellAt(cells.length, n, 'lazy-mm-scan', { exit: { remoteReads: scan[i]!, ipis: saturating[i]! }, switch: { atomics: 0.01, barriers: 0.32 } }));
    });
    N.forEach((n) => cells.push(cellAt(cells.length, n, 'refcount', { switch: { atomics: 0.47, lineTransfers: 0.2, count: 1000 + n }, exit: { ipis: 1 } })));
    const L: string[] = [];
    renderCostVsCpus({ cells }, L);
    const md = L.join('\n');
    expect(md).toContain('## Cost vs CPUs');
    expect(md).toContain('**counts, not times**');
    expect(md).toContain("32 CPUs is the model's ceiling (its cpumasks are 32-bit words)");
    expect(md).toContain('(R² ≥ 0.99) and grows (b ≥ 0.05 per CPU)');
    expect(md).toContain('### reference · default · random');
    for (const h of ['#### per context switch (switch)', '#### per mm exit (exit: __mmput)', '#### per final mmdrop (mmdrop: __mmdrop)'])
      expect(md).toContain(h);
    expect(md).toContain('| scheme | cost | N=2 | N=4 | N=8 | N=16 | N=32 | fit a + b·N | N=1024 |');
    expect(md).toContain('| lazy-mm-scan | remote reads | 1.00 | 3.00 | 7.00 | 15.00 | 31.00 | -1.00 + 1.00·N (R² 1.000) | 1023.00 |');
    expect(md).toContain('| lazy-mm-scan | IPIs | 0.38 | 0.83 | 1.24 | 1.60 | 1.83 | workload-bound (N=32 value) | 1.83 |');
    expect(md).toContain('| refcount | IPIs | 1.00 | 1.00 | 1.00 | 1.00 | 1.00 | workload-bound (N=32 value) | 1.00 |');
    // the schemes without a cost share one row
    expect(md).toContain('| refcount | remote reads | 0 | 0 | 0 | 0 | 0 | zero | 0 |');
    expect(md).toContain('| lazy-mm-scan, refcount | IPIs | 0 | 0 | 0 | 0 | 0 | zero | 0 |'); // mmdrop
    expect(md).toContain('| refcount | barriers | 0 | 0 | 0 | 0 | 0 | zero | 0 |'); // switch
    // a non-main cost only where some value is ≥ 0.005: switch line transfers yes, exit barriers no
    const g = cpuGroups({ cells })[0]!;
    expect(shownCosts(g, 'switch')).toEqual(['atomics', 'lineTransfers', 'barriers']);
    expect(shownCosts(g, 'exit')).toEqual(['remoteReads', 'ipis']);
    expect(shownCosts(g, 'mmdrop')).toEqual(['remoteReads', 'ipis']);
    expect(md).toContain('| refcount | line transfers | 0.20 | 0.20 | 0.20 | 0.20 | 0.20 | workload-bound (N=32 value) | 0.20 |');
    expect(md).toContain('Events counted (N = 2, 4, 8, 16, 32): lazy-mm-scan 100 / 100 / 100 / 100 / 100; refcount 1002 / 1004 / 1008 / 1016 / 1032.');
    expect(md).not.toContain('only 2 CPU counts');
    // a series missing a CPU count: "–" there, counts with their N; 2 points: the caveat
    const L2: string[] = [];
    renderCostVsCpus(
      {
        cells: [
          ...cells.filter((c) => c.scheme === 'refcount'),
          cellAt(20, 2, 'hazptr', { mmdrop: { remoteReads: 1 } }),
          cellAt(21, 8, 'hazptr', { mmdrop: { remoteReads: 7 } }),
        ],
      },
      L2,
    );
    const md2 = L2.join('\n');
    expect(md2).toContain('| hazptr | remote reads | 1.00 | – | 7.00 | – | – | -1.00 + 1.00·N (R² 1.000) | 1023.00 |');
    expect(md2).toContain('hazptr 2: 100 / 8: 100');
    expect(md2).toContain('Some series have only 2 CPU counts');
  });

  it("report.md of a real sweep: the section after Costs, each cell's numbers, shootdown:mask=online IPIs N − 1 CPUs per final mmdrop", () => {
    const md = renderReport(series);
    expect(md.indexOf('## Cost vs CPUs')).toBeGreaterThan(md.indexOf('## Costs'));
    expect(md).toContain('### x86-native · default · random');
    expect(md).toContain('| shootdown:mask=online | IPIs | 1.00 | 3.00 | 7.00 | -1.00 + 1.00·N (R² 1.000) | 1023.00 |');
    const f2 = (x: number): string => (Math.abs(x) < 0.005 ? '0' : x.toFixed(2));
    const ref = series.cells.filter((c) => c.scheme === 'refcount');
    const atomics = ref.map((c) => f2(c.costs.perEvent!.switch.atomics));
    expect(md).toContain(`| refcount | atomics | ${atomics.join(' | ')} | `);
    expect(ref.map((c) => c.costs.perEvent)).toEqual(ref.map((c) => perEventCosts(COST_NAMES.map((n) => c.raw.costs[n] ?? 0))));
  });
});
