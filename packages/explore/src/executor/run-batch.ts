/**
 * Running one batch of a cell on a simulator: runs [runStart, runEnd), each with seed
 * runSeed(cell seed base, run index), folded into a CellAggregate. Pure given the simulator's
 * cell: used by the pool's workers and, in-process, by tests.
 *
 * Per run: violations and errors by how the run ended; hazards (RunResult.hazards, bits over
 * HAZARD_IDS) and use sites (RunResult.useSites, bits over the cell's sites) counted per bit
 * in arrays allocated once per batch, so a run costs a few bit operations and nothing is
 * allocated for it. The first run of a key in the batch is re-run with stopAt to give its
 * artifact; merging keeps the lowest run index per key.
 *
 * With `coverage`, each run's abstract states go to the sketch of its run-index bucket
 * (engine/coverage.ts): one 1 KiB register array per bucket the batch touches, allocated per
 * batch (a batch spans a handful of buckets at most), handed to the simulator as its sink.
 */
import { HAZARD_IDS, HLL_REGISTERS, hllIsEmpty, runSeed, seedFromHex, seedToHex, type Simulator } from '@lazytlb/core';
import { emptyAggregate, normaliseAggregate } from '../aggregate/aggregate.js';
import { coverageBucket } from '../aggregate/coverage.js';
import { formatInterval, parseInterval, unionIntervals } from '../plan/intervals.js';
import type { EngineCellAggregate } from '../aggregate/types.js';
import { exhaustiveBatch } from '../exhaustive/batch.js';
import { recordEnd, recordFinding } from '../aggregate/record.js';

export interface RunBatchOptions {
  /** Sketch the abstract states of the runs (default off). */
  readonly coverage?: boolean;
}

export function runBatch(sim: Simulator, cell: number, cellHash: string, runStart: number, runEnd: number, opts: RunBatchOptions = {}): EngineCellAggregate {
  // An exhaustive cell's units are subtrees of its search, not seeded runs.
  if (sim.cell.strategy.kind === 'exhaustive') return exhaustiveBatch(sim, cell, cellHash, runStart, runEnd);
  const agg = emptyAggregate(cell, sim.actorCount);
  if (opts.coverage !== true) return runRange(sim, agg, cellHash, runStart, runEnd);
  // One sub-range per bucket, each with that bucket's sketch as the simulator's sink.
  try {
    for (let s = runStart; s < runEnd; ) {
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
  const sites = sim.sites;
  // Runs per hazard / use-site bit in this range; named when the range is done.
  const hazardCounts = new Array<number>(HAZARD_IDS.length).fill(0);
  const siteCounts = new Array<number>(sites.length).fill(0);
  // Bits whose first failure this range has recorded (the first run wins: runs go up).
  let hazardsSeen = 0;
  let sitesSeen = 0;
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
    const hz = r.hazards;
    const us = r.useSites;
    if (r.outcome !== 'ok') recordEnd(sim, agg, r, seed, i);
    if ((hz | us) === 0) continue;
    // Hazards and use sites: count the run per bit; a bit's first run in this range is re-run
    // with stopAt (it only reads the seed again), so its artifact stops right at the finding.
    for (let m = hz; m !== 0; m &= m - 1) {
      const b = 31 - Math.clz32(m & -m);
      hazardCounts[b]!++;
      if ((hazardsSeen & (1 << b)) === 0) {
        hazardsSeen |= 1 << b;
        recordFinding(sim, agg, seed, i, { hazard: HAZARD_IDS[b]! });
      }
    }
    for (let m = us; m !== 0; m &= m - 1) {
      const b = 31 - Math.clz32(m & -m);
      siteCounts[b]!++;
      if ((sitesSeen & (1 << b)) === 0) {
        sitesSeen |= 1 << b;
        recordFinding(sim, agg, seed, i, { site: sites[b]! });
      }
    }
  }
  hazardCounts.forEach((n, b) => {
    if (n > 0) agg.hazards[HAZARD_IDS[b]!] = (agg.hazards[HAZARD_IDS[b]!] ?? 0) + n;
  });
  siteCounts.forEach((n, b) => {
    if (n > 0) agg.useSites[sites[b]!] = (agg.useSites[sites[b]!] ?? 0) + n;
  });
  agg.batches = unionIntervals([agg.batches.map(parseInterval), runEnd > runStart ? [[runStart, runEnd]] : []]).map(formatInterval);
  return normaliseAggregate(agg);
}
