/**
 * results.json, schema `lazytlb.results/1`. Everything except `timing` is a pure function of
 * (tool version, model hash, matrix, seed, runs, shard and which runs were done): equal sweeps
 * give byte-identical files once `timing` is removed.
 */
import { z } from 'zod';
import { COST_NAMES, HLL_BASE64_LENGTH, Scheme, StrategySpec } from '@lazytlb/core';

export const RESULTS_SCHEMA = 'lazytlb.results/1';

const count = z.number().int().min(0);
const ratio = z.number().nullable();
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);

/**
 * A failure's size: steps, CPUs, tasks, program ops, the arch options away from their defaults
 * (`name=value`) and the preemptions in its decision list.
 */
export const FailureSize = z
  .object({ steps: count, cpus: z.number().int().min(1), tasks: count, ops: count, options: z.array(z.string()), preemptions: count })
  .strict();
export type FailureSize = z.infer<typeof FailureSize>;

export const FirstFailureEntry = z
  .object({
    /** Invariant id, or 'budget', 'plugin-error', 'deadlock'. */
    invariant: z.string(),
    runIndex: count,
    seed: hex32,
    /** Path of the artifact, relative to the results directory. */
    artifact: z.string(),
    steps: count,
    /** Steps of the shrunk counterexample, when it was shrunk. */
    shrunkSteps: count.nullable(),
    message: z.string(),
    /** The failure's size before and after shrinking (null: not shrunk; absent in files of older versions). */
    shrunk: z.object({ before: FailureSize, after: FailureSize }).strict().nullable().optional(),
    /**
     * Bug depth of the shrunk failure, an UPPER bound (the smallest the search found):
     * depth = min(preemptions + 1, pct); preemptions = fewest found in a reproducing decision
     * list; pct = smallest PCT depth (1..3) whose run of the shrunk workload reproduced, or null.
     */
    bugDepth: z.object({ depth: z.number().int().min(1), preemptions: count, pct: z.number().int().min(1).nullable() }).strict().nullable().optional(),
  })
  .strict();
export type FirstFailureEntry = z.infer<typeof FirstFailureEntry>;

export const RunErrorEntry = z
  .object({ kind: z.enum(['crash', 'model-error']), runIndex: count, seed: hex32, message: z.string() })
  .strict();

export const CellCosts = z
  .object({
    contextSwitches: count,
    mmExits: count,
    perContextSwitch: z.object({ mmCountAtomics: ratio, mmCountLineTransfers: ratio, smpMb: ratio, ipis: ratio }).strict(),
    perMmExit: z.object({ ipis: ratio, shootdownIpis: ratio, hypercalls: ratio, tlbFlushes: ratio }).strict(),
    pinnedMmStepsPerStep: ratio,
  })
  .strict();
export type CellCosts = z.infer<typeof CellCosts>;

/** PCT's bound on the chance that a bug of depth d was missed by all runs (null: not applicable). */
export const PctMissBound = z.object({ d1: ratio, d2: ratio, d3: ratio }).strict();
export type PctMissBound = z.infer<typeof PctMissBound>;

/**
 * PCT's parameters and bounds for a cell. PCT (Burckhardt et al., ASPLOS 2010) with depth D
 * hits a given bug of depth d ≤ D in one run with probability at least p_d = 1/(n·k^(d−1)).
 *
 * - `n`: explorer actors (task and interrupt, plus hypervisor on vCPU arches, per CPU).
 * - `kEstimated`: mean over the runs of the workload generator's length estimate — the range
 *   PCT draws its change points from; `meanSteps`: mean actual steps per run.
 * - `k` = max(kEstimated, meanSteps), what the bounds use. The theorem needs k ≥ the run's
 *   length; the generator overestimates (default workload: ~250–270 estimated vs ~160 taken),
 *   so k is normally kEstimated, and if runs outgrew their estimates on average the larger,
 *   more conservative value is taken. Means are conservative as well: 1/k^(d−1) is convex, so
 *   the mean of the per-run p_d is at least p_d of the mean k (Jensen). Not covered: PCT puts
 *   no change point past a run's estimate, so in a run that outgrows it a bug whose ordering
 *   points lie past the estimate is outside the guarantee.
 * - `hitBound`: p_d for d = 1, 2, 3. Null for d > `depth`: PCT(D) has D − 1 change points and
 *   guarantees nothing for deeper bugs. Null as a whole for non-PCT strategies (random walks
 *   have no such bound; n and k are still given).
 * - `missBound`: only for `safe` cells (a cell that found violations did not miss them): the
 *   chance that all N runs missed a given depth-d bug, (1 − p_d)^N, N = `runs` (runs that
 *   completed; crashed and model-error runs excluded). Null for d > depth (no p_d), for
 *   non-PCT strategies and for cells that are not safe. Equal to the older `pctMissBound`.
 */
export const PctDepths = z.object({ d1: ratio, d2: ratio, d3: ratio }).strict();
export const PctReport = z
  .object({
    n: count,
    depth: z.number().int().min(1).nullable(),
    runs: count,
    kEstimated: z.number().min(0),
    meanSteps: z.number().min(0),
    k: z.number().min(0),
    hitBound: PctDepths.nullable(),
    missBound: PctDepths.nullable(),
  })
  .strict();
export type PctReport = z.infer<typeof PctReport>;

/**
 * Abstract-state coverage (`lazytlb sweep --coverage`; null when it was off): how many distinct
 * abstract lazy-TLB states the cell's runs reached — per CPU: online, task kind, lazy or not,
 * its active_mm's lifecycle stage, mm_users == 0 and mm_count against the lazy holders (coarse
 * buckets), its mm_cpumask bit, rq->prev_mm set, the kernel path in progress and IPIs pending,
 * combined so that renaming CPUs gives the same state (core: coverage/fingerprint.ts) —
 * estimated with a HyperLogLog sketch (1024 registers: ±3%, closer below a few thousand).
 *
 * - `distinctStates`: over all the runs done.
 * - `growth`: after the first 1, 2, 4, …, 2^b runs and after all of them (`runs`: how many of
 *   those were done, all of them in a complete cell). Exact functions of the runs done: the
 *   same for any threads, batch sizes or shards.
 * - `saturated`: the last point added less than 1% over the latest point with at most half
 *   its runs (at least one doubling of the runs found almost nothing new).
 */
export const CellCoverage = z
  .object({
    distinctStates: count,
    growth: z.array(z.object({ runs: count, distinctStates: count }).strict()),
    saturated: z.boolean(),
  })
  .strict();
export type CellCoverage = z.infer<typeof CellCoverage>;

/** A serialised HyperLogLog sketch: base64 of its 1024 registers. */
const sketchB64 = z.string().length(HLL_BASE64_LENGTH).regex(/^[A-Za-z0-9+/]+={0,2}$/);

export const CellResult = z
  .object({
    index: count,
    /** Hash of the resolved cell identity (32 hex digits). */
    id: hex32,
    arch: z.string(),
    options: z.record(z.string(), z.unknown()),
    scheme: Scheme,
    cpus: z.number().int().min(1),
    workload: z.unknown(),
    strategy: StrategySpec,
    /** Enabled mutations (sorted); absent for the unmutated model. */
    mutations: z.array(z.string()).min(1).optional(),
    stepBudget: count.nullable(),
    runs: count,
    steps: count,
    verdict: z.enum(['safe', 'violates', 'error']),
    violations: z.record(z.string(), count),
    firstFailures: z.array(FirstFailureEntry),
    budgetExceeded: count,
    pluginErrors: count,
    deadlocks: count,
    crashes: count,
    modelErrors: count,
    errors: z.array(RunErrorEntry),
    costs: CellCosts,
    pctMissBound: PctMissBound.nullable(),
    /** PCT parameters and bounds (see PctReport); null when no run completed; absent in files of older versions. */
    pct: PctReport.nullable().optional(),
    /** Abstract-state coverage (see CellCoverage); null when off; absent in files of older versions. */
    coverage: CellCoverage.nullable().optional(),
    /** What merging and resuming need: raw sums, the resolved cell and the runs covered. */
    raw: z
      .object({
        cellId: z.string(),
        cellHash: hex32,
        actors: count,
        estimatedSteps: z.number().min(0),
        costs: z.record(z.enum(COST_NAMES), z.number().min(0)),
        /** Run ranges done, "start-end" (half-open), sorted and merged. */
        coverage: z.array(z.string().regex(/^\d+-\d+$/)),
        /**
         * Abstract-state sketches by run-index bucket (bucket 0: run 0; bucket b ≥ 1: runs
         * [2^(b−1), 2^b)), only buckets with states; merged register-wise by `lazytlb merge`.
         * Present when coverage was on.
         */
        stateSketches: z.record(z.string().regex(/^\d+$/), sketchB64).optional(),
      })
      .strict(),
  })
  .strict();
export type CellResult = z.infer<typeof CellResult>;

export const ResultsFile = z
  .object({
    schema: z.literal(RESULTS_SCHEMA),
    toolVersion: z.string(),
    coreVersion: z.string(),
    modelHash: z.string(),
    matrix: z.object({ seed: z.string(), runs: count, cells: count, hash: hex32 }).strict(),
    shard: z.object({ index: z.number().int().min(1), count: z.number().int().min(1) }).strict().nullable(),
    /** Stopped by Ctrl-C: `--resume DIR` continues it. */
    interrupted: z.boolean(),
    timeBudgetHit: z.boolean(),
    /** Every cell covers all its runs. */
    complete: z.boolean(),
    totals: z
      .object({ runs: count, steps: count, safe: count, violates: count, error: count, violatingRuns: count })
      .strict(),
    cells: z.array(CellResult),
    /** Wall-clock facts: differ between equal sweeps; strip before comparing. */
    timing: z
      .object({ startedAt: z.string(), elapsedMs: z.number().min(0), threads: count, batchesRun: count })
      .strict(),
  })
  .strict();
export type ResultsFile = z.infer<typeof ResultsFile>;

export class ResultsError extends Error {
  override name = 'ResultsError';
}

export function parseResults(value: unknown, source = 'results.json'): ResultsFile {
  if (typeof value === 'object' && value !== null && 'schema' in value && (value as { schema: unknown }).schema !== RESULTS_SCHEMA) {
    throw new ResultsError(`${source}: schema ${JSON.stringify((value as { schema: unknown }).schema)} is not ${RESULTS_SCHEMA}`);
  }
  const r = ResultsFile.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 10).map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ResultsError(`invalid ${source}:\n${issues}`);
  }
  return r.data;
}
