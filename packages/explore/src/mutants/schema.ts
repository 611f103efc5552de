/**
 * mutants.json, schema `lazytlb.mutants/2`: what `lazytlb mutants --json` prints and `--out DIR`
 * writes. v2 (issue 10): per mutation `status` and `noVictim` (a mutation no modelled cell can
 * kill, with the reason), per cell `schemeOptions`, `preempt`, `memory` and `consequence` (the cell run
 * again with the intermediate-state oracle I13 switched off: the first kill by a consequence). Everything but the `seconds*` fields and `timing` is a pure function of (tool
 * version, model hash, catalogue, strategies, budget in runs, seed); with a wall-clock budget
 * how far each cell got depends on the machine as well.
 */
import { z } from 'zod';
import { MEMORY_MODELS, PreemptModel, Scheme } from '@lazytlb/core';

export const MUTANTS_SCHEMA = 'lazytlb.mutants/3';

const count = z.number().int().min(0);
const hex32 = z.string().regex(/^[0-9a-f]{32}$/);
const seconds = z.number().min(0);

export const MutantBudget = z.discriminatedUnion('kind', [
  /** Runs per (cell, strategy), mutated and unmutated alike. */
  z.object({ kind: z.literal('runs'), runs: z.number().int().min(1) }).strict(),
  /** Wall-clock for the whole command, shared by every (cell, strategy). */
  z.object({ kind: z.literal('time'), ms: z.number().int().min(1), runsCap: z.number().int().min(1) }).strict(),
]);
export type MutantBudget = z.infer<typeof MutantBudget>;

/** Errors seen in a (cell, strategy): none of them is a kill. */
export const RunProblems = z.object({ budgetExceeded: count, pluginErrors: count, deadlocks: count, crashes: count, modelErrors: count }).strict();
export type RunProblems = z.infer<typeof RunProblems>;

/** One (cell, strategy) of one mutation, mutation enabled. */
export const StrategyOutcome = z
  .object({
    strategy: z.string(),
    /** Runs done: [0, runs). Stops right after the kill (the batches then in flight finish). */
    runs: count,
    killed: z.boolean(),
    /** Lowest violating run index + 1 (all runs below it were run): deterministic. */
    runsToKill: count.nullable(),
    /** Wall time from the start of the command until the batch with that run completed: machine-dependent. */
    secondsToKill: seconds.nullable(),
    /** The invariant of that run. */
    invariant: z.string().nullable(),
    problems: RunProblems,
  })
  .strict();
export type StrategyOutcome = z.infer<typeof StrategyOutcome>;

/** The killing run of a (cell, strategy): index, seed, steps, message and artifacts (relative to --out DIR; null without --out). */
export const KillRecord = z
  .object({
    runIndex: count,
    seed: hex32,
    steps: count,
    message: z.string(),
    artifact: z.string().nullable(),
    shrunkArtifact: z.string().nullable(),
  })
  .strict();

/**
 * The same mutated cell run again with the intermediate-state oracle switched off
 * (`disabledInvariants`, core's SimulatorOptions field, recorded in the cell id and its
 * artifacts): does a consequence follow (I4, I2, I1, ... after an IPI lands in the window)?
 * Kills here are kills by consequence; `killed: false` means none within the budget.
 */
export const ConsequenceResult = z
  .object({
    disabledInvariants: z.array(z.string()).min(1),
    killed: z.boolean(),
    strategy: z.string().nullable(),
    runsToKill: count.nullable(),
    secondsToKill: seconds.nullable(),
    invariant: z.string().nullable(),
    kill: KillRecord.nullable(),
    shrunkSteps: count.nullable(),
    depth: z.number().int().min(1).nullable(),
    shrinkError: z.string().nullable(),
    strategies: z.array(StrategyOutcome),
  })
  .strict();
export type ConsequenceResult = z.infer<typeof ConsequenceResult>;

export const MutantCellResult = z
  .object({
    arch: z.string(),
    options: z.record(z.string(), z.unknown()),
    scheme: Scheme,
    /** Non-default scheme options ({} when none). */
    schemeOptions: z.record(z.string(), z.unknown()),
    preempt: PreemptModel,
    /** Memory model (`sc` unless the declared cell gives another). */
    memory: z.enum(MEMORY_MODELS),
    cpus: z.number().int().min(1),
    workload: z.string(),
    /** "powerpc:mmu=radix refcount 4cpu kthread-heavy". */
    label: z.string(),
    killed: z.boolean(),
    /** The killing strategy: fewest runs to kill (first in --strategies order on a tie). */
    strategy: z.string().nullable(),
    runsToKill: count.nullable(),
    secondsToKill: seconds.nullable(),
    invariant: z.string().nullable(),
    /** invariant === the mutation's declared `breaks`. */
    matchesDeclared: z.boolean().nullable(),
    /** The killing run: index, seed, steps, message and artifact (relative to --out DIR; null without --out). */
    kill: KillRecord.nullable(),
    /** Steps of the shrunk counterexample (null: not killed, or shrinking off). */
    shrunkSteps: count.nullable(),
    /** Upper bound on the bug's depth (preemptions + 1) from shrink/bug-depth.ts (null: not killed, or depth off). */
    depth: z.number().int().min(1).nullable(),
    /** Why the kill could not be shrunk (it still replays from `kill.artifact`). */
    shrinkError: z.string().nullable(),
    strategies: z.array(StrategyOutcome),
    /** The cell run again with the intermediate-state oracle off (null: the mutation does not declare that oracle). */
    consequence: ConsequenceResult.nullable(),
  })
  .strict();
export type MutantCellResult = z.infer<typeof MutantCellResult>;

export const MutantResult = z
  .object({
    id: z.string(),
    /** "core" or the declaring plugin. */
    source: z.string(),
    title: z.string(),
    fixedBy: z.string(),
    /** A counterfactual, not a kernel bug (MutationDoc.synthetic): why it is in the catalogue. Absent for kernel bugs. */
    synthetic: z.string().optional(),
    breaks: z.string(),
    /** Killed in at least one of its cells. */
    killed: z.boolean(),
    /** killed, survived, or no-victim (declared: no modelled cell can kill it; `noVictim` says why). */
    status: z.enum(['killed', 'survived', 'no-victim']),
    /** Why no modelled cell can kill it faithfully (then `cells` is empty), else null. */
    noVictim: z.string().nullable(),
    cells: z.array(MutantCellResult),
  })
  .strict();
export type MutantResult = z.infer<typeof MutantResult>;

/** An unmutated (cell, strategy): the false-alarm check. Any violation is a false alarm. */
export const ControlResult = z
  .object({
    label: z.string(),
    strategy: z.string(),
    /** Ids of the mutations whose cell this is. */
    mutations: z.array(z.string()),
    runs: count,
    clean: z.boolean(),
    violations: z.record(z.string(), count),
    problems: RunProblems,
    firstViolation: z
      .object({ invariant: z.string(), runIndex: count, seed: hex32, steps: count, message: z.string(), artifact: z.string().nullable() })
      .strict()
      .nullable(),
  })
  .strict();
export type ControlResult = z.infer<typeof ControlResult>;

export const MutantsFile = z
  .object({
    schema: z.literal(MUTANTS_SCHEMA),
    toolVersion: z.string(),
    coreVersion: z.string(),
    /** Behaviour fingerprints of core and of every plugin the cells ran (engine/fingerprints.ts). */
    fingerprints: z.object({ core: z.string().regex(/^[0-9a-f]{16}$/), plugins: z.record(z.string(), z.string().regex(/^[0-9a-f]{16}$/)) }).strict(),
    seed: z.string(),
    budget: MutantBudget,
    strategies: z.array(z.string()),
    /** Whether depths were measured (shrink/bug-depth.ts, on the shrunk kills; off with --no-shrink): every depth is null otherwise. */
    depthAvailable: z.boolean(),
    interrupted: z.boolean(),
    timeBudgetHit: z.boolean(),
    totals: z
      .object({
        mutations: count,
        killed: count,
        /** Mutations with cells and no kill. */
        survived: count,
        /** Mutations declared without a modelled victim. */
        noVictim: count,
        matchingDeclared: count,
        controls: count,
        falseAlarms: count,
        /** Cells run again with the intermediate-state oracle off, and those a consequence killed. */
        consequenceCells: count,
        consequenceKills: count,
        runs: count,
        steps: count,
      })
      .strict(),
    mutations: z.array(MutantResult),
    controls: z.array(ControlResult),
    /** Wall-clock facts: differ between equal runs. */
    timing: z.object({ startedAt: z.string(), elapsedMs: z.number().min(0), sweepMs: z.number().min(0), threads: count }).strict(),
  })
  .strict();
export type MutantsFile = z.infer<typeof MutantsFile>;
