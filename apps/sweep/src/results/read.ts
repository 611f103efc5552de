/**
 * Reading a results directory back into a SweepResult (for --resume and merge): the cells'
 * raw sums and coverage from results.json, the first failures' artifacts from failures/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Artifact, COST_NAMES, hllParse, parseArtifact } from '@lazytlb/core';
import type { CellSpec } from '@lazytlb/explore';
import {
  type EngineCellAggregate,
  type ExhaustiveAggregate,
  type FirstFailure,
  failureKey,
  type PreparedCell,
  type RunError,
  type SweepResult,
} from '@lazytlb/explore';
import { inputError, parseResults, type ResultsFile } from '@lazytlb/explore';

/** The JSON of DIR/results.json, unvalidated (errors name the path). */
export function readResultsJson(dir: string): unknown {
  const path = join(dir, 'results.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw inputError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw inputError(`${path} is not JSON: ${(e as Error).message}`);
  }
  return json;
}

export function readResultsFile(dir: string): ResultsFile {
  return parseResults(readResultsJson(dir), join(dir, 'results.json'));
}

export function readResultDir(dir: string): SweepResult {
  const f = readResultsFile(dir);
  const cells: PreparedCell[] = [];
  const aggregates: EngineCellAggregate[] = [];
  for (const c of f.cells) {
    const spec: CellSpec = {
      index: c.index,
      arch: { name: c.arch, options: c.options },
      scheme: c.scheme,
      ...(Object.keys(c.schemeOptions).length > 0 ? { schemeOptions: c.schemeOptions } : {}),
      ...(c.preempt !== 'full' ? { preempt: c.preempt } : {}),
      ...(c.memory !== 'sc' ? { memory: c.memory } : {}),
      cpus: c.cpus,
      workload: c.workload as CellSpec['workload'],
      strategy: c.strategy,
      ...(c.stepBudget !== null ? { stepBudget: c.stepBudget } : {}),
      ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    };
    const config = JSON.parse(c.raw.cellId) as PreparedCell['config'];
    if (config.disabledInvariants !== undefined) Object.assign(spec, { disabledInvariants: [...config.disabledInvariants] });
    cells.push({ index: c.index, spec, cellId: c.raw.cellId, cellHash: c.raw.cellHash, actors: c.raw.actors, config });
    const firstFailures: Record<string, FirstFailure> = {};
    for (const x of c.firstFailures) {
      const path = join(dir, x.artifact);
      let artifact: Artifact;
      try {
        // Validated, but kept as written (zod's output would reorder the keys).
        const json = JSON.parse(readFileSync(path, 'utf8')) as Artifact;
        parseArtifact(json, path);
        artifact = json;
      } catch (e) {
        throw inputError(`cell ${c.index}: cannot load the artifact of its first ${x.class} ${x.key}: ${(e as Error).message}`);
      }
      // Keys in the order run-batch.ts writes them (aggregates serialise equally after a round trip).
      firstFailures[failureKey(x.class, x.key)] = {
        kind: x.key,
        class: x.class,
        runIndex: x.runIndex,
        seed: x.seed,
        steps: x.steps,
        message: x.message,
        artifact,
        ...(x.siteKind !== null ? { siteKind: x.siteKind } : {}),
      } satisfies FirstFailure;
    }
    const firstErrors: Record<string, RunError> = {};
    for (const e of c.errors) firstErrors[e.kind] = { ...e };
    aggregates.push({
      cell: c.index,
      runs: c.runs,
      steps: c.steps,
      violations: { ...c.violations },
      hazards: { ...c.hazards },
      useSites: { ...c.useSites },
      budgetExceeded: c.budgetExceeded,
      pluginErrors: c.pluginErrors,
      deadlocks: c.deadlocks,
      costs: COST_NAMES.map((n) => c.raw.costs[n] ?? 0),
      estimatedSteps: c.raw.estimatedSteps,
      actors: c.raw.actors,
      firstFailures,
      batches: [...c.raw.coverage],
      crashes: c.crashes,
      modelErrors: c.modelErrors,
      firstErrors,
      stateSketches: readSketches(c),
      ...(c.exhaustive !== undefined && c.exhaustive.stateHashing !== null ? { exhaustive: exhaustiveAggregate(c.exhaustive) } : {}),
    });
  }
  return {
    toolVersion: f.toolVersion,
    coreVersion: f.coreVersion,
    fingerprints: f.fingerprints,
    matrixSeed: f.matrix.seed,
    runs: f.matrix.runs,
    cells,
    aggregates,
    shard: f.shard,
    interrupted: f.interrupted,
    timeBudgetHit: f.timeBudgetHit,
    // Coverage was on when every cell carries its state sketches (files of older versions: off).
    coverage: f.cells.length > 0 && f.cells.every((c) => c.raw.stateSketches !== undefined),
    timing: { ...f.timing },
  };
}

function readSketches(c: ResultsFile['cells'][number]): EngineCellAggregate['stateSketches'] {
  const out: EngineCellAggregate['stateSketches'] = {};
  for (const [b, text] of Object.entries(c.raw.stateSketches ?? {})) {
    try {
      out[Number(b)] = hllParse(text);
    } catch (e) {
      throw inputError(`cell ${c.index}: state sketch of bucket ${b}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** An exhaustive cell's search counters as the aggregate holds them (the inverse of explore's exhaustiveReport). */
function exhaustiveAggregate(x: NonNullable<ResultsFile['cells'][number]['exhaustive']>): ExhaustiveAggregate {
  return {
    subtrees: x.subtreesSearched,
    roots: x.roots,
    executions: x.executions,
    nodes: x.nodes,
    distinctStates: x.distinctStates,
    prunedExecutions: x.prunedExecutions,
    prunedByBound: x.prunedByBound,
    slept: x.slept,
    frontier: x.frontier,
    stoppedSubtrees: x.stoppedSubtrees,
    maxDepth: x.maxDepth,
    stateHashing: x.stateHashing!.reason,
    partialOrder: x.partialOrder?.reason ?? null,
  };
}
