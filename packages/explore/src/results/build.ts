/**
 * SweepResult → the results.json object. Verdicts: `error` if any run hit a plugin error, a
 * deadlock, a worker crash or a model error; else `violates` if any run violated an
 * invariant; else `hazard` if any run recorded a hazard or a use site fired (without ending
 * the run); else `safe` (schema.ts VERDICTS). Costs are normalised per context switch and per
 * mm exit, and by lazy-mm event (perEvent: per context switch, __mmput and final __mmdrop).
 */
import { COST_NAMES, type CostName, costs as C, hashString128, hllSerialize, INVARIANT_IDS, seedToHex } from '@lazytlb/core';
import { hazardRuns, violatingRuns } from '../aggregate/aggregate.js';
import { coveredCount, parseInterval } from '../plan/intervals.js';
import type { EngineCellAggregate, FailureClass, FirstFailure } from '../aggregate/types.js';
import type { PreparedCell, SweepResult } from '../sweep/types.js';
import { matrixHash } from '../sweep/matrix-hash.js';

export { matrixHash };
import {
  type CellCosts,
  type CellCoverage,
  type CellResult,
  type EventCosts,
  type ExhaustiveReport,
  type FirstFailureEntry,
  type PerEventCosts,
  type PctMissBound,
  type PctReport,
  RESULTS_SCHEMA,
  type ResultsFile,
} from './schema.js';
import { coverageSummary } from '../aggregate/coverage.js';
import { unitsOf } from '../plan/plan.js';
import { DEFAULT_MAX_EXECUTIONS } from '../exhaustive/batch.js';
import { EXHAUSTIVE_ENUMERATED, EXHAUSTIVE_FIXED } from '../exhaustive/search.js';

/** An exhaustive cell's `exhaustive` report (schema.ts ExhaustiveReport) from its aggregate. */
export function exhaustiveReport(strategy: PreparedCell['spec']['strategy'], a: EngineCellAggregate, units: number): ExhaustiveReport {
  const x = a.exhaustive;
  return {
    preemptionBound: strategy.kind === 'exhaustive' ? (strategy.preemptions ?? null) : null,
    maxExecutions: strategy.kind === 'exhaustive' ? (strategy.maxExecutions ?? DEFAULT_MAX_EXECUTIONS) : 0,
    subtrees: units,
    subtreesSearched: x?.subtrees ?? 0,
    roots: x?.roots ?? 0,
    // The search's own count (a crashed unit adds a run but no execution), so a read-back round-trips.
    executions: x?.executions ?? 0,
    nodes: x?.nodes ?? 0,
    distinctStates: x?.distinctStates ?? 0,
    prunedExecutions: x?.prunedExecutions ?? 0,
    prunedByBound: x?.prunedByBound ?? 0,
    slept: x?.slept ?? 0,
    frontier: x?.frontier ?? 0,
    stoppedSubtrees: x?.stoppedSubtrees ?? 0,
    maxDepth: x?.maxDepth ?? 0,
    stateHashing: x === undefined ? null : { on: x.stateHashing === null, bits: 64, reason: x.stateHashing },
    partialOrder: x === undefined ? null : { on: x.partialOrder === null, reason: x.partialOrder },
    enumerated: [...EXHAUSTIVE_ENUMERATED],
    fixed: [...EXHAUSTIVE_FIXED],
  };
}

export type Verdict = CellResult['verdict'];

/**
 * A cell's verdict from its aggregate. An exhaustive cell (`exhaustive` given: its strategy and
 * whether every subtree was searched): `error`, `violates`, else `incomplete` when a subtree was
 * not searched (interrupted, time budget, one shard of several), ran out of its budget share or
 * hit the step budget, else `proved` — hazards and non-fatal use sites are listed with it, not
 * a verdict of their own: the proof is that no invariant is violated, and under `none` the
 * dangling active_mm (I3) that nothing uses is exactly what it shows.
 */
export function verdictOf(a: EngineCellAggregate, exhaustive?: { readonly allUnits: boolean }): Verdict {
  if (a.pluginErrors > 0 || a.deadlocks > 0 || a.crashes > 0 || a.modelErrors > 0 || Object.keys(a.firstErrors).length > 0) return 'error';
  if (violatingRuns(a) > 0) return 'violates';
  if (exhaustive !== undefined) {
    const stopped = (a.exhaustive?.stoppedSubtrees ?? 0) > 0 || a.budgetExceeded > 0;
    return !exhaustive.allUnits || stopped ? 'incomplete' : 'proved';
  }
  if (hazardRuns(a) > 0 || Object.values(a.useSites).some((n) => n > 0)) return 'hazard';
  return 'safe';
}

/**
 * A key as a file-name part: letters, digits, "_" and "-" only ("switch_mm_irqs_off (prev ==
 * next)" -> "switch_mm_irqs_off-prev-next-<6 hex digits of the key>"; the hash keeps two keys
 * that slug alike apart). Keys that are already safe (I3, membarrier_switch_mm) stay as they are.
 */
function fileSlug(key: string): string {
  const slug = key.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return slug === key ? key : `${slug}-${seedToHex(hashString128(key)).slice(0, 6)}`;
}

/**
 * Path of a first failure's artifact, relative to the results directory: violations and
 * errors `failures/<cell>-<key>.json` (as in v1), hazards `failures/<cell>-hazard-<id>.json`,
 * use sites `failures/<cell>-site-<slug>.json`.
 */
export function failurePath(cellIndex: number, f: Pick<FirstFailure, 'kind' | 'class'>): string {
  const prefix = f.class === 'hazard' ? 'hazard-' : f.class === 'use-site' ? 'site-' : '';
  return `failures/${cellIndex}-${prefix}${fileSlug(f.kind)}.json`;
}

const KIND_ORDER: readonly string[] = [...INVARIANT_IDS, 'budget', 'deadlock', 'plugin-error'];
export function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

const CLASS_ORDER: readonly FailureClass[] = ['violation', 'hazard', 'use-site', 'error'];

/** Order of first failures: by class (violation, hazard, use site, error), then key (invariant order, then by name). */
function compareFailures(x: Pick<FirstFailure, 'kind' | 'class'>, y: Pick<FirstFailure, 'kind' | 'class'>): number {
  return CLASS_ORDER.indexOf(x.class) - CLASS_ORDER.indexOf(y.class) || kindRank(x.kind) - kindRank(y.kind) || (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0);
}

function div(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** A lazy-mm cost event (core's costs.EVENT_NAMES): context switch, __mmput, final __mmdrop. */
export type CostEvent = (typeof C.EVENT_NAMES)[number];
/** A per-event cost category (core's costs.EVENT_CATEGORY_NAMES). */
export type CostCategory = (typeof C.EVENT_CATEGORY_NAMES)[number];
export type EventCostKey = Exclude<keyof EventCosts, 'count'>;

/** results.json's key of each event cost category (core's order). */
export const EVENT_COST_KEYS: Readonly<Record<CostCategory, EventCostKey>> = {
  atomics: 'atomics',
  line_transfers: 'lineTransfers',
  remote_reads: 'remoteReads',
  ipis: 'ipis',
  barriers: 'barriers',
};

const costAt = (costs: readonly number[], name: CostName): number => costs[COST_NAMES.indexOf(name)] ?? 0;

/** How many events of each kind the counters saw: context switches (all four transitions), mm exits (__mmput), final mmdrops (mm_frees). */
export function eventCounts(costs: readonly number[]): Record<CostEvent, number> {
  const v = (n: CostName): number => costAt(costs, n);
  return {
    switch: v('cs_user_user') + v('cs_user_kernel') + v('cs_kernel_kernel') + v('cs_kernel_user'),
    exit: v('mm_exits'),
    mmdrop: v('mm_frees'),
  };
}

/**
 * Costs by lazy-mm event from a cell's summed raw counters: per event kind its count and each
 * `<event>_<cost>` counter divided by it (0 when there was no such event). Always computed from
 * sums, so merged shards and resumed sweeps give what one run of the whole sweep gives.
 */
export function perEventCosts(costs: readonly number[]): PerEventCosts {
  const counts = eventCounts(costs);
  const one = (e: CostEvent): EventCosts => {
    const out = { count: counts[e] } as { count: number } & Record<EventCostKey, number>;
    for (const c of C.EVENT_CATEGORY_NAMES) out[EVENT_COST_KEYS[c]] = counts[e] > 0 ? costAt(costs, `${e}_${c}`) / counts[e] : 0;
    return out;
  };
  return { switch: one('switch'), exit: one('exit'), mmdrop: one('mmdrop') };
}

export function normaliseCosts(costs: readonly number[], steps: number): CellCosts {
  const v = (i: number): number => costs[i] ?? 0;
  const cs = v(C.C_CS_USER_USER) + v(C.C_CS_USER_KERNEL) + v(C.C_CS_KERNEL_KERNEL) + v(C.C_CS_KERNEL_USER);
  const ipis = v(C.C_IPI_SENT_FLUSH) + v(C.C_IPI_SENT_SHOOTDOWN) + v(C.C_IPI_SENT_ARCH);
  const exits = v(C.C_MM_EXITS);
  return {
    contextSwitches: cs,
    mmExits: exits,
    perContextSwitch: {
      mmCountAtomics: div(v(C.C_MM_COUNT_ATOMICS), cs),
      mmCountLineTransfers: div(v(C.C_MM_COUNT_LINE_TRANSFERS), cs),
      smpMb: div(v(C.C_SMP_MB), cs),
      ipis: div(ipis, cs),
    },
    perMmExit: {
      ipis: div(ipis, exits),
      shootdownIpis: div(v(C.C_IPI_SENT_SHOOTDOWN), exits),
      hypercalls: div(v(C.C_HYPERCALLS), exits),
      tlbFlushes: div(v(C.C_TLB_FLUSH_LOCAL) + v(C.C_TLB_FLUSH_REMOTE), exits),
    },
    pinnedMmStepsPerStep: div(v(C.C_LAZY_PINNED_MM_STEPS), steps),
    ibpb: {
      checks: v(C.C_IBPB_CHECKS),
      issued: v(C.C_IBPB),
      skippedOnReuse: v(C.C_IBPB_SKIPPED_REUSE),
      skippedPerCheck: div(v(C.C_IBPB_SKIPPED_REUSE), v(C.C_IBPB_CHECKS)),
    },
    perEvent: perEventCosts(costs),
  };
}

/**
 * PCT (model-spec: a depth-d bug is hit by one run with probability p ≥ 1/(n·k^(d−1)), n
 * actors, k the run length PCT draws its change points over): after N runs that all missed
 * it, the chance of that is at most (1−p)^N. Only for PCT cells, only for d ≤ the cell's depth
 * (the guarantee needs d − 1 change points); null otherwise. k = max(mean estimated steps,
 * mean actual steps), at least 1 (schema.ts PctReport says why). `runs`: runs that completed.
 */
export function pctReport(
  strategy: PreparedCell['spec']['strategy'],
  actors: number,
  runs: number,
  estimatedSteps: number,
  steps: number,
  safe: boolean,
): PctReport | null {
  if (runs === 0) return null;
  const kEstimated = estimatedSteps / runs;
  const meanSteps = steps / runs;
  const k = Math.max(1, kEstimated, meanSteps);
  const depth = strategy.kind === 'pct' ? strategy.depth : null;
  const p = (d: number): number | null => (depth === null || d > depth ? null : 1 / (actors * k ** (d - 1)));
  const hitBound = depth === null || actors === 0 ? null : { d1: p(1), d2: p(2), d3: p(3) };
  const miss = (q: number | null): number | null => (q === null ? null : q >= 1 ? 0 : Math.exp(runs * Math.log1p(-q)));
  const missBound = hitBound === null || !safe ? null : { d1: miss(hitBound.d1), d2: miss(hitBound.d2), d3: miss(hitBound.d3) };
  return { n: actors, depth, runs, kEstimated, meanSteps, k, hitBound, missBound };
}

/** The miss bound alone (pctReport's `missBound` for a safe cell). `steps`: total actual steps (0: use the estimate only). */
export function pctMissBound(strategy: PreparedCell['spec']['strategy'], actors: number, runs: number, estimatedSteps: number, steps = 0): PctMissBound | null {
  return pctReport(strategy, actors, runs, estimatedSteps, steps, true)?.missBound ?? null;
}

/** Coverage of a cell from its state sketches and the runs it covers (null when coverage was off). */
export function cellCoverage(a: EngineCellAggregate, on: boolean): CellCoverage | null {
  if (!on) return null;
  const s = coverageSummary(a.stateSketches, a.batches.map(parseInterval));
  return { distinctStates: s.distinctStates, growth: s.growth.map((g) => ({ runs: g.runs, distinctStates: g.distinctStates })), saturated: s.saturated };
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort((a, b) => kindRank(a) - kindRank(b) || (a < b ? -1 : a > b ? 1 : 0))) out[k] = r[k]!;
  return out;
}

/** What shrinking found for one first failure (see shrink/shrink.ts and shrink/bug-depth.ts). */
export interface ShrunkFailure {
  readonly shrunk: NonNullable<FirstFailureEntry['shrunk']>;
  readonly bugDepth: FirstFailureEntry['bugDepth'] | null;
  /** The shrunk artifact itself (report.html replays it for its swimlane timeline). */
  readonly artifact?: unknown;
}

export interface BuildOptions {
  /** Steps of shrunk counterexamples, by artifact path (filled in by the CLI after shrinking). */
  readonly shrunkSteps?: ReadonlyMap<string, number>;
  /** Coverage was on: write each cell's `coverage` and its raw state sketches (buildResults takes it from the SweepResult). */
  readonly coverage?: boolean;
  /** Sizes before/after and bug depths of shrunk counterexamples, by artifact path. */
  readonly shrunk?: ReadonlyMap<string, ShrunkFailure>;
}

export function buildCell(cell: PreparedCell, a: EngineCellAggregate, opts: BuildOptions = {}): CellResult {
  const strategy = cell.spec.strategy;
  const units = unitsOf(cell.spec, 0);
  const isExhaustive = strategy.kind === 'exhaustive';
  const verdict = verdictOf(a, isExhaustive ? { allUnits: coveredCount(a.batches.map(parseInterval)) === units } : undefined);
  const firstFailures: FirstFailureEntry[] = Object.values(a.firstFailures)
    .sort(compareFailures)
    .map((f) => {
      const path = failurePath(cell.index, f);
      const s = opts.shrunk?.get(path);
      return {
        class: f.class,
        key: f.kind,
        siteKind: f.siteKind ?? null,
        runIndex: f.runIndex,
        seed: f.seed,
        artifact: path,
        steps: f.steps,
        shrunkSteps: opts.shrunkSteps?.get(path) ?? s?.shrunk.after.steps ?? null,
        message: f.message,
        shrunk: s?.shrunk ?? null,
        bugDepth: s?.bugDepth ?? null,
      };
    });
  const pct = isExhaustive
    ? null
    : pctReport(cell.spec.strategy, a.actors, a.runs - a.crashes - a.modelErrors, a.estimatedSteps, a.steps, verdict === 'safe' || verdict === 'hazard');
  const rawCosts = {} as Record<(typeof COST_NAMES)[number], number>;
  COST_NAMES.forEach((n, i) => (rawCosts[n] = a.costs[i] ?? 0));
  return {
    index: cell.index,
    id: seedToHex(hashString128(cell.cellId)),
    arch: cell.spec.arch.name,
    options: { ...cell.spec.arch.options },
    scheme: cell.spec.scheme,
    schemeOptions: { ...(cell.config.schemeOptions ?? {}) },
    ...(cell.config.schemeVersion !== undefined ? { schemeVersion: cell.config.schemeVersion } : {}),
    preempt: cell.config.preempt ?? 'full',
    memory: cell.config.memory ?? 'sc',
    cpus: cell.spec.cpus,
    workload: cell.spec.workload,
    strategy: cell.spec.strategy,
    ...(cell.spec.mutations !== undefined && cell.spec.mutations.length > 0 ? { mutations: [...cell.spec.mutations] } : {}),
    stepBudget: cell.spec.stepBudget ?? null,
    runs: a.runs,
    steps: a.steps,
    verdict,
    violations: sortedRecord(a.violations),
    hazards: sortedRecord(a.hazards),
    useSites: sortedRecord(a.useSites),
    firstFailures,
    budgetExceeded: a.budgetExceeded,
    pluginErrors: a.pluginErrors,
    deadlocks: a.deadlocks,
    crashes: a.crashes,
    modelErrors: a.modelErrors,
    errors: Object.values(a.firstErrors)
      .sort((x, y) => (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0))
      .map((e) => ({ kind: e.kind, runIndex: e.runIndex, seed: e.seed, message: e.message })),
    costs: normaliseCosts(a.costs, a.steps),
    pctMissBound: pct?.missBound ?? null,
    pct,
    coverage: cellCoverage(a, opts.coverage === true),
    ...(isExhaustive ? { exhaustive: exhaustiveReport(strategy, a, units) } : {}),
    raw: {
      cellId: cell.cellId,
      cellHash: cell.cellHash,
      actors: a.actors,
      estimatedSteps: a.estimatedSteps,
      costs: rawCosts,
      coverage: [...a.batches],
      ...(opts.coverage === true ? { stateSketches: Object.fromEntries(Object.entries(a.stateSketches).map(([b, regs]) => [b, hllSerialize(regs)])) } : {}),
    },
  };
}

export function buildResults(r: SweepResult, opts: BuildOptions = {}): ResultsFile {
  const cells = r.cells.map((c, i) => buildCell(c, r.aggregates[i]!, { ...opts, coverage: r.coverage }));
  const complete = r.aggregates.every((a, i) => coveredCount(a.batches.map(parseInterval)) === unitsOf(r.cells[i]!.spec, r.runs));
  return {
    schema: RESULTS_SCHEMA,
    toolVersion: r.toolVersion,
    coreVersion: r.coreVersion,
    fingerprints: r.fingerprints,
    matrix: {
      seed: r.matrixSeed,
      runs: r.runs,
      cells: r.cells.length,
      hash: matrixHash(
        r.matrixSeed,
        r.runs,
        r.cells.map((c) => c.cellId),
      ),
    },
    shard: r.shard === null ? null : { index: r.shard.index, count: r.shard.count },
    interrupted: r.interrupted,
    timeBudgetHit: r.timeBudgetHit,
    complete,
    totals: {
      runs: cells.reduce((n, c) => n + c.runs, 0),
      steps: cells.reduce((n, c) => n + c.steps, 0),
      safe: cells.filter((c) => c.verdict === 'safe').length,
      hazard: cells.filter((c) => c.verdict === 'hazard').length,
      violates: cells.filter((c) => c.verdict === 'violates').length,
      error: cells.filter((c) => c.verdict === 'error').length,
      proved: cells.filter((c) => c.verdict === 'proved').length,
      incomplete: cells.filter((c) => c.verdict === 'incomplete').length,
      violatingRuns: r.aggregates.reduce((n, a) => n + violatingRuns(a), 0),
      hazardRuns: r.aggregates.reduce((n, a) => n + hazardRuns(a), 0),
    },
    cells,
    timing: { ...r.timing },
  };
}
