/**
 * runCell: run one cell N times and count, the way a sweep counts. For plugins' truth tables,
 * seeded tests and notebooks: instead of a hand-written `for (i) sim.run(runSeed(cell, i))`
 * loop, the runs go through the engine's own batch runner (runBatch), so the counts, the first
 * failure per key (with its replayable artifact) and the cost sums are the ones a sweep of that
 * cell would report, and the summaries plugin authors read come with them.
 *
 * Seeds: run i has seed runSeed(base, i). The base defaults to hashString128(sim.cellId), the
 * convention of plugins' scripts and tests (the same runs as their old loops); `matrixSeed` (or
 * the `cellHash` of a prepared cell) gives the runs of that sweep instead.
 *
 * What runBatch does not count (a violation's message or use site, traces, the run itself),
 * `onRun` sees: called once per run, in run order, right after the run.
 */
import {
  type Artifact,
  type Costs,
  costsToObject,
  createSimulator,
  HAZARD_IDS,
  hashString128,
  makeArtifact,
  type RunResult,
  type RunSeed,
  runSeed,
  seedFromHex,
  seedToHex,
  type Simulator,
  type SimulatorOptions,
  type Violation,
} from '@lazytlb/core';
import { usageError } from './errors/lazytlb-error.js';
import { runBatch } from './executor/run-batch.js';
import { cellHashOf } from './plan/seed.js';
import { failureKey, type EngineCellAggregate, type FirstFailure } from './sweep/types.js';

export interface RunCellOptions {
  /** How many runs: run indices [runStart, runStart + runs). */
  readonly runs: number;
  /** Index of the first run (default 0): a later slice of the same cell's runs. */
  readonly runStart?: number;
  /** Seed the runs as the sweep with this matrix seed (`lazytlb sweep --seed`) seeds this cell. */
  readonly matrixSeed?: string;
  /** The seed base itself, 32 hex digits (a PreparedCell's or a BatchTask's `cellHash`). Not with `matrixSeed`. */
  readonly cellHash?: string;
  /** Sketch the abstract states the runs reach (aggregate.stateSketches; default off). */
  readonly coverage?: boolean;
  /**
   * Called after each run (not for a run that threw a model error), in run order, with its
   * result, index and seed. The simulator still holds the run's end state (`sim.findings()`,
   * `sim.k`), so it can be inspected; do not run it from here (runCell has not yet read the
   * run's costs): keep the index and re-run it afterwards.
   */
  readonly onRun?: (r: RunResult, run: RunCellRun) => void;
}

/** A run as onRun sees it. */
export interface RunCellRun {
  readonly index: number;
  readonly seed: RunSeed;
  /** The simulator that ran it (the one runCell built, when given options). */
  readonly sim: Simulator;
}

/** The violating run with the fewest steps (the lowest run index among equals). */
export interface ShortestViolation {
  readonly runIndex: number;
  /** 32 hex digits. */
  readonly seed: string;
  readonly steps: number;
  readonly violation: Violation;
  /** Replays it (`lazytlb replay`, `lazytlb shrink`). */
  readonly artifact: Artifact;
}

/**
 * What runCell returns. Every record lists its keys in order of first occurrence (run index,
 * then HAZARD_IDS / the cell's use-site order within a run) and holds only keys that occurred,
 * so `toEqual({})` means "never".
 */
export interface CellRuns {
  /** The engine's aggregate of the runs (what a sweep merges for this cell; `cell` is 0). */
  readonly aggregate: EngineCellAggregate;
  /** The seed base the runs used (32 hex digits). */
  readonly cellHash: string;
  readonly runs: number;
  /** Runs that ended ok. */
  readonly ok: number;
  /** Runs that did not end ok, by violated invariant or by error kind: `violations` and `errors` together. */
  readonly notOk: Record<string, number>;
  /** Runs that ended in a violation, by invariant id. */
  readonly violations: Record<string, number>;
  /** Runs that ended in an error, by kind: 'budget', 'plugin-error', 'deadlock', 'model-error'. */
  readonly errors: Record<string, number>;
  /** Runs that recorded each hazard (the run went on), by hazard id. */
  readonly hazards: Record<string, number>;
  /** Runs that recorded any hazard. */
  readonly hazardRuns: number;
  /** Runs in which each use site fired (as the violation that ended the run, or as a hazard-class finding), by site id. */
  readonly useSites: Record<string, number>;
  /** Each core cost counter summed over the runs. */
  readonly costs: Costs;
  /** The lowest-index run per key (failureKey: `I3`, `budget`, `hazard:I3`, `site:<id>`), with its artifact. */
  readonly firstFailures: Record<string, FirstFailure>;
  readonly shortest: ShortestViolation | null;
}

/** Run runs [runStart, runStart + runs) of one cell (a Simulator, or the options to build one) and count them as a sweep does. */
export function runCell(cell: Simulator | SimulatorOptions, opts: RunCellOptions): CellRuns {
  const { runs, runStart = 0 } = opts;
  if (!Number.isSafeInteger(runs) || runs < 0) throw usageError(`runCell: runs must be a non-negative integer, got ${runs}`);
  if (!Number.isSafeInteger(runStart) || runStart < 0 || runStart + runs > Number.MAX_SAFE_INTEGER) {
    throw usageError(`runCell: runStart must be a non-negative integer, got ${runStart}`);
  }
  if (opts.matrixSeed !== undefined && opts.cellHash !== undefined) throw usageError('runCell: give matrixSeed or cellHash, not both');
  if (opts.cellHash !== undefined && !/^[0-9a-f]{32}$/.test(opts.cellHash))
    throw usageError(`runCell: cellHash must be 32 lowercase hex digits, got "${opts.cellHash}"`);
  const sim = isSimulator(cell) ? cell : createSimulator(cell);
  const cellHash = opts.cellHash ?? (opts.matrixSeed !== undefined ? cellHashOf(sim.cellId, opts.matrixSeed) : seedToHex(hashString128(sim.cellId)));

  // runBatch runs the cell on a view of the simulator whose run() also tells us each run.
  const base = seedFromHex(cellHash);
  let next = runStart;
  let hazardRuns = 0;
  let shortest: { index: number; seed: RunSeed; r: RunResult } | null = null;
  const onRun = opts.onRun;
  const run = (seed: RunSeed, runOpts?: Parameters<Simulator['run']>[1]): RunResult => {
    // runBatch re-runs the first run of a hazard or use site with stopAt (for its artifact): not a run of its own.
    if (runOpts?.stopAt !== undefined) return sim.run(seed, runOpts);
    const index = next++;
    const expected = runSeed(base, index);
    if (expected.some((w, j) => w >>> 0 !== seed[j]! >>> 0)) throw new Error(`runCell: run ${index} was given another seed (runBatch's run order changed?)`);
    const r = sim.run(seed, runOpts);
    if (r.hazards !== 0) hazardRuns++;
    if (r.outcome === 'violation' && (shortest === null || r.steps < shortest.r.steps)) shortest = { index, seed, r };
    if (onRun !== undefined) onRun(r, { index, seed, sim });
    return r;
  };
  const agg = runBatch(observed(sim, run), 0, cellHash, runStart, runStart + runs, { coverage: opts.coverage === true });

  const first = (key: string): number => {
    const at = (k: string): number => agg.firstFailures[k]?.runIndex ?? agg.firstErrors[k]?.runIndex ?? Number.MAX_SAFE_INTEGER;
    // A plugin error may be filed under a key of its own (a nondeterministic plugin); it is counted with the others.
    return key === 'plugin-error' ? Math.min(at(key), at('nondeterminism')) : at(key);
  };
  const violations = ordered(agg.violations, (k) => first(k));
  const errors = ordered({ budget: agg.budgetExceeded, 'plugin-error': agg.pluginErrors, deadlock: agg.deadlocks, 'model-error': agg.modelErrors }, (k) =>
    first(k),
  );
  const notOk = ordered({ ...violations, ...errors }, (k) => first(k));
  const bad = Object.values(notOk).reduce((s, n) => s + n, 0);
  const s = shortest as { index: number; seed: RunSeed; r: RunResult } | null;
  return {
    aggregate: agg,
    cellHash,
    runs: agg.runs,
    ok: agg.runs - bad - agg.crashes,
    notOk,
    violations,
    errors,
    hazards: ordered(agg.hazards, (k) => first(failureKey('hazard', k)), HAZARD_IDS),
    hazardRuns,
    useSites: ordered(agg.useSites, (k) => first(failureKey('use-site', k)), sim.sites),
    costs: costsToObject(agg.costs),
    firstFailures: agg.firstFailures,
    shortest:
      s === null
        ? null
        : {
            runIndex: s.index,
            seed: seedToHex(s.seed),
            steps: s.r.steps,
            violation: s.r.violation!,
            artifact: makeArtifact(sim, s.seed, s.r, s.index),
          },
  };
}

function isSimulator(x: Simulator | SimulatorOptions): x is Simulator {
  return typeof (x as Partial<Simulator>).run === 'function' && typeof (x as Partial<Simulator>).cellId === 'string';
}

/** `sim` with run() replaced (everything else is the simulator's own, called on it). */
function observed(sim: Simulator, run: Simulator['run']): Simulator {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(sim, {
    get(target, p) {
      if (p === 'run') return run;
      const v: unknown = Reflect.get(target, p, target);
      if (typeof v !== 'function') return v;
      let f = bound.get(p);
      if (f === undefined) bound.set(p, (f = (v as (...a: unknown[]) => unknown).bind(target)));
      return f;
    },
  });
}

/** The non-zero counts of `counts`, ordered by first occurrence (`first`), then by position in `order`, then by key. */
function ordered(counts: Record<string, number>, first: (key: string) => number, order: readonly string[] = []): Record<string, number> {
  const rank = (k: string): number => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  const keys = Object.keys(counts).filter((k) => counts[k]! > 0);
  keys.sort((a, b) => first(a) - first(b) || rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = counts[k]!;
  return out;
}
