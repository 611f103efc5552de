import { describe, expect, it } from 'vitest';
import { runSweep } from '@lazytlb/explore';
import { cpuSeriesCells, smallCells } from '../test-support/engine.js';
import { buildResults } from '@lazytlb/explore';
import type { CellResult, ResultsFile } from '@lazytlb/explore';
import { buildCostCharts, buildCostVsCpus, buildHeatmap, buildReportData, columnLabel, COST_METRICS, fitText, rowLabels } from './data.js';
import { createRegistry } from '../plugins/bundled.js';

const registry = await createRegistry();

const file: ResultsFile = buildResults(await runSweep({ registry, cells: smallCells(), matrixSeed: 'report-data', runs: 60, threads: 1 }));

describe('report.html data model', () => {
  it('heatmap: rows arch + options (+ the strategy, which varies), columns scheme × CPUs, one point per cell', () => {
    const h = buildHeatmap(file);
    expect(h.rows).toEqual(['reference · random', 'reference · pct:3']);
    expect(h.columns).toEqual(['refcount × 2 CPUs', 'none × 2 CPUs']);
    expect(h.points).toHaveLength(file.cells.length);
    for (const p of h.points) {
      const c = file.cells[p.cells[0]!]!;
      expect(h.columns[p.x]).toBe(`${c.scheme} × 2 CPUs`);
      expect(p.verdict).toBe(c.verdict);
      expect(p.tooltip).toContain(`#${c.index} `);
      for (const [inv, n] of Object.entries(c.violations)) expect(p.tooltip).toContain(`${inv} ${n}`);
      for (const [h, n] of Object.entries(c.hazards)) expect(p.tooltip).toContain(`hazard runs (the run went on): ${h} ${n}`);
      for (const [site, n] of Object.entries(c.useSites)) expect(p.tooltip).toContain(`${site} ${n}`);
      // the cell names its invariants (violations, then hazards) and the use sites that fired
      expect(p.invariants).toEqual([...Object.keys(c.violations), ...Object.keys(c.hazards).map((h) => `${h} hazard`)]);
      expect(p.sites).toEqual(Object.keys(c.useSites).sort());
    }
    expect(h.points.filter((p) => p.verdict === 'violates').every((p) => p.tooltip.includes('violating runs: '))).toBe(true);
  });

  it('columns name scheme options and the preemption model; a hazard-only cell is "hazard"', () => {
    const base = file.cells.find((c) => c.scheme === 'none')!;
    const cells: CellResult[] = [
      { ...base, index: 0, scheme: 'shootdown', schemeOptions: { mask: 'online' }, verdict: 'safe', violations: {}, hazards: {}, useSites: {} },
      { ...base, index: 1, scheme: 'none', preempt: 'rt', verdict: 'hazard', violations: {}, hazards: { I3: 7 }, useSites: { __mmdrop: 5 } },
    ];
    const h = buildHeatmap({ ...file, cells });
    expect(h.columns).toEqual(['shootdown:mask=online × 2 CPUs', 'none preempt=rt × 2 CPUs']);
    const p = h.points.find((x) => x.cells[0] === 1)!;
    expect(p).toMatchObject({ verdict: 'hazard', invariants: ['I3 hazard'], sites: ['__mmdrop'] });
    expect(p.tooltip).toContain('use sites fired (runs): __mmdrop 5');
  });

  it('columns name a memory model other than sc (after the preemption model), ordered sc before tso', () => {
    const base = file.cells.find((c) => c.scheme === 'refcount')!;
    const cells: CellResult[] = [
      { ...base, index: 0, memory: 'tso', preempt: 'rt' },
      { ...base, index: 1, memory: 'tso' },
      { ...base, index: 2, preempt: 'rt' },
      { ...base, index: 3 },
    ];
    const h = buildHeatmap({ ...file, cells });
    expect(h.columns).toEqual(['refcount × 2 CPUs', 'refcount memory=tso × 2 CPUs', 'refcount preempt=rt × 2 CPUs', 'refcount preempt=rt memory=tso × 2 CPUs']);
    expect(columnLabel({ scheme: 'shootdown', schemeOptions: { mask: 'online' }, memory: 'tso', cpus: 1 })).toBe('shootdown:mask=online memory=tso × 1 CPU');
    expect(columnLabel({ scheme: 'none', memory: 'sc', cpus: 4 })).toBe('none × 4 CPUs');
    expect(h.points.find((x) => x.cells[0] === 1)!.tooltip).toContain('refcount memory=tso × 2 CPUs');
  });

  it('rows name options and mutations; the worst verdict wins when cells share a point', () => {
    const base = file.cells[0]!;
    const cells: CellResult[] = [
      { ...base, index: 0, options: { invlpgb: true } },
      { ...base, index: 1, options: { invlpgb: true }, mutations: ['m1', 'm2'] },
      { ...base, index: 2, options: { invlpgb: true }, verdict: 'error', pluginErrors: 3 },
    ];
    expect(rowLabels(cells)).toEqual(['reference {invlpgb=true}', 'reference {invlpgb=true} +m1+m2', 'reference {invlpgb=true}']);
    const h = buildHeatmap({ ...file, cells });
    expect(h.rows).toEqual(['reference {invlpgb=true}', 'reference {invlpgb=true} +m1+m2']);
    const shared = h.points.find((p) => p.y === 0)!;
    expect(shared.cells).toEqual([0, 2]);
    expect(shared.verdict).toBe('error');
    expect(shared.tooltip).toContain('plugin errors 3');
  });

  it('cost charts: per arch row, one series per scheme × CPUs with the four metrics', () => {
    const charts = buildCostCharts(file);
    expect(charts.map((c) => c.title)).toEqual(['reference · random', 'reference · pct:3']);
    for (const ch of charts) {
      expect(ch.metrics).toEqual(COST_METRICS.map((m) => m.label));
      expect(ch.series.map((s) => s.name)).toEqual(['refcount × 2 CPUs', 'none × 2 CPUs']);
    }
    const c = file.cells.find((x) => x.scheme === 'refcount' && x.strategy.kind === 'random')!;
    expect(charts[0]!.series[0]!.values).toEqual([
      c.costs.perContextSwitch.mmCountAtomics,
      c.costs.perContextSwitch.mmCountLineTransfers,
      c.costs.perMmExit.ipis,
      c.costs.pinnedMmStepsPerStep,
    ]);
  });

  it('cost vs CPUs: per group one line per scheme label with every event × cost category, counts and fits; nothing without cells that differ only in CPUs', async () => {
    expect(buildCostVsCpus(file)).toEqual([]);
    expect(buildReportData(file).costVsCpus).toEqual([]);
    const f = buildResults(await runSweep({ registry, cells: cpuSeriesCells([2, 4, 8]), matrixSeed: 'report-data', runs: 30, threads: 1 }));
    const groups = buildCostVsCpus(f);
    expect(groups.map((g) => [g.title, g.cpus])).toEqual([['x86-native · default · random', [2, 4, 8]]]);
    const [ref, sd] = groups[0]!.series;
    expect([ref!.name, sd!.name]).toEqual(['refcount', 'shootdown:mask=online']);
    expect(ref!.cells).toEqual([0, 1, 2]);
    expect(sd!.cpus).toEqual([2, 4, 8]);
    for (const s of groups[0]!.series) {
      const cells = s.cells.map((i) => f.cells[i]!);
      for (const e of ['switch', 'exit', 'mmdrop'] as const) {
        expect(s.counts[e]).toEqual(cells.map((c) => c.costs.perEvent![e].count));
        expect(Object.keys(s.values[e])).toEqual(['atomics', 'lineTransfers', 'remoteReads', 'ipis', 'barriers']);
        for (const k of Object.keys(s.values[e]) as (keyof (typeof s.values)[typeof e])[]) {
          expect(s.values[e][k]).toEqual(cells.map((c) => c.costs.perEvent![e][k]));
          expect(s.fits[e][k]).toBe(fitText(s.cpus, s.values[e][k]));
        }
      }
    }
    expect(sd!.values.mmdrop.ipis).toEqual([1, 3, 7]);
    expect(sd!.fits.mmdrop.ipis).toBe('-1.00 + 1.00·N (R² 1.000) → 1023.00 at N=1024');
    expect(ref!.fits.mmdrop.remoteReads).toBe('zero');
    expect(fitText([2, 4, 8, 16, 32], [0.38, 0.83, 1.24, 1.6, 1.83])).toBe('workload-bound: 1.83 at N=32');
    expect(buildReportData(f).costVsCpus).toEqual(groups);
    expect(JSON.parse(JSON.stringify(groups))).toEqual(groups);
  });

  it('the whole model is plain JSON with the summary and notes', () => {
    const d = buildReportData(file, [], ['a note']);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.title).toBe('lazytlb sweep');
    expect(d.summary).toContain(`${file.totals.safe} safe, ${file.totals.hazard} hazard, ${file.totals.violates} violate`);
    expect(d.notes).toEqual(['a note']);
  });
});
