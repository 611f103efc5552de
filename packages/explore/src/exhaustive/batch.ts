/**
 * An exhaustive cell in a sweep: its search cut into subtrees (subtrees.ts: at least SUBTREES
 * roots, fewer only when the whole tree has fewer executions), dealt to SUBTREES units: unit i
 * searches roots i, i + SUBTREES, i + 2·SUBTREES, … (a unit past the roots is empty), so the
 * sweep's plan, shards, resume, checkpoints and merges handle the cell as they handle runs, and
 * every root is searched by exactly one unit. A batch of units
 * folds into the cell aggregate like a batch of runs:
 * - `runs` counts executions and `steps` their steps (re-executed prefixes included);
 * - violations, hazards, use sites and errors count the executions that ended in (or recorded)
 *   them; the first failure of each key is the one of the lowest unit that has one (within a
 *   unit, of its first root in order that has one: the shortest execution that root's search
 *   found), replayed from its decisions and choices for its artifact (with `stopAt` for a hazard
 *   or a use site, as runBatch does), `runIndex` the unit;
 * - `exhaustive`: the search's own counters (exhaustive/aggregate.ts).
 *
 * Every subtree's search is a pure function of the cell, the seed of run 0 and the root; the
 * budget (the strategy's maxExecutions, default DEFAULT_MAX_EXECUTIONS) is divided equally over
 * the roots (each gets ceil(budget / roots), at least one execution, so the total may exceed the
 * budget by fewer than `roots`; the split's own shallow executions are not counted), so the result
 * never depends on threads, batching or shards. Shrinking (the CLI's) replays a finding's
 * candidates with in-step choices drawn, not enumerated: a shrunk exhaustive finding is a run of
 * the model without the search's timing over-approximation, and when a finding needs that
 * over-approximation the shrinker keeps the search's execution. An imbalanced tree may
 * exhaust one subtree's share while others finish with budget left: the cell is then
 * `incomplete` although the whole budget would have done (say so where verdicts are read).
 */
import { type HAZARD_IDS, type RunSeed, runSeed, seedFromHex, seedToHex, type Simulator } from '@lazytlb/core';
import { emptyAggregate, normaliseAggregate } from '../aggregate/aggregate.js';
import type { EngineCellAggregate, ExhaustiveAggregate } from '../aggregate/types.js';
import { formatInterval, parseInterval, unionIntervals } from '../plan/intervals.js';
import { recordEnd, recordFinding } from '../aggregate/record.js';
import { exhaustiveSearch, searchSetup } from './search.js';
import { SUBTREES, type SubtreeSplit, splitSearch } from './subtrees.js';

/** The executions budget of an exhaustive cell whose strategy names none. */
export const DEFAULT_MAX_EXECUTIONS = 1_000_000;

/** The split of each cell's search, per simulator (a worker keeps one simulator per cell). */
const splits = new WeakMap<Simulator, Map<string, SubtreeSplit>>();

function splitOf(sim: Simulator, cellHash: string, seed: RunSeed, bound: number | undefined): SubtreeSplit {
  let m = splits.get(sim);
  if (m === undefined) splits.set(sim, (m = new Map()));
  let s = m.get(cellHash);
  if (s === undefined) m.set(cellHash, (s = splitSearch(sim, { seed, ...(bound !== undefined ? { preemptionBound: bound } : {}) })));
  return s;
}

/** Units [unitStart, unitEnd) of an exhaustive cell (see the file comment). */
export function exhaustiveBatch(sim: Simulator, cell: number, cellHash: string, unitStart: number, unitEnd: number): EngineCellAggregate {
  const strategy = sim.cell.strategy;
  if (strategy.kind !== 'exhaustive') throw new Error(`exhaustiveBatch: cell ${cell} is a ${strategy.kind} cell`);
  const agg = emptyAggregate(cell, sim.actorCount);
  const seed = runSeed(seedFromHex(cellHash), 0);
  const bound = strategy.preemptions;
  const split = splitOf(sim, cellHash, seed, bound);
  const roots = split.roots.length;
  const share = Math.max(1, Math.ceil((strategy.maxExecutions ?? DEFAULT_MAX_EXECUTIONS) / roots));
  const setup = searchSetup(sim, bound !== undefined ? { preemptionBound: bound } : {});
  const ex: ExhaustiveAggregate = {
    subtrees: 0,
    roots,
    executions: 0,
    nodes: 0,
    distinctStates: 0,
    prunedExecutions: 0,
    prunedByBound: 0,
    slept: 0,
    frontier: 0,
    stoppedSubtrees: 0,
    maxDepth: 0,
    stateHashing: setup.refusal,
    partialOrder: setup.porRefusal,
  };
  for (let i = unitStart; i < unitEnd; i++) {
    ex.subtrees++;
    for (let j = i; j < roots; j += SUBTREES) {
      try {
        searchRoot(i, split.roots[j]!);
      } catch (e) {
        // The search itself failed (a model that is not a function of its decisions, a finding that does not
        // replay): a model error of this unit, named by its root, not a worker crash at a seed that names no execution.
        agg.modelErrors++;
        agg.firstErrors['model-error'] ??= {
          kind: 'model-error',
          runIndex: i,
          seed: seedToHex(seed),
          message: `exhaustive search of unit ${i}, root ${j} (alternatives ${Array.from(split.roots[j]!).join(',')}): ${e instanceof Error ? e.message : String(e)}`,
        };
      }
    }
  }
  agg.exhaustive = ex;
  agg.batches = unionIntervals([agg.batches.map(parseInterval), unitEnd > unitStart ? [[unitStart, unitEnd]] : []]).map(formatInterval);
  return normaliseAggregate(agg);

  /** Search the subtree below `root` and fold it in as unit i's. */
  function searchRoot(i: number, root: Uint16Array): void {
    const res = exhaustiveSearch(sim, {
      seed,
      root,
      maxExecutions: share,
      ...(bound !== undefined ? { preemptionBound: bound } : {}),
      progressEvery: Number.MAX_SAFE_INTEGER,
      clock: () => 0,
    });
    agg.runs += res.executions;
    agg.steps += res.steps;
    ex.executions += res.executions;
    ex.nodes += res.nodes;
    ex.distinctStates += res.stateHashing.distinctStates;
    ex.prunedExecutions += res.stateHashing.prunedExecutions;
    ex.prunedByBound += res.prunedByBound;
    ex.slept += res.partialOrder.slept;
    ex.frontier += res.frontier;
    if (res.stoppedBy !== null) ex.stoppedSubtrees++;
    ex.maxDepth = Math.max(ex.maxDepth, res.maxDepth);
    for (const f of res.findings) {
      const replay = { decisions: f.decisions, choices: f.choices };
      if (f.class === 'violation' || f.class === 'error') {
        // The execution again, from its decisions and choices: how it ended, counted once per execution that ended so.
        const r = sim.run(seed, { ...replay, keepDecisions: true });
        if (r.outcome === 'ok') throw new Error(`exhaustive search: the execution of ${f.class} ${f.key} in subtree ${i} ends ok on replay`);
        recordEnd(sim, agg, r, seed, i, f.executions);
      } else if (f.class === 'hazard') {
        agg.hazards[f.key] = (agg.hazards[f.key] ?? 0) + f.executions;
        recordFinding(sim, agg, seed, i, { hazard: f.key as (typeof HAZARD_IDS)[number] }, replay);
      } else {
        agg.useSites[f.key] = (agg.useSites[f.key] ?? 0) + f.executions;
        recordFinding(sim, agg, seed, i, { site: f.key }, replay);
      }
    }
  }
}
