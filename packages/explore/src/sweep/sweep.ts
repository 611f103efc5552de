/**
 * runSweep: validate the cells, plan the batches (shard, resume), dispatch them over the
 * worker pool with bounded concurrency, and merge the aggregates.
 *
 * - Abort (`signal`, Ctrl-C): no new batch is dispatched, in-flight ones finish, the result is
 *   marked `interrupted` and records every completed batch, so `resume` continues it to the
 *   same final result as an uninterrupted sweep.
 * - Time budget: dispatch stops at the deadline; each cell then keeps only the runs of its
 *   batches that completed contiguously from the start of its plan (a prefix [0, R) without a
 *   shard), so what is reported is exactly "the first R runs" — deterministic given R.
 * - Early stop (`stopOnViolation`, for `lazytlb mutants`): once a batch of such a cell reports
 *   an invariant violation at run v, its batches starting after v are skipped; batches are
 *   dispatched per cell in increasing run order, so every batch below v has been dispatched and
 *   still completes, and the cell's lowest violating run index is exact (the same as without
 *   the early stop).
 * - `interleave`: batches go out round-robin across cells (by run index) instead of cell by
 *   cell, so a time budget gives every cell an equal prefix. Results do not depend on it.
 */
import { CORE_VERSION } from '@lazytlb/core';
import type { CellSpec } from '../matrix/types.js';
import { EXPLORE_VERSION } from '../version.js';
import type { PluginRegistry } from '../registry/registry.js';
import type { Executor } from '../executor/executor.js';
import { PoolExecutor } from '../executor/pool.js';
import { mismatchError, usageError } from '../errors/lazytlb-error.js';
import { mergeAll, mergeAggregate, violatingRuns } from '../aggregate/aggregate.js';
import { cellsDifference, prepareCells } from './cells.js';
import { fingerprintsDifference, type SweepFingerprints } from './fingerprints.js';
import { coveredCount, parseInterval } from '../plan/intervals.js';
import { Plan, remaining, type Shard } from '../plan/plan.js';
import { defaultThreads, maxThreads } from '../executor/pool.js';
import type { EngineCellAggregate } from '../aggregate/types.js';
import type { Batch } from '../plan/plan.js';
import type { PreparedCell, SweepResult } from './types.js';
import { matrixHash } from './matrix-hash.js';

export interface SweepProgress {
  /** Units done: runs, and an exhaustive cell's subtrees (the plan's units). */
  readonly runs: number;
  readonly totalRuns: number;
  readonly steps: number;
  readonly violations: number;
  readonly elapsedMs: number;
  /**
   * Exhaustive cells' searches so far (absent while none has reported): distinct states stored
   * (summed over subtrees), the deepest branch (frames) and the frontier subtrees left when
   * their budget share ran out.
   */
  readonly exhaustive?: { readonly states: number; readonly maxDepth: number; readonly frontier: number };
}

export interface SweepOptions {
  readonly cells: readonly CellSpec[];
  readonly matrixSeed: string;
  /** Runs per cell. */
  readonly runs: number;
  /** Worker threads (default: available cores). */
  readonly threads?: number;
  /** Where cells' arch and scheme plugins come from. */
  readonly registry: PluginRegistry;
  /**
   * Runs the batches (default: a worker pool of `threads` threads, closed at the end). A given
   * executor is the caller's: used, not closed. Results do not depend on which one runs them.
   */
  readonly executor?: Executor;
  /** The version recorded in results as toolVersion (default: this package's). */
  readonly toolVersion?: string;
  /** Runs per batch (default: a function of the cell; shards of one sweep must use the same). */
  readonly batchSize?: number;
  readonly shard?: Shard | null;
  readonly timeBudgetMs?: number;
  /** A previous, interrupted result of the same sweep (and shard) to continue. */
  readonly resume?: SweepResult;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepProgress) => void;
  /** Cells (by index) that stop at their first invariant violation (see the module comment). */
  readonly stopOnViolation?: (cell: number) => boolean;
  /** Dispatch round-robin across cells by run index (see the module comment). */
  readonly interleave?: boolean;
  /** Called with every completed batch, in completion order. */
  readonly onBatch?: (batch: Batch, agg: EngineCellAggregate) => void;
  /**
   * Sketch the abstract states each cell's runs reach (engine/coverage.ts). Default off: it
   * costs about a third of the model's speed (README, Speed).
   */
  readonly coverage?: boolean;
  /** Override the compiled worker file (tests). */
  readonly workerFile?: string;
  /**
   * Resumable checkpoints while running: after a batch completes, when at least `everyMs` have
   * passed since the start or the last checkpoint, `write` gets the sweep so far as an
   * interrupted result (every completed batch; `resume` continues it to the same final result).
   * Called synchronously between batches, never concurrently; a preempted shard loses at most
   * `everyMs` of work plus the batches in flight.
   */
  readonly checkpoint?: { readonly everyMs: number; readonly write: (partial: SweepResult) => void };
  /**
   * Called once the cells are validated and identified, before any run: the matrix hash
   * (results' `matrix.hash`) and the model's fingerprints. Throwing stops the sweep before it
   * starts (the CLI refuses an `--out` that holds another sweep's results here).
   */
  readonly onPrepared?: (info: { readonly matrixHash: string; readonly fingerprints: SweepFingerprints; readonly cells: readonly PreparedCell[] }) => void;
}

function checkResume(
  prev: SweepResult,
  cur: { fingerprints: SweepFingerprints; matrixSeed: string; runs: number; cellIds: string[]; shard: Shard | null; coverage: boolean },
): void {
  const why: string[] = [];
  if (prev.coverage !== cur.coverage) why.push(`coverage ${prev.coverage ? 'on' : 'off'} vs ${cur.coverage ? 'on' : 'off'}`);
  const model = fingerprintsDifference(prev.fingerprints, cur.fingerprints);
  if (model.length > 0) why.push(`the model behaves differently (behaviour fingerprints: ${model.join('; ')})`);
  if (prev.matrixSeed !== cur.matrixSeed) why.push(`seed "${prev.matrixSeed}" vs "${cur.matrixSeed}"`);
  if (prev.runs !== cur.runs) why.push(`runs ${prev.runs} vs ${cur.runs}`);
  const ids = prev.cells.map((c) => c.cellId);
  if (ids.length !== cur.cellIds.length || ids.some((id, i) => id !== cur.cellIds[i]))
    why.push(`the matrix expands to different cells: ${cellsDifference(ids, cur.cellIds)}`);
  const ps = prev.shard,
    cs = cur.shard;
  if ((ps?.index ?? 1) !== (cs?.index ?? 1) || (ps?.count ?? 1) !== (cs?.count ?? 1)) {
    why.push(`shard ${ps ? `${ps.index}/${ps.count}` : 'none'} vs ${cs ? `${cs.index}/${cs.count}` : 'none'}`);
  }
  if (why.length > 0) throw mismatchError(`cannot resume: the previous sweep differs: ${why.join('; ')}`);
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > maxThreads()) {
    throw usageError(`threads must be an integer from 1 to ${maxThreads()} (4 per CPU this process may use), got ${threads}`);
  }
  const coverage = opts.coverage ?? false;
  const shard = opts.shard != null && opts.shard.count > 1 ? opts.shard : null;
  const { cells, fingerprints } = await prepareCells(opts.cells, opts.matrixSeed, opts.registry);
  if (opts.resume !== undefined) {
    checkResume(opts.resume, { fingerprints, matrixSeed: opts.matrixSeed, runs: opts.runs, cellIds: cells.map((c) => c.cellId), shard, coverage });
  }
  opts.onPrepared?.({
    matrixHash: matrixHash(
      opts.matrixSeed,
      opts.runs,
      cells.map((c) => c.cellId),
    ),
    fingerprints,
    cells,
  });

  // Planned lazily (plan/plan.ts): batches are made as they are dispatched, so a huge run count costs nothing up front.
  const broken = new Set(cells.filter((c) => c.setupError !== undefined).map((c) => c.index));
  const plan = new Plan(opts.cells, { runs: opts.runs, ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}) }, shard, broken);
  const covered = new Map<number, readonly string[]>();
  if (opts.resume !== undefined) for (const a of opts.resume.aggregates) covered.set(a.cell, a.batches);
  const todo: Iterator<Batch> = opts.interleave === true ? plan.interleaved(covered) : remaining(plan.batches(), covered);
  let pending = todo.next();
  let totalRuns = plan.shardRuns();
  // Early stop: the lowest invariant-violating run index seen so far, per stopping cell.
  const stopAt = new Map<number, number>();
  const violationAt = (a: EngineCellAggregate): number => {
    let v = Infinity;
    for (const f of Object.values(a.firstFailures)) if (f.class === 'violation' && f.runIndex < v) v = f.runIndex;
    return v;
  };
  if (opts.stopOnViolation !== undefined && opts.resume !== undefined) {
    for (const a of opts.resume.aggregates) if (opts.stopOnViolation(a.cell) && violationAt(a) < Infinity) stopAt.set(a.cell, violationAt(a));
  }

  // Completed work, per cell: the resumed aggregate plus each finished batch.
  const done = new Map<number, { batch: Batch; agg: EngineCellAggregate }[]>();
  let runsDone = 0,
    stepsDone = 0,
    violationsDone = 0;
  let searched: SweepProgress['exhaustive'];
  // Progress counts units (runs; an exhaustive cell's subtrees), as the plan does.
  const unitsDone = (a: EngineCellAggregate): number =>
    cells[a.cell]?.spec.strategy.kind === 'exhaustive' ? coveredCount(a.batches.map(parseInterval)) : a.runs;
  if (opts.resume !== undefined) {
    for (const a of opts.resume.aggregates) {
      runsDone += unitsDone(a);
      stepsDone += a.steps;
      violationsDone += violatingRuns(a);
    }
  }

  const deadline = opts.timeBudgetMs !== undefined ? t0 + opts.timeBudgetMs : Infinity;
  let timeBudgetHit = false;
  let interrupted = false;
  const ownExecutor = opts.executor === undefined;
  const pool: Executor | null =
    opts.executor ??
    (pending.done !== true
      ? new PoolExecutor({ threads, registry: opts.registry.spec, ...(opts.workerFile !== undefined ? { workerFile: opts.workerFile } : {}) })
      : null);
  const lane = async (): Promise<void> => {
    for (;;) {
      if (opts.signal?.aborted === true) {
        if (pending.done !== true) interrupted = true;
        return;
      }
      if (pending.done === true) return;
      if (performance.now() >= deadline) {
        timeBudgetHit = true;
        return;
      }
      const batch = pending.value;
      pending = todo.next();
      if (batch.runStart > (stopAt.get(batch.cell) ?? Infinity)) {
        totalRuns -= batch.runEnd - batch.runStart;
        continue;
      }
      const cell = cells[batch.cell]!;
      const agg = await pool!.runBatch({
        cell: cell.spec,
        cellHash: cell.cellHash,
        runStart: batch.runStart,
        runEnd: batch.runEnd,
        coverage,
        actors: cell.actors,
      });
      let list = done.get(batch.cell);
      if (list === undefined) done.set(batch.cell, (list = []));
      // Without a time budget nothing needs the batches apart: fold them now (bounded memory).
      if (deadline === Infinity && list.length > 0) list[0] = { batch, agg: mergeAggregate(list[0]!.agg, agg) };
      else list.push({ batch, agg });
      if (opts.stopOnViolation?.(batch.cell) === true) {
        const v = violationAt(agg);
        if (v < (stopAt.get(batch.cell) ?? Infinity)) stopAt.set(batch.cell, v);
      }
      opts.onBatch?.(batch, agg);
      runsDone += unitsDone(agg);
      stepsDone += agg.steps;
      violationsDone += violatingRuns(agg);
      const x = agg.exhaustive;
      if (x !== undefined) {
        searched = {
          states: (searched?.states ?? 0) + x.distinctStates,
          maxDepth: Math.max(searched?.maxDepth ?? 0, x.maxDepth),
          frontier: (searched?.frontier ?? 0) + x.frontier,
        };
      }
      opts.onProgress?.({
        runs: runsDone,
        totalRuns,
        steps: stepsDone,
        violations: violationsDone,
        elapsedMs: performance.now() - t0,
        ...(searched !== undefined ? { exhaustive: searched } : {}),
      });
      if (opts.checkpoint !== undefined && performance.now() - lastCheckpoint >= opts.checkpoint.everyMs && pending.done !== true) {
        // Every completed batch, as an interrupted (resumable) sweep; the batches in flight are not in it.
        opts.checkpoint.write(result(true));
        lastCheckpoint = performance.now();
      }
    }
  };
  let lastCheckpoint = t0;
  try {
    await Promise.all(Array.from({ length: threads * 2 }, lane));
  } finally {
    if (ownExecutor) await pool?.close();
  }
  if (opts.signal?.aborted === true && pending.done !== true) interrupted = true;
  return result(interrupted);

  /**
   * The sweep as far as it went: at the end, or (`snapshot`: a checkpoint, or interrupted) every
   * completed batch, marked interrupted so that `resume` continues it.
   */
  function result(snapshot: boolean): SweepResult {
    const aggregates = cells.map((c) => {
      const prev = opts.resume?.aggregates[c.index];
      let list = (done.get(c.index) ?? []).map((d) => d.agg);
      if (timeBudgetHit && !snapshot) list = prefixOnly(plan.cellBatches(c.index), prev?.batches ?? [], done.get(c.index) ?? []);
      let merged = mergeAll(c.index, c.actors, list);
      if (c.setupError !== undefined) {
        merged = {
          ...merged,
          firstErrors: { ...merged.firstErrors, 'plugin-setup': { kind: 'plugin-setup', runIndex: 0, seed: c.cellHash, message: c.setupError } },
        };
      }
      return prev !== undefined ? mergeAggregate(prev, merged) : merged;
    });

    return {
      toolVersion: opts.toolVersion ?? EXPLORE_VERSION,
      coreVersion: CORE_VERSION,
      fingerprints,
      matrixSeed: opts.matrixSeed,
      runs: opts.runs,
      cells,
      aggregates,
      shard,
      interrupted: snapshot,
      timeBudgetHit: timeBudgetHit && !snapshot,
      coverage,
      timing: { startedAt, elapsedMs: Math.round(performance.now() - t0), threads, batchesRun: pool?.tasks ?? 0 },
    };
  }
}

/**
 * Under a time budget: the aggregates of the cell's batches that completed contiguously, in
 * plan order, from its first batch (already-covered runs from a resumed result count as done).
 */
function prefixOnly(
  cellBatches: Iterable<Batch>,
  prevCovered: readonly string[],
  done: readonly { batch: Batch; agg: EngineCellAggregate }[],
): EngineCellAggregate[] {
  const prev = prevCovered.map(parseInterval);
  const isPrev = (s: number, e: number): boolean => prev.some(([a, b]) => a <= s && e <= b);
  const byStart = new Map(done.map((d) => [d.batch.runStart, d]));
  const out: EngineCellAggregate[] = [];
  for (const b of cellBatches) {
    if (isPrev(b.runStart, b.runEnd)) continue;
    // A plan batch may have been run as pieces (after a resume): all of them must be done.
    let s = b.runStart;
    const parts: EngineCellAggregate[] = [];
    while (s < b.runEnd) {
      const d = byStart.get(s);
      if (d !== undefined) {
        parts.push(d.agg);
        s = d.batch.runEnd;
        continue;
      }
      const p = prev.find(([a, e]) => a <= s && s < e);
      if (p === undefined) break;
      s = p[1];
    }
    if (s < b.runEnd) break;
    out.push(...parts);
  }
  return out;
}
