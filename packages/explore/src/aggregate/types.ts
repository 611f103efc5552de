/**
 * What crosses the worker boundary: a batch of runs of one cell goes in, a compact
 * aggregate comes out. Aggregates merge associatively and deterministically (counts add;
 * for each invariant the first failure is the one with the lowest run index), so a sweep's
 * result never depends on threads, batch sizes or shards.
 */
import type { Artifact, InvariantId, UseSiteKind } from '@lazytlb/core';
import type { StateSketches } from './coverage.js';

/**
 * What a first failure is about: a violation (ended the run), a hazard (recorded, the run
 * went on), a use site that fired (as a violation or as a hazard-class finding such as the
 * __mmdrop WARN under `none`), or an error (budget overrun, plugin error, deadlock).
 */
export type FailureClass = 'violation' | 'hazard' | 'use-site' | 'error';

/**
 * The aggregate key of a first failure: violations and errors by their id (`I3`, `budget`,
 * `plugin-error`, `deadlock`), hazards as `hazard:<id>`, use sites as `site:<site id>`, so one
 * cell can hold the I3 violation and the I3 hazard apart.
 */
export function failureKey(cls: FailureClass, key: string): string {
  return cls === 'hazard' ? `hazard:${key}` : cls === 'use-site' ? `site:${key}` : key;
}

/** A first failure as report.md, report.html and their notes name it: "I3", "hazard I3", "site membarrier_switch_mm", "budget". */
export function failureLabel(cls: FailureClass, key: string): string {
  return cls === 'hazard' ? `hazard ${key}` : cls === 'use-site' ? `site ${key}` : key;
}

/** The first failure of one kind (an invariant, a hazard, a use site, or a budget overrun / plugin error / deadlock) in a cell. */
export interface FirstFailure {
  /**
   * Violations: the invariant id; errors: 'budget', 'plugin-error', 'deadlock'; hazards: the
   * hazard id (I3); use sites: the site id (a kernel function).
   */
  readonly kind: InvariantId | 'budget' | 'plugin-error' | 'deadlock' | string;
  readonly class: FailureClass;
  /** Use sites: what the site does with the mm (core's UseSiteKind). */
  readonly siteKind?: UseSiteKind;
  readonly runIndex: number;
  /** 32 hex digits. */
  readonly seed: string;
  readonly steps: number;
  readonly message: string;
  /** The replayable artifact (decision list included). */
  readonly artifact: Artifact;
}

export interface CellAggregate {
  readonly cell: number;
  runs: number;
  steps: number;
  /** Runs ending in a violation, by invariant id. */
  violations: Record<string, number>;
  /** Runs that recorded a hazard (the run went on), by hazard id (core's HAZARD_IDS). */
  hazards: Record<string, number>;
  /** Runs in which a use site fired (as the violation that ended the run, or as a hazard-class finding), by site id. */
  useSites: Record<string, number>;
  budgetExceeded: number;
  pluginErrors: number;
  deadlocks: number;
  /** Sum of each core cost counter over the runs (COST_NAMES order). */
  costs: number[];
  /** Sum of PCT's estimated steps k over the runs (for the residual-risk bound). */
  estimatedSteps: number;
  /** Explorer actors n (fixed per cell). */
  actors: number;
  /** Lowest-run-index failure per kind, keyed by failureKey(class, kind). */
  firstFailures: Record<string, FirstFailure>;
  /** Batches merged into this aggregate (for resume bookkeeping): "runStart-runEnd". */
  batches: string[];
}

// ---- engine extensions (compatible additions) -------------------------------------------

/**
 * A run that produced no RunResult: the worker running its batch crashed (found by
 * bisecting the batch down to the run), or the model threw outside any plugin hook (a bug
 * in lazytlb). No artifact is possible; the seed replays it.
 */
export interface RunError {
  readonly kind: 'crash' | 'model-error' | 'nondeterminism' | 'plugin-setup';
  readonly runIndex: number;
  /** 32 hex digits. */
  readonly seed: string;
  readonly message: string;
}

/** CellAggregate plus the fields the engine adds (all merge like the base ones). */
export interface EngineCellAggregate extends CellAggregate {
  /** Runs that crashed their worker / threw a model error (counted in `runs`, not in `steps` or costs). */
  crashes: number;
  modelErrors: number;
  /** Lowest-run-index error per kind. */
  firstErrors: Record<string, RunError>;
  /**
   * Coverage: HyperLogLog sketches of the abstract states the runs reached, by run-index
   * bucket (engine/coverage.ts; only buckets with states). Empty when coverage is off.
   */
  stateSketches: StateSketches;
  /** An exhaustive cell's search counters (absent for random and PCT cells, and before any unit of one is done). */
  exhaustive?: ExhaustiveAggregate;
}

/**
 * What the subtrees of an exhaustive cell's search add up to (exhaustive/batch.ts). Counts add
 * over subtrees; `roots` and the two refusals are the cell's (equal in every batch); `maxDepth`
 * is a maximum. Executions are the aggregate's `runs`.
 */
export interface ExhaustiveAggregate {
  /** Units (subtrees) searched, empty ones past the split's roots included. */
  subtrees: number;
  /** Roots of the split: the non-empty subtrees of the cell. */
  roots: number;
  executions: number;
  /** Search-tree nodes (each subtree's root frames counted in each). */
  nodes: number;
  /** Distinct states stored, summed over subtrees (each subtree hashes apart). */
  distinctStates: number;
  /** Executions cut short at a state explored already. */
  prunedExecutions: number;
  /** Alternatives not tried because of the preemption bound. */
  prunedByBound: number;
  /** Alternatives not taken because asleep (sleep sets). */
  slept: number;
  /** Untried alternatives left by subtrees whose budget share ran out. */
  frontier: number;
  /** Subtrees whose budget share ran out before they were done. */
  stoppedSubtrees: number;
  /** The most frames on a branch. */
  maxDepth: number;
  /** Why states were not hashed (null: they were). */
  stateHashing: string | null;
  /** Why sleep sets were not kept (null: they were). */
  partialOrder: string | null;
}
