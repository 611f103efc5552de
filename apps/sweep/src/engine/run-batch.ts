/**
 * Running one batch of a cell on a simulator: runs [runStart, runEnd), each with seed
 * runSeed(cell seed base, run index), folded into a CellAggregate. Pure given the simulator's
 * cell: used by the pool's workers and, in-process, by tests.
 *
 * With `coverage`, each run's abstract states go to the sketch of its run-index bucket
 * (engine/coverage.ts): one 1 KiB register array per bucket the batch touches, allocated per
 * batch (a batch spans a handful of buckets at most), handed to the simulator as its sink.
 */
import { HLL_REGISTERS, hllIsEmpty, type InvariantId, makeArtifact, runSeed, seedFromHex, seedToHex, type Simulator } from '@lazytlb/core';
import { emptyAggregate, normaliseAggregate } from './aggregate.js';
import { coverageBucket } from './coverage.js';
import { formatInterval, parseInterval, unionIntervals } from './intervals.js';
import type { EngineCellAggregate, FirstFailure } from './types.js';

export interface RunBatchOptions {
  /** Sketch the abstract states of the runs (default off). */
  readonly coverage?: boolean;
}

export function runBatch(sim: Simulator, cell: number, cellHash: string, runStart: number, runEnd: number, opts: RunBatchOptions = {}): EngineCellAggregate {
  const agg = emptyAggregate(cell, sim.actorCount);
  if (opts.coverage !== true) return runRange(sim, agg, cellHash, runStart, runEnd);
  // One sub-range per bucket, each with that bucket's sketch as the simulator's sink.
  try {
    for (let s = runStart; s < runEnd;) {
      const b = coverageBucket(s);
      const e = Math.min(runEnd, 2 ** b);
      const regs = new Uint8Array(HLL_REGISTERS);
      sim.setCoverageSink(regs);
      runRange(sim, agg, cellHash, s, e);
      if (!hllIsEmpty(regs)) agg.stateSketches[b] = regs;
      s = e;
    }
  } finally {
    sim.setCoverageSink(null);
  }
  return agg;
}

function runRange(sim: Simulator, agg: EngineCellAggregate, cellHash: string, runStart: number, runEnd: number): EngineCellAggregate {
  const base = seedFromHex(cellHash);
  const costs = agg.costs;
  for (let i = runStart; i < runEnd; i++) {
    const seed = runSeed(base, i);
    agg.runs++;
    let r;
    try {
      r = sim.run(seed);
    } catch (e) {
      agg.modelErrors++;
      if (agg.firstErrors['model-error'] === undefined) {
        agg.firstErrors['model-error'] = { kind: 'model-error', runIndex: i, seed: seedToHex(seed), message: e instanceof Error ? e.message : String(e) };
      }
      continue;
    }
    agg.steps += r.steps;
    agg.estimatedSteps += sim.estimatedSteps;
    const c = sim.costs;
    for (let j = 0; j < costs.length; j++) costs[j]! += c[j]!;
    if (r.outcome === 'ok') continue;
    let kind: FirstFailure['kind'];
    let message: string;
    switch (r.outcome) {
      case 'violation': {
        const v = r.violation!;
        kind = v.invariant as InvariantId;
        agg.violations[kind] = (agg.violations[kind] ?? 0) + 1;
        message = `${v.invariant} ${v.name}: ${v.message}`;
        break;
      }
      case 'budget':
        kind = 'budget';
        agg.budgetExceeded++;
        message = `step budget of ${sim.cell.stepBudget} exceeded`;
        break;
      case 'plugin-error':
        kind = 'plugin-error';
        agg.pluginErrors++;
        message = r.pluginError !== null ? `${r.pluginError.hook}: ${r.pluginError.message}` : 'plugin error';
        break;
      case 'deadlock':
        kind = 'deadlock';
        agg.deadlocks++;
        message = 'deadlock: no actor enabled before all tasks finished';
        break;
      case 'stopped':
        throw new Error('runBatch: a sweep run was stopped at a finding (stopAt is for replays only)');
    }
    if (agg.firstFailures[kind] === undefined) {
      agg.firstFailures[kind] = { kind, runIndex: i, seed: seedToHex(seed), steps: r.steps, message, artifact: makeArtifact(sim.cell, seed, r, i) };
    }
  }
  agg.batches = unionIntervals([agg.batches.map(parseInterval), runEnd > runStart ? [[runStart, runEnd]] : []]).map(formatInterval);
  return normaliseAggregate(agg);
}
