/**
 * Cost vs CPUs (report.md's "Cost vs CPUs" section and report.html's `#cost-vs-cpus` charts):
 * the lazy-mm costs by event (results.json `costs.perEvent`) of cells that differ only in their
 * CPU count, as a function of the CPU count N — the question of Linus' "is it scalable to scan
 * 1024 CPUs on every exit?".
 *
 * - A **series** is the cells of one scheme (options, version, preemption and memory model)
 *   that agree on everything else (arch and options, workload, strategy, mutations, step
 *   budget) and differ in CPUs; only series with at least 2 CPU counts are kept (a duplicate
 *   cell at the same CPU count: the first one).
 * - A **group** is the series that share arch, options, workload, strategy, mutations and step
 *   budget: one table (report.md) or one row of charts (report.html), one line per scheme label.
 * - **Fit** (the rule of scripts/scheme-costs.mjs's lineFit(); keep the two alike): least squares
 *   a + b·N with R². A cost that grows with N by construction (a scan of every CPU) fits a line
 *   exactly; one bounded by the workload (the CPUs an mm's threads ran on: a flush's IPIs,
 *   mm_cpumask) saturates, and a line through it would extrapolate nonsense. So a series is
 *   extrapolated to N = 1024 only when the line explains it (R² ≥ 0.99) and grows (b ≥ 0.05
 *   per CPU); otherwise it is workload-bound and its value at the largest N is given.
 *
 * 32 CPUs (core's MAX_CPUS: cpumasks are 32-bit words) is the model's ceiling: a value at
 * 1024 is an extrapolation. The costs are counts, not times.
 */
import { canonicalJson, COST_NAMES, costs as C, MAX_CPUS, strategyToString } from '@lazytlb/core';
import { schemeLabel } from '@lazytlb/explore';
import { formatArchSpec } from '../matrix/arch-flag.js';
import { type CostEvent, EVENT_COST_KEYS, type EventCostKey, perEventCosts } from '@lazytlb/explore';
import type { CellResult, PerEventCosts, ResultsFile } from '@lazytlb/explore';

/** The N the fits are extrapolated to. */
export const EXTRAPOLATE_TO = 1024;
/** A line explains a series when R² is at least this … */
export const FIT_MIN_R2 = 0.99;
/** … and the series grows by at least this much per CPU. */
export const FIT_MIN_SLOPE = 0.05;
/** The most CPUs a cell may have (core's MAX_CPUS: the model's cpumasks are 32-bit words). */
export const CPU_CEILING = MAX_CPUS;

export const COST_EVENTS: readonly CostEvent[] = C.EVENT_NAMES;
/** What one event of each kind is (report headings, chart titles). */
export const EVENT_LABELS: Readonly<Record<CostEvent, string>> = {
  switch: 'per context switch (switch)',
  exit: 'per mm exit (exit: __mmput)',
  mmdrop: 'per final mmdrop (mmdrop: __mmdrop)',
};
/** Cost categories in core's order (EVENT_CATEGORY_NAMES), with their results.json keys and labels. */
export const EVENT_COSTS: readonly { readonly key: EventCostKey; readonly label: string }[] = C.EVENT_CATEGORY_NAMES.map((c) => ({
  key: EVENT_COST_KEYS[c],
  label: c === 'ipis' ? 'IPIs' : c.replace('_', ' '),
}));
/**
 * The main costs of each event (report.md always shows them; report.html's chart of the event
 * starts on the first): what the schemes trade against each other.
 */
export const MAIN_EVENT_COSTS: Readonly<Record<CostEvent, readonly EventCostKey[]>> = {
  switch: ['atomics', 'barriers'],
  exit: ['remoteReads', 'ipis'],
  mmdrop: ['remoteReads', 'ipis'],
};

export interface LineFit {
  readonly a: number;
  readonly b: number;
  readonly r2: number;
  /** The line explains the series (R² ≥ FIT_MIN_R2) and it grows (b ≥ FIT_MIN_SLOPE): extrapolate it. */
  readonly linear: boolean;
}

/** Least squares y = a + b·x with R² (computed as scripts/scheme-costs.mjs does; R² = 1 for a constant series). */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const b = sxx === 0 ? 0 : sxy / sxx;
  const r2 = syy === 0 ? 1 : sxx === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  const linear = r2 >= FIT_MIN_R2 && b >= FIT_MIN_SLOPE;
  return { a: my - b * mx, b, r2, linear };
}

/** "0", or two decimals (scripts/scheme-costs.mjs's f2). */
export function f2(x: number): string {
  return Math.abs(x) < 0.005 ? '0' : x.toFixed(2);
}

export interface CostTrend {
  readonly fit: LineFit;
  /** `linear` (extrapolated), `workload-bound` (the value at the largest N), `zero` (under 0.005 at every N: not workload-bound, absent). */
  readonly model: 'linear' | 'workload-bound' | 'zero';
  /** The line at N = 1024 when linear, else the value at the largest N measured. */
  readonly at1024: number;
  /** The largest N measured. */
  readonly maxCpus: number;
  /** "0.50 + 1.00·N (R² 0.999)", "workload-bound (N=32 value)" or "zero". */
  readonly formula: string;
}

/** The fit of one series (xs: CPU counts, ascending) and what to say at N = 1024. */
export function costTrend(xs: readonly number[], ys: readonly number[]): CostTrend {
  const fit = fitLine(xs, ys);
  const maxCpus = xs[xs.length - 1]!;
  const last = ys[ys.length - 1]!;
  if (fit.linear)
    return { fit, model: 'linear', at1024: fit.a + fit.b * EXTRAPOLATE_TO, maxCpus, formula: `${f2(fit.a)} + ${f2(fit.b)}·N (R² ${fit.r2.toFixed(3)})` };
  if (ys.every((y) => Math.abs(y) < 0.005)) return { fit, model: 'zero', at1024: last, maxCpus, formula: 'zero' };
  return { fit, model: 'workload-bound', at1024: last, maxCpus, formula: `workload-bound (N=${maxCpus} value)` };
}

export interface CpuSeries {
  /** The scheme label (engine/cells.ts schemeLabel: options, preemption, memory model). */
  readonly name: string;
  /** Indices of the cells, aligned with `cpus`. */
  readonly cells: readonly number[];
  /** CPU counts, ascending. */
  readonly cpus: readonly number[];
  /** Costs by event of each cell, aligned with `cpus`. */
  readonly perEvent: readonly PerEventCosts[];
}

export interface CpuGroup {
  /** arch:options [+mutations] · workload · strategy [· step budget]. */
  readonly title: string;
  /** The CPU counts of its series (union, ascending). */
  readonly cpus: readonly number[];
  readonly series: readonly CpuSeries[];
}

/** A cell's costs by event: as written, or from its raw counters (a v2 file written before `perEvent`). */
export function cellPerEvent(c: CellResult): PerEventCosts {
  return c.costs.perEvent ?? perEventCosts(COST_NAMES.map((n) => c.raw.costs[n] ?? 0));
}

function workloadText(w: unknown): string {
  if (typeof w === 'string') return w;
  if (typeof w === 'object' && w !== null) {
    if ('explicit' in w) return 'explicit';
    const o = w as { profile?: string; params?: unknown };
    return `${o.profile ?? 'default'}${o.params !== undefined ? JSON.stringify(o.params) : ''}`;
  }
  return String(w);
}

function groupTitle(c: CellResult): string {
  let s = formatArchSpec({ name: c.arch, options: c.options });
  if (c.mutations !== undefined) s += ` +${c.mutations.join('+')}`;
  s += ` · ${workloadText(c.workload)} · ${strategyToString(c.strategy)}`;
  if (c.stepBudget !== null) s += ` · step budget ${c.stepBudget}`;
  return s;
}

/**
 * The groups of cells that differ only in their CPU count (series with at least 2 CPU counts),
 * in the order their first cells appear; series in the order of their first cells.
 */
export function cpuGroups(f: Pick<ResultsFile, 'cells'>): CpuGroup[] {
  const groupKey = (c: CellResult): string => canonicalJson([c.arch, c.options, c.workload, c.strategy, c.mutations ?? [], c.stepBudget]);
  const seriesKey = (c: CellResult): string => canonicalJson([groupKey(c), c.scheme, c.schemeOptions, c.schemeVersion ?? null, c.preempt, c.memory]);
  const groups = new Map<string, { title: string; series: Map<string, Map<number, CellResult>> }>();
  for (const c of f.cells) {
    const gk = groupKey(c);
    let g = groups.get(gk);
    if (g === undefined) groups.set(gk, (g = { title: groupTitle(c), series: new Map() }));
    const sk = seriesKey(c);
    let s = g.series.get(sk);
    if (s === undefined) g.series.set(sk, (s = new Map()));
    if (!s.has(c.cpus)) s.set(c.cpus, c);
  }
  const out: CpuGroup[] = [];
  for (const g of groups.values()) {
    const series: CpuSeries[] = [];
    for (const byCpus of g.series.values()) {
      if (byCpus.size < 2) continue;
      const cells = [...byCpus.values()].sort((x, y) => x.cpus - y.cpus);
      series.push({ name: schemeLabel(cells[0]!), cells: cells.map((c) => c.index), cpus: cells.map((c) => c.cpus), perEvent: cells.map(cellPerEvent) });
    }
    if (series.length === 0) continue;
    const cpus = [...new Set(series.flatMap((s) => s.cpus))].sort((x, y) => x - y);
    out.push({ title: g.title, cpus, series });
  }
  return out;
}

/** The values of one cost of one event along a series (aligned with its `cpus`). */
export function seriesValues(s: CpuSeries, event: CostEvent, key: EventCostKey): number[] {
  return s.perEvent.map((p) => p[event][key]);
}

/** The costs of an event report.md shows: the main ones always, the others where some series has a value ≥ 0.005. */
export function shownCosts(g: CpuGroup, event: CostEvent): EventCostKey[] {
  return EVENT_COSTS.map((c) => c.key).filter(
    (k) => MAIN_EVENT_COSTS[event].includes(k) || g.series.some((s) => seriesValues(s, event, k).some((v) => Math.abs(v) >= 0.005)),
  );
}

/** report.md's "Cost vs CPUs" section (nothing when no cells differ only in their CPU count). */
export function renderCostVsCpus(f: Pick<ResultsFile, 'cells'>, L: string[]): void {
  const groups = cpuGroups(f);
  if (groups.length === 0) return;
  L.push('', '## Cost vs CPUs', '');
  L.push(
    'Lazy-mm costs by event for the cells that differ only in their CPU count N, per scheme: each counter counted while a CPU ran the ' +
      "event's code, divided by the number of such events (`switch`: a context switch, `finish_task_switch` included; `exit`: `__mmput`, " +
      "`exit_mmap`'s final flush and the scheme's part; `mmdrop`: the final `__mmdrop` and `cleanup_lazy_tlbs`). " +
      "These are **counts, not times**: atomics (`mm_count` and the scheme's), `mm_count` cache-line transfers, remote cache-line reads, " +
      'IPIs sent, lazy-helper barriers. Rows: the main costs of each event always, the others where some value is at least 0.005; ' +
      'the schemes without a cost (under 0.005 at every N) share one row, marked zero.',
    '',
  );
  L.push(
    `Fit: least squares a + b·N over the N measured; **N=${EXTRAPOLATE_TO}** is that line at N = ${EXTRAPOLATE_TO} only when it explains the series ` +
      `(R² ≥ ${FIT_MIN_R2}) and grows (b ≥ ${FIT_MIN_SLOPE} per CPU); otherwise the cost is **workload-bound** — bounded by the CPUs an mm's threads ` +
      'ran on, not by N, so a line through it would extrapolate nonsense — and the value at the largest N measured is given. ' +
      `${CPU_CEILING} CPUs is the model's ceiling (its cpumasks are ${CPU_CEILING}-bit words): every N = ${EXTRAPOLATE_TO} value is an extrapolation, not a measurement.`,
  );
  if (groups.some((g) => g.series.some((s) => s.cpus.length === 2))) {
    L.push('', '_Some series have only 2 CPU counts: any line passes through 2 points (R² = 1), so their fits say little; measure at 3 or more._');
  }
  for (const g of groups) {
    L.push('', `### ${g.title}`);
    for (const e of COST_EVENTS) {
      L.push('', `#### ${EVENT_LABELS[e]}`, '');
      L.push(`| scheme | cost | ${g.cpus.map((n) => `N=${n}`).join(' | ')} | fit a + b·N | N=${EXTRAPOLATE_TO} |`);
      L.push(`|---|---|${g.cpus.map(() => '---:').join('|')}|---|---:|`);
      for (const k of shownCosts(g, e)) {
        const label = EVENT_COSTS.find((c) => c.key === k)!.label;
        const zero: CpuSeries[] = [];
        for (const s of g.series) {
          const ys = seriesValues(s, e, k);
          const t = costTrend(s.cpus, ys);
          if (t.model === 'zero') {
            zero.push(s);
            continue;
          }
          const cols = g.cpus.map((n) => {
            const i = s.cpus.indexOf(n);
            return i < 0 ? '–' : f2(ys[i]!);
          });
          L.push(`| ${s.name} | ${label} | ${cols.join(' | ')} | ${t.formula} | ${f2(t.at1024)} |`);
        }
        // The schemes without this cost, in one row.
        if (zero.length > 0) {
          const cols = g.cpus.map((n) => (zero.some((s) => s.cpus.includes(n)) ? '0' : '–'));
          L.push(`| ${zero.map((s) => s.name).join(', ')} | ${label} | ${cols.join(' | ')} | zero | 0 |`);
        }
      }
      const full = g.series.every((s) => s.cpus.length === g.cpus.length);
      const counts = g.series
        .map((s) => `${s.name} ${s.perEvent.map((p, i) => (full ? `${p[e].count}` : `${s.cpus[i]}: ${p[e].count}`)).join(' / ')}`)
        .join('; ');
      L.push('', `Events counted${full ? ` (N = ${g.cpus.join(', ')})` : ''}: ${counts}.`);
    }
  }
}
