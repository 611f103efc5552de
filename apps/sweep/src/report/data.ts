/**
 * report.html's data model: what the page's charts show, computed from results.json (and the
 * swimlanes of the shrunk first failures, src/report/swimlane.ts). Plain JSON, inlined into
 * the page; the page's script only draws it. Pure: the same input gives the same object.
 *
 * - heatmap: one row per arch + options [+ mutations] (+ workload / strategy when the sweep
 *   has more than one), one column per scheme (with options, preemption and memory model) × CPUs; each
 *   point is a cell's verdict (safe, hazard, violates, error; proved / incomplete for exhaustive cells),
 *   the invariants it violated or recorded as hazards and the use sites that fired, with a
 *   tooltip listing the runs of each, and its errors.
 * - costs: one chart per heatmap row ("per arch"), grouped bars: per metric (mm_count atomics
 *   and their cache-line transfers per context switch, IPIs per mm exit, pinned mm·steps per
 *   step) one bar per scheme × CPUs.
 * - costVsCpus: per group of cells that differ only in their CPU count (cost-vs-cpus.ts), the
 *   lazy-mm costs by event (switch, exit, mmdrop) against N, one line per scheme label, every
 *   cost category with its fit; empty when no group has 2 CPU counts.
 */
import { MEMORY_MODELS, strategyToString } from '@lazytlb/core';
import { schemeLabel } from '@lazytlb/explore';
import { type CostEvent, type EventCostKey, kindRank } from '@lazytlb/explore';
import { COST_EVENTS, costTrend, cpuGroups, EVENT_COSTS, EXTRAPOLATE_TO, f2, seriesValues } from './cost-vs-cpus.js';
import { type CellResult, type ResultsFile, VERDICTS as ALL_VERDICTS } from '@lazytlb/explore';
import type { SwimlaneData } from './swimlane.js';

export type Verdict = CellResult['verdict'];

/** Verdicts in the order of the heatmap's colour scale (its `value`); the last two are reserved (exhaustive strategies). */
export const VERDICTS: readonly Verdict[] = ALL_VERDICTS;
/** Verdicts the heatmap's legend always shows (the reserved ones only when a cell has them). */
export const LEGEND_VERDICTS: readonly Verdict[] = ['safe', 'hazard', 'violates', 'error'];

export interface HeatmapPoint {
  /** Column (scheme × CPUs). */
  readonly x: number;
  /** Row (arch + options …). */
  readonly y: number;
  readonly verdict: Verdict;
  /** Indices of the cells at this point (more than one only for duplicate cells). */
  readonly cells: readonly number[];
  /** Invariants violated (`I1`) and recorded as hazards (`I3 hazard`), in invariant order. */
  readonly invariants: readonly string[];
  /** Use sites that fired (kernel functions). */
  readonly sites: readonly string[];
  readonly tooltip: string;
}

export interface HeatmapData {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly points: readonly HeatmapPoint[];
}

export interface CostChart {
  /** The row label of the heatmap this chart belongs to (arch + options …). */
  readonly title: string;
  readonly metrics: readonly string[];
  /** One series per scheme × CPUs; values by metric (null: nothing to normalise by). */
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
}

/** One scheme label's line in the cost-vs-CPUs charts of a group. */
export interface CpuCostSeries {
  readonly name: string;
  /** Cell indices, aligned with `cpus`. */
  readonly cells: readonly number[];
  /** CPU counts, ascending (the x values). */
  readonly cpus: readonly number[];
  /** Per event: how many events were counted at each N. */
  readonly counts: Readonly<Record<CostEvent, readonly number[]>>;
  /** Per event and cost category (results.json keys): the cost per event at each N. */
  readonly values: Readonly<Record<CostEvent, Readonly<Record<EventCostKey, readonly number[]>>>>;
  /** Per event and cost category: the fit as report.md words it ("-1.00 + 1.00·N (R² 1.000) → 1023.00 at N=1024", "workload-bound: 1.83 at N=32"). */
  readonly fits: Readonly<Record<CostEvent, Readonly<Record<EventCostKey, string>>>>;
}

/** The cost-vs-CPUs charts of one group (arch, options, workload, strategy …): one chart per event. */
export interface CpuCostGroup {
  readonly title: string;
  /** The CPU counts of the group (union of its series'). */
  readonly cpus: readonly number[];
  readonly series: readonly CpuCostSeries[];
}

export interface ReportData {
  readonly title: string;
  readonly summary: string;
  readonly heatmap: HeatmapData;
  /** Costs by event against the CPU count (empty: no cells that differ only in their CPU count). */
  readonly costVsCpus: readonly CpuCostGroup[];
  readonly costs: readonly CostChart[];
  readonly swimlanes: readonly SwimlaneData[];
  /** Why some first failures have no swimlane (not shrunk, replay failed, over the limit). */
  readonly notes: readonly string[];
}

export const COST_METRICS: readonly { readonly label: string; readonly get: (c: CellResult) => number | null }[] = [
  { label: 'mm_count atomics / context switch', get: (c) => c.costs.perContextSwitch.mmCountAtomics },
  { label: 'cache-line transfers / context switch', get: (c) => c.costs.perContextSwitch.mmCountLineTransfers },
  { label: 'IPIs / mm exit', get: (c) => c.costs.perMmExit.ipis },
  { label: 'pinned mm·steps / step', get: (c) => c.costs.pinnedMmStepsPerStep },
];

const SCHEME_ORDER = ['refcount', 'shootdown', 'none'];

export function workloadLabel(w: unknown): string {
  if (typeof w === 'string') return w;
  if (typeof w === 'object' && w !== null) {
    if ('explicit' in w) return 'explicit';
    const o = w as { profile?: string; params?: unknown };
    return `${o.profile ?? 'default'}${o.params !== undefined ? `${JSON.stringify(o.params)}` : ''}`;
  }
  return String(w);
}

export function optionsLabel(options: Record<string, unknown>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(',');
}

/** Row labels of the cells: arch + options [+ mutations] [· workload] [· strategy]. */
export function rowLabels(cells: readonly CellResult[]): string[] {
  const workloads = new Set(cells.map((c) => workloadLabel(c.workload)));
  const strategies = new Set(cells.map((c) => strategyToString(c.strategy)));
  return cells.map((c) => {
    const opts = optionsLabel(c.options);
    let s = opts === '' ? c.arch : `${c.arch} {${opts}}`;
    if (c.mutations !== undefined) s += ` +${c.mutations.join('+')}`;
    if (workloads.size > 1) s += ` · ${workloadLabel(c.workload)}`;
    if (strategies.size > 1) s += ` · ${strategyToString(c.strategy)}`;
    return s;
  });
}

/** "shootdown:mask=online preempt=rt memory=tso × 4 CPUs" (the scheme as engine/cells.ts's schemeLabel names it). */
export function columnLabel(c: Pick<CellResult, 'scheme' | 'cpus'> & Partial<Pick<CellResult, 'schemeOptions' | 'preempt' | 'memory'>>): string {
  return `${schemeLabel(c)} × ${c.cpus} CPU${c.cpus === 1 ? '' : 's'}`;
}

const PREEMPT_ORDER = ['none', 'voluntary', 'full', 'rt'];
const MEMORY_ORDER: readonly string[] = MEMORY_MODELS;

function columnOrder(cells: readonly CellResult[]): string[] {
  const cols = [...new Map(cells.map((c) => [columnLabel(c), c])).values()];
  const rank = (s: string): number => (SCHEME_ORDER.includes(s) ? SCHEME_ORDER.indexOf(s) : SCHEME_ORDER.length);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  cols.sort(
    (a, b) =>
      rank(a.scheme) - rank(b.scheme) ||
      cmp(a.scheme, b.scheme) ||
      cmp(schemeLabel({ ...a, preempt: 'full', memory: 'sc' }), schemeLabel({ ...b, preempt: 'full', memory: 'sc' })) ||
      PREEMPT_ORDER.indexOf(a.preempt ?? 'full') - PREEMPT_ORDER.indexOf(b.preempt ?? 'full') ||
      MEMORY_ORDER.indexOf(a.memory ?? 'sc') - MEMORY_ORDER.indexOf(b.memory ?? 'sc') ||
      a.cpus - b.cpus,
  );
  return cols.map(columnLabel);
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** The tooltip of one cell: identity, verdict, runs, violating runs per invariant, errors. */
export function cellTooltip(c: CellResult, row: string): string {
  const x = c.exhaustive;
  const lines = [
    `#${c.index} ${row} — ${columnLabel(c)}`,
    x === undefined
      ? `${c.verdict}: ${c.runs} runs, ${workloadLabel(c.workload)}, ${strategyToString(c.strategy)}`
      : `${c.verdict}: ${c.runs} executions, ${x.distinctStates} states, ${x.subtreesSearched}/${x.subtrees} subtrees${x.stoppedSubtrees > 0 ? ` (${x.stoppedSubtrees} out of budget)` : ''}, ${workloadLabel(c.workload)}, ${strategyToString(c.strategy)}`,
  ];
  const viol = Object.entries(c.violations);
  if (viol.length > 0) lines.push(`violating runs: ${viol.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const hz = Object.entries(c.hazards);
  if (hz.length > 0) lines.push(`hazard runs (the run went on): ${hz.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const sites = Object.entries(c.useSites);
  if (sites.length > 0) lines.push(`use sites fired (runs): ${sites.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const errs = [
    ['plugin errors', c.pluginErrors],
    ['deadlocks', c.deadlocks],
    ['crashes', c.crashes],
    ['model errors', c.modelErrors],
    ['over step budget', c.budgetExceeded],
  ].filter(([, n]) => (n as number) > 0);
  if (errs.length > 0) lines.push(errs.map(([k, n]) => `${k} ${n}`).join(', '));
  return lines.join('\n');
}

const VERDICT_RANK: Record<Verdict, number> = { proved: 0, safe: 1, incomplete: 2, hazard: 3, violates: 4, error: 5 };

/** The invariants of cells (violations, then hazards marked as such) and their use sites, each once. */
function cellFindings(cs: readonly CellResult[]): { invariants: string[]; sites: string[] } {
  const byInv = (a: string, b: string): number => kindRank(a) - kindRank(b) || (a < b ? -1 : a > b ? 1 : 0);
  const viol = unique(cs.flatMap((c) => Object.keys(c.violations))).sort(byInv);
  const hz = unique(cs.flatMap((c) => Object.keys(c.hazards))).sort(byInv);
  const sites = unique(cs.flatMap((c) => Object.keys(c.useSites))).sort();
  return { invariants: [...viol, ...hz.map((h) => `${h} hazard`)], sites };
}

export function buildHeatmap(f: ResultsFile): HeatmapData {
  const labels = rowLabels(f.cells);
  const rows = unique(labels);
  const columns = columnOrder(f.cells);
  const at = new Map<string, CellResult[]>();
  f.cells.forEach((c, i) => {
    const key = `${columns.indexOf(columnLabel(c))}/${rows.indexOf(labels[i]!)}`;
    at.set(key, [...(at.get(key) ?? []), c]);
  });
  const points: HeatmapPoint[] = [];
  for (const [key, cs] of at) {
    const [x, y] = key.split('/').map(Number) as [number, number];
    const verdict = cs.map((c) => c.verdict).reduce((a, b) => (VERDICT_RANK[b] > VERDICT_RANK[a] ? b : a));
    points.push({ x, y, verdict, cells: cs.map((c) => c.index), ...cellFindings(cs), tooltip: cs.map((c) => cellTooltip(c, rows[y]!)).join('\n\n') });
  }
  points.sort((a, b) => a.y - b.y || a.x - b.x);
  return { rows, columns, points };
}

export function buildCostCharts(f: ResultsFile): CostChart[] {
  const labels = rowLabels(f.cells);
  return unique(labels).map((title) => {
    const cells = f.cells.filter((_, i) => labels[i] === title);
    const columns = columnOrder(cells);
    return {
      title,
      metrics: COST_METRICS.map((m) => m.label),
      series: columns.map((name) => {
        const c = cells.find((x) => columnLabel(x) === name)!;
        return { name, values: COST_METRICS.map((m) => m.get(c)) };
      }),
    };
  });
}

/** The words for a fit in the charts' tooltips (the same rule and numbers as report.md's table). */
export function fitText(xs: readonly number[], ys: readonly number[]): string {
  const t = costTrend(xs, ys);
  if (t.model === 'linear') return `${t.formula} → ${f2(t.at1024)} at N=${EXTRAPOLATE_TO}`;
  if (t.model === 'zero') return 'zero';
  return `workload-bound: ${f2(t.at1024)} at N=${t.maxCpus}`;
}

export function buildCostVsCpus(f: ResultsFile): CpuCostGroup[] {
  const perEvent = <T>(fn: (e: CostEvent) => T): Record<CostEvent, T> => Object.fromEntries(COST_EVENTS.map((e) => [e, fn(e)])) as Record<CostEvent, T>;
  const perCost = <T>(fn: (k: EventCostKey) => T): Record<EventCostKey, T> =>
    Object.fromEntries(EVENT_COSTS.map((c) => [c.key, fn(c.key)])) as Record<EventCostKey, T>;
  return cpuGroups(f).map((g) => ({
    title: g.title,
    cpus: [...g.cpus],
    series: g.series.map((s) => ({
      name: s.name,
      cells: [...s.cells],
      cpus: [...s.cpus],
      counts: perEvent((e) => s.perEvent.map((p) => p[e].count)),
      values: perEvent((e) => perCost((k) => seriesValues(s, e, k))),
      fits: perEvent((e) => perCost((k) => fitText(s.cpus, seriesValues(s, e, k)))),
    })),
  }));
}

export function buildReportData(f: ResultsFile, swimlanes: readonly SwimlaneData[] = [], notes: readonly string[] = []): ReportData {
  const status = f.interrupted ? ' — INTERRUPTED' : f.timeBudgetHit ? ' — time budget reached' : f.complete ? '' : ' — partial';
  return {
    title: `lazytlb sweep${status}`,
    summary:
      `lazytlb ${f.toolVersion} (core ${f.coreVersion}, model ${f.fingerprints.core}), seed ${f.matrix.seed}, ${f.matrix.runs} runs per cell, ${f.matrix.cells} cells` +
      `${f.shard ? `, shard ${f.shard.index}/${f.shard.count}` : ''}: ${f.totals.safe} safe, ${f.totals.hazard} hazard, ${f.totals.violates} violate, ${f.totals.error} error — ${f.totals.runs} runs, ${f.totals.steps} steps.`,
    heatmap: buildHeatmap(f),
    costVsCpus: buildCostVsCpus(f),
    costs: buildCostCharts(f),
    swimlanes: [...swimlanes],
    notes: [...notes],
  };
}
