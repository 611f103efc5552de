/**
 * results.json, schema `lazytlb.results/2`. Everything except `timing` is a pure function of
 * (tool version, model hash, matrix, seed, runs, shard and which runs were done): equal sweeps
 * give byte-identical files once `timing` is removed.
 *
 * v2 (issue 10) over v1: per cell `schemeOptions`, `preempt`, `memory`, `hazards`, `useSites`,
 * the verdicts `hazard` (and the reserved `proved` / `incomplete`), first failures of every
 * violation, hazard and use site with a `class` and a `key`, and IBPB costs. A v1 file is
 * refused with the version that wrote it (see parseResults). Since scheme plugins a cell's
 * `scheme` is any scheme name and a plugin scheme's cell carries `schemeVersion` (optional:
 * files of built-in schemes are unchanged, and earlier v2 files read as before). Since costs by
 * lazy-mm event a cell's `costs` carries `perEvent` (optional in the same way: written always,
 * recomputed from `raw.costs` on resume and merge). Since exhaustive search (issue 15) a cell may
 * have strategy `exhaustive`, the verdicts `proved` / `incomplete` and an `exhaustive` field, all
 * additions under the same version: files without exhaustive cells are unchanged, and a reader
 * older than this refuses a file with one at its unknown strategy kind (zod's message, not a
 * version message: a known gap).
 */
import { z } from 'zod';
import { inputError } from '../errors/lazytlb-error.js';
import { COST_NAMES, HLL_BASE64_LENGTH, MEMORY_MODELS, PreemptModel, SchemeName, StrategySpec } from '@lazytlb/core';

export const RESULTS_SCHEMA = 'lazytlb.results/3';

/** Older schemas this version refuses, with what to do (read.ts, merge.ts). */
const OLD_RESULTS_SCHEMAS: Readonly<Record<string, string>> = {
  'lazytlb.results/2':
    "it names its model by a hash of lazytlb's source (modelHash), so whether this version's model behaves the same cannot be checked, and runs of " +
    'two models must not be added up: re-run the sweep with this version (results/3 records behaviour fingerprints), or resume or merge it with ' +
    'the lazytlb that wrote it; its failure artifacts still replay here with `lazytlb replay --allow-model-mismatch`',
  'lazytlb.results/1':
    'it predates hazards, use sites, scheme options and preemption models (issue 10): its counts mean something else (under `none` every ' +
    'I3 ended the run) and its artifacts (lazytlb.artifact/1) cannot be replayed by this model. Re-run the sweep with this version, ' +
    'or read it with the @lazytlb/sweep 0.1 that wrote it',
};

/**
 * A cell's verdict:
 * - `safe`: every run completed without a violation, a hazard or a use site firing, and without errors;
 * - `hazard`: no violation and no error, but some run recorded a hazard (I3 under a scheme whose
 *   premise is a dangling pointer: `none`) or a hazard-class use-site finding (the __mmdrop WARN
 *   under `none`); the runs went on past it;
 * - `violates`: some run ended in an invariant violation (I14 freed-mm-use included);
 * - `error`: a plugin error, deadlock, worker crash or model error (whatever else was found);
 * - `proved` / `incomplete`: exhaustive cells only (strategy `exhaustive`, `exhaustive:P`), which
 *   never give `safe` or `hazard`: `proved` = every subtree of the search was searched to the end
 *   and no execution violated an invariant (within the cell's workload, CPUs, memory model and
 *   preemption bound; hazards and non-fatal use sites it recorded are listed with it);
 *   `incomplete` = a subtree was not searched (interrupted, time budget, one shard of several)
 *   or ran out of its budget share, or an execution hit the step budget. See `exhaustive`.
 */
export const VERDICTS = ['safe', 'hazard', 'violates', 'error', 'proved', 'incomplete'] as const;
const VerdictSchema = z.enum(VERDICTS);

/** Memory models (core's MEMORY_MODELS): `sc` (sequential consistency), `tso` (per-CPU store buffers, x86). */
export const MemoryModel = z.enum(MEMORY_MODELS);

const count = z.number().int().min(0);
const ratio = z.number().nullable();
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);
const hex16 = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits');

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
    /**
     * `violation` (the run ended in it), `hazard` (recorded, the run went on), `use-site` (a
     * use site fired: as the violation that ended the run or as a hazard-class finding) or
     * `error` (budget, plugin-error, deadlock).
     */
    class: z.enum(['violation', 'hazard', 'use-site', 'error']),
    /** Violations and hazards: the invariant id; use sites: the site id (a kernel function); errors: 'budget', 'plugin-error', 'deadlock'. */
    key: z.string(),
    /** Use sites: dereference, stale-compare or warn (null otherwise, or unknown). */
    siteKind: z.enum(['dereference', 'stale-compare', 'warn']).nullable(),
    runIndex: count,
    seed: hex32,
    /**
     * Path of the artifact, relative to the results directory (build.ts failurePath):
     * `failures/<cell>-<key>.json` for violations and errors, `failures/<cell>-hazard-<id>.json`,
     * `failures/<cell>-site-<slug>.json`. Hazard and use-site artifacts carry a `target` and
     * replay up to the step where the finding fires.
     */
    artifact: z.string(),
    steps: count,
    /** Steps of the shrunk counterexample, when it was shrunk. */
    shrunkSteps: count.nullable(),
    message: z.string(),
    /** The failure's size before and after shrinking (null: not shrunk). */
    shrunk: z.object({ before: FailureSize, after: FailureSize }).strict().nullable(),
    /**
     * Bug depth of the shrunk failure, an UPPER bound (the smallest the search found):
     * depth = min(preemptions + 1, pct); preemptions = fewest found in a reproducing decision
     * list; pct = smallest PCT depth (1..3) whose run of the shrunk workload reproduced, or null.
     */
    bugDepth: z
      .object({ depth: z.number().int().min(1), preemptions: count, pct: z.number().int().min(1).nullable() })
      .strict()
      .nullable(),
  })
  .strict();
export type FirstFailureEntry = z.infer<typeof FirstFailureEntry>;

export const RunErrorEntry = z
  .object({ kind: z.enum(['crash', 'model-error', 'nondeterminism', 'plugin-setup']), runIndex: count, seed: hex32, message: z.string() })
  .strict();

/**
 * The lazy-mm costs of one event kind (core's cost/counters.ts EVENT_NAMES): `count` events,
 * and per event (raw counter `<event>_<cost>` / `count`; 0 when `count` is 0) the atomics
 * (`mm_count` and the scheme's), `mm_count` cache-line transfers, remote cache-line reads, IPIs
 * sent and lazy-helper barriers counted while a CPU ran that event's code. Counts, not times.
 */
export const EventCosts = z
  .object({
    count,
    atomics: z.number().min(0),
    lineTransfers: z.number().min(0),
    remoteReads: z.number().min(0),
    ipis: z.number().min(0),
    barriers: z.number().min(0),
  })
  .strict();
export type EventCosts = z.infer<typeof EventCosts>;

/**
 * Costs by lazy-mm event: `switch` (a context switch, finish_task_switch included; count = the
 * four cs_* counters), `exit` (`__mmput`: exit_mmap's final flush and the scheme's part; count
 * = mm_exits), `mmdrop` (the final `__mmdrop` and cleanup_lazy_tlbs; count = mm_frees).
 */
export const PerEventCosts = z.object({ switch: EventCosts, exit: EventCosts, mmdrop: EventCosts }).strict();
export type PerEventCosts = z.infer<typeof PerEventCosts>;

export const CellCosts = z
  .object({
    contextSwitches: count,
    mmExits: count,
    perContextSwitch: z.object({ mmCountAtomics: ratio, mmCountLineTransfers: ratio, smpMb: ratio, ipis: ratio }).strict(),
    perMmExit: z.object({ ipis: ratio, shootdownIpis: ratio, hypercalls: ratio, tlbFlushes: ratio }).strict(),
    pinnedMmStepsPerStep: ratio,
    /**
     * x86 cond_mitigation() (arch/x86/mm/tlb.c; other arches: all 0): `checks` switches to a
     * user mm it looked at, `issued` IBPBs, `skippedOnReuse` IBPBs skipped because the next mm
     * sits at the address of cpu_tlbstate.last_user_mm_spec although it is another mm (SLUB
     * reuse), `skippedPerCheck` = skippedOnReuse / checks (compare against the refcount cell).
     */
    ibpb: z.object({ checks: count, issued: count, skippedOnReuse: count, skippedPerCheck: ratio }).strict(),
    /**
     * Costs by lazy-mm event (see PerEventCosts). Optional only so that v2 files written before it
     * still read: this version always writes it, and resume and merge recompute it from the
     * summed raw counters (`raw.costs`), never from the per-event values.
     */
    perEvent: PerEventCosts.optional(),
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
const sketchB64 = z
  .string()
  .length(HLL_BASE64_LENGTH)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/);

/**
 * An exhaustive cell's search (exhaustive/batch.ts): the bounds it holds for, what it took and
 * what it enumerated. The search is cut into `subtrees` units (a constant; `roots` of them are
 * non-empty), searched apart and added up: `executions` (= the cell's `runs`), search-tree
 * `nodes` (a root's frames counted in each of its subtree's), `distinctStates` (stored,
 * summed over subtrees: each hashes its own), `prunedExecutions` (cut short at a state explored
 * already), `prunedByBound` (alternatives the preemption bound excluded), `slept` (alternatives
 * sleep sets skipped), `frontier` and `stoppedSubtrees` (left by subtrees whose share of
 * `maxExecutions` ran out: the cell is then `incomplete`), `maxDepth` (frames: steps and
 * in-step choices). `stateHashing` / `partialOrder`: on, or why not (null before any subtree).
 */
export const ExhaustiveReport = z
  .object({
    preemptionBound: count.nullable(),
    maxExecutions: count,
    subtrees: count,
    subtreesSearched: count,
    roots: count,
    executions: count,
    nodes: count,
    distinctStates: count,
    prunedExecutions: count,
    prunedByBound: count,
    slept: count,
    frontier: count,
    stoppedSubtrees: count,
    maxDepth: count,
    stateHashing: z
      .object({ on: z.boolean(), bits: z.literal(64), reason: z.string().nullable() })
      .strict()
      .nullable(),
    partialOrder: z.object({ on: z.boolean(), reason: z.string().nullable() }).strict().nullable(),
    enumerated: z.array(z.string()),
    fixed: z.array(z.string()),
  })
  .strict();
export type ExhaustiveReport = z.infer<typeof ExhaustiveReport>;

export const CellResult = z
  .object({
    index: count,
    /** Hash of the resolved cell identity (32 hex digits). */
    id: hex32,
    arch: z.string(),
    options: z.record(z.string(), z.unknown()),
    /**
     * Scheme name (a bundled scheme or a scheme plugin's); its options that differ from the
     * defaults in `schemeOptions` ({} when none).
     */
    scheme: SchemeName,
    schemeOptions: z.record(z.string(), z.unknown()),
    /**
     * The scheme plugin's version, for a scheme that is not one of core's built-ins (absent for
     * refcount, shootdown and none, whose version is core's). Part of the cell's identity (the
     * resolved cell in raw.cellId records it too): results of another version are another
     * cell, so resume and merge refuse to mix them, as they do for arch plugin versions.
     */
    schemeVersion: z.string().optional(),
    /** Preemption model of the simulated kernel (CONFIG_PREEMPT_*). */
    preempt: PreemptModel,
    /** Memory model (`sc` unless the sweep's `memory` axis gave another). */
    memory: MemoryModel,
    cpus: z.number().int().min(1),
    workload: z.unknown(),
    strategy: StrategySpec,
    /** Enabled mutations (sorted); absent for the unmutated model. */
    mutations: z.array(z.string()).min(1).optional(),
    stepBudget: count.nullable(),
    runs: count,
    steps: count,
    /** See VERDICTS. */
    verdict: VerdictSchema,
    /** Runs that ended in a violation, by invariant id. */
    violations: z.record(z.string(), count),
    /** Runs that recorded a hazard (and went on), by hazard id: { "I3": runs }. */
    hazards: z.record(z.string(), count),
    /** Runs in which a use site fired (ending the run as I14 / I3, or as a hazard-class WARN), by site id. */
    useSites: z.record(z.string(), count),
    firstFailures: z.array(FirstFailureEntry),
    budgetExceeded: count,
    pluginErrors: count,
    deadlocks: count,
    crashes: count,
    modelErrors: count,
    errors: z.array(RunErrorEntry),
    costs: CellCosts,
    pctMissBound: PctMissBound.nullable(),
    /** PCT parameters and bounds (see PctReport); null when no run completed. */
    pct: PctReport.nullable(),
    /** Abstract-state coverage (see CellCoverage); null when off. */
    coverage: CellCoverage.nullable(),
    /** Exhaustive cells only: the search (see ExhaustiveReport). */
    exhaustive: ExhaustiveReport.optional(),
    /** What merging and resuming need: raw sums, the resolved cell and the runs covered. */
    raw: z
      .object({
        cellId: z.string(),
        cellHash: hex32,
        actors: count,
        estimatedSteps: z.number().min(0),
        // partial: a v2 file written before a counter existed reads it as 0 (read.ts)
        costs: z.partialRecord(z.enum(COST_NAMES), z.number().min(0)),
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
    /** Behaviour fingerprints (engine/fingerprints.ts): core's, and each plugin's the cells run ("arch NAME@VERSION", "scheme NAME@VERSION"). */
    fingerprints: z.object({ core: hex16, plugins: z.record(z.string(), hex16) }).strict(),
    matrix: z.object({ seed: z.string(), runs: count, cells: count, hash: hex32 }).strict(),
    shard: z
      .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
      .strict()
      .nullable(),
    /** Stopped by Ctrl-C: `--resume DIR` continues it. */
    interrupted: z.boolean(),
    timeBudgetHit: z.boolean(),
    /** Every cell covers all its runs. */
    complete: z.boolean(),
    totals: z
      .object({
        runs: count,
        steps: count,
        safe: count,
        hazard: count,
        violates: count,
        error: count,
        proved: count,
        incomplete: count,
        violatingRuns: count,
        /** Runs that recorded a hazard (a run with two hazard ids counts once per id). */
        hazardRuns: count,
      })
      .strict(),
    cells: z.array(CellResult),
    /** Wall-clock facts: differ between equal sweeps; strip before comparing. */
    timing: z.object({ startedAt: z.string(), elapsedMs: z.number().min(0), threads: count, batchesRun: count }).strict(),
  })
  .strict();
export type ResultsFile = z.infer<typeof ResultsFile>;

/** The schema and tool version a results.json names (null when it names none). */
export function schemaOf(value: unknown): { schema: string | null; toolVersion: string | null } {
  const o = typeof value === 'object' && value !== null ? (value as { schema?: unknown; toolVersion?: unknown }) : {};
  return { schema: typeof o.schema === 'string' ? o.schema : null, toolVersion: typeof o.toolVersion === 'string' ? o.toolVersion : null };
}

/** Why a results file of another schema is refused (which version wrote it, and what to do). */
export function schemaMismatch(source: string, schema: string, toolVersion: string | null): string {
  const by = toolVersion !== null ? ` (written by lazytlb ${toolVersion})` : '';
  const why = OLD_RESULTS_SCHEMAS[schema] ?? `this version of lazytlb reads ${RESULTS_SCHEMA} only; use the lazytlb version that wrote it`;
  return `${source}: results schema ${schema}${by} is not ${RESULTS_SCHEMA}: ${why}`;
}

export function parseResults(value: unknown, source = 'results.json'): ResultsFile {
  const { schema, toolVersion } = schemaOf(value);
  if (schema !== null && schema !== RESULTS_SCHEMA) throw inputError(schemaMismatch(source, schema, toolVersion));
  const r = ResultsFile.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 10)
      .map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw inputError(`invalid ${source}:\n${issues}`);
  }
  return r.data;
}
