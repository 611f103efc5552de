/**
 * Cell aggregates: the compact result of a batch of runs. Merging is commutative and
 * associative — counts (violations, hazards and use sites by name, errors) and (integer-valued) cost sums add, the first failure of each kind is
 * the one with the lowest run index, coverage (runs done; state sketches, bucket-wise register max)
 * is a union — so the merged aggregate of a cell
 * never depends on how its runs were split into batches, threads or shards.
 */
import { COST_NAMES } from '@lazytlb/core';
import type { EngineCellAggregate, ExhaustiveAggregate, FirstFailure, RunError } from './types.js';
import { mergeSketches } from './coverage.js';
import { formatInterval, parseInterval, unionIntervals } from '../plan/intervals.js';

export function emptyAggregate(cell: number, actors: number): EngineCellAggregate {
  return {
    cell,
    runs: 0,
    steps: 0,
    violations: {},
    hazards: {},
    useSites: {},
    budgetExceeded: 0,
    pluginErrors: 0,
    deadlocks: 0,
    costs: new Array<number>(COST_NAMES.length).fill(0),
    estimatedSteps: 0,
    actors,
    firstFailures: {},
    batches: [],
    crashes: 0,
    modelErrors: 0,
    firstErrors: {},
    stateSketches: {},
  };
}

function sortedKeys(...objs: Record<string, unknown>[]): string[] {
  return [...new Set(objs.flatMap((o) => Object.keys(o)))].sort();
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of sortedKeys(a, b)) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return out;
}

function lowest<T extends { runIndex: number }>(a: Record<string, T>, b: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of sortedKeys(a, b)) {
    const x = a[k],
      y = b[k];
    out[k] = x === undefined ? y! : y === undefined ? x : y.runIndex < x.runIndex ? y : x;
  }
  return out;
}

/** Merge two aggregates of the same cell (inputs are not modified). Throws if their runs overlap. */
export function mergeAggregate(a: EngineCellAggregate, b: EngineCellAggregate): EngineCellAggregate {
  if (a.cell !== b.cell) throw new Error(`mergeAggregate: cells ${a.cell} and ${b.cell} differ`);
  const actors = a.runs === 0 && a.batches.length === 0 ? b.actors : a.actors;
  return {
    cell: a.cell,
    runs: a.runs + b.runs,
    steps: a.steps + b.steps,
    violations: addCounts(a.violations, b.violations),
    hazards: addCounts(a.hazards, b.hazards),
    useSites: addCounts(a.useSites, b.useSites),
    budgetExceeded: a.budgetExceeded + b.budgetExceeded,
    pluginErrors: a.pluginErrors + b.pluginErrors,
    deadlocks: a.deadlocks + b.deadlocks,
    costs: a.costs.map((v, i) => v + (b.costs[i] ?? 0)),
    estimatedSteps: a.estimatedSteps + b.estimatedSteps,
    actors,
    firstFailures: lowest<FirstFailure>(a.firstFailures, b.firstFailures),
    batches: unionIntervals([a.batches.map(parseInterval), b.batches.map(parseInterval)]).map(formatInterval),
    crashes: a.crashes + b.crashes,
    modelErrors: a.modelErrors + b.modelErrors,
    firstErrors: lowest<RunError>(a.firstErrors, b.firstErrors),
    stateSketches: mergeSketches(a.stateSketches, b.stateSketches),
    ...mergeExhaustive(a.exhaustive, b.exhaustive),
  };
}

function mergeExhaustive(a: ExhaustiveAggregate | undefined, b: ExhaustiveAggregate | undefined): { exhaustive?: ExhaustiveAggregate } {
  if (a === undefined || b === undefined) {
    const one = a ?? b;
    return one === undefined ? {} : { exhaustive: { ...one } };
  }
  return {
    exhaustive: {
      subtrees: a.subtrees + b.subtrees,
      roots: Math.max(a.roots, b.roots),
      executions: a.executions + b.executions,
      nodes: a.nodes + b.nodes,
      distinctStates: a.distinctStates + b.distinctStates,
      prunedExecutions: a.prunedExecutions + b.prunedExecutions,
      prunedByBound: a.prunedByBound + b.prunedByBound,
      slept: a.slept + b.slept,
      frontier: a.frontier + b.frontier,
      stoppedSubtrees: a.stoppedSubtrees + b.stoppedSubtrees,
      maxDepth: Math.max(a.maxDepth, b.maxDepth),
      // The cell's (equal in every batch).
      stateHashing: a.stateHashing,
      partialOrder: a.partialOrder,
    },
  };
}

export function mergeAll(cell: number, actors: number, aggs: readonly EngineCellAggregate[]): EngineCellAggregate {
  return aggs.reduce(mergeAggregate, emptyAggregate(cell, actors));
}

/** Sort the aggregate's record keys in place (the form mergeAggregate produces), so equal aggregates serialise equally. */
export function normaliseAggregate(a: EngineCellAggregate): EngineCellAggregate {
  const sortRec = <T>(r: Record<string, T>): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const k of Object.keys(r).sort()) out[k] = r[k]!;
    return out;
  };
  a.violations = sortRec(a.violations);
  a.hazards = sortRec(a.hazards);
  a.useSites = sortRec(a.useSites);
  a.firstFailures = sortRec(a.firstFailures);
  a.firstErrors = sortRec(a.firstErrors);
  return a;
}

/** Runs that recorded any hazard, summed over hazard ids (a run with two hazards counts twice). */
export function hazardRuns(a: Pick<EngineCellAggregate, 'hazards'>): number {
  return Object.values(a.hazards).reduce((s, v) => s + v, 0);
}

/** Runs of the aggregate that ended in a violation (any invariant). */
export function violatingRuns(a: EngineCellAggregate): number {
  return Object.values(a.violations).reduce((s, v) => s + v, 0);
}
