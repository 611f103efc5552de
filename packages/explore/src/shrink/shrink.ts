/**
 * `lazytlb shrink ARTIFACT`: minimise a failure while it still shows the SAME finding
 * (shrink/target.ts): the same invariant (for I14, at the same use site) for a violation; the
 * same hazard or use site, reached in fewer steps, for an artifact recorded for one (its
 * `target`: candidates stop there, as the replay does).
 *
 * Shrinking is separate passes (passes.ts: decisions, options, simplify-ops, cpus, tasks, ops,
 * budgets), each offering candidates in a fixed order, and a runner (runner.ts) that runs them
 * (a lenient replay of the candidate's decision list with core's LenientReplayExplorer,
 * re-searching the schedule after a workload reduction) and keeps a candidate when it shows the
 * same finding and is a smaller failure. shrinkArtifact strings them together:
 *
 * 1. the decision pass;
 * 2. a generated workload is converted into an explicit one (core's decompiler: same task ids,
 *    mms and programs, the same run), kept if it fails the same way in no more steps;
 * 3. rounds to a fixpoint: the options pass (each arch option at its default, an enum option at
 *    its other simpler values: options.ts), then the workload passes (simpler ops: flags dropped,
 *    CPUs, tasks, ops, tick and vCPU preemptions and deep-idle entries); after every round that
 *    changed something, the decision pass again;
 * 4. a converted workload's tasks are renamed as the trace names them (T<id> / K<id>).
 *
 * The scheme (and its options), the preemption model, the memory model, the arch and the
 * mutations never change: they are what the failure is about. CPUs map to actors by
 * constants.ACTORS_PER_CPU (task, irq, hyp and, under tso, the store-buffer drain).
 *
 * Every accepted candidate lowers (steps, CPUs, tasks, ops, op complexity, tick+vCPU
 * preemptions, option simplicity) lexicographically, so the trace never gets longer and the ops
 * and options never get more complex. The search is deterministic (no clocks or randomness in
 * what is tried); it is bounded by an attempt budget (and optionally a wall-clock budget, which
 * makes the result depend on the machine's speed). The result is re-played with core's replayArtifact and
 * must reproduce. Afterwards the bug depth (bug-depth.ts) of the result is measured.
 */
import { type Artifact, type RunSeed, Simulator, makeArtifact, replayArtifact, seedFromHex } from '@lazytlb/core';
import { artifactPreemptions, type BugDepthOptions, type BugDepthResult, bugDepth } from './bug-depth.js';
import { cellPlugins, type PluginsArg, replayOpts, simOptionsFor } from './cell.js';
import { explicitFromRun, shrinkWorkloadFromRun } from './explicit.js';
import { nonDefaultOptions, type OptionSpace, optionSpace } from './options.js';
import type { ShrinkPass } from './pass.js';
import { decisionsPass, optionsPass, WORKLOAD_PASSES } from './passes.js';
import { RESEARCH_SEEDS, ShrinkBudget, ShrinkRunner, type ShrinkState } from './runner.js';
import { type Finding, FindingError, findingOf, matches } from './target.js';
import { explicitInput, renameTasks, structuredWorkload, workloadCounts } from './workload.js';

export class ShrinkError extends Error {
  override name = 'ShrinkError';
}

export interface ShrinkOptions {
  /** Most candidate runs to try (default 4000). */
  readonly maxAttempts?: number;
  /** Optional wall-clock budget in ms (off by default: it makes the result machine-dependent). */
  readonly timeBudgetMs?: number;
  /** Try workload reductions (explicit workload, fewer CPUs/tasks/ops); default true. */
  readonly workload?: boolean;
  /** Try simpler arch options (defaults, simpler enum values); default true. */
  readonly options?: boolean;
  /**
   * Explorer seeds tried when the old schedule no longer fails on a smaller workload (the
   * schedule is searched again with the cell's strategy); default 8, 0 turns it off.
   */
  readonly researchSeeds?: number;
  /** Measure the shrunk failure's bug depth (default on; false turns it off). */
  readonly bugDepth?: false | BugDepthOptions;
}

/** The size of a failure, before or after shrinking. */
export interface ShrinkSize {
  readonly steps: number;
  readonly cpus: number;
  /** Tasks of the workload (for a generated one: the tasks the run's seed draws). */
  readonly tasks: number;
  /** Program ops over all tasks. */
  readonly ops: number;
  /** Arch options away from their defaults, sorted `name=value`. */
  readonly options: readonly string[];
  /** Preemptions in the decision list (switches away from a still-enabled actor, see bug-depth.ts). */
  readonly preemptions: number;
}

export interface ShrinkResult {
  readonly artifact: Artifact;
  readonly beforeSteps: number;
  readonly afterSteps: number;
  readonly attempts: number;
  /** The budget ran out before a fixpoint was reached. */
  readonly budgetExhausted: boolean;
  readonly before: ShrinkSize;
  readonly after: ShrinkSize;
  /** Bug depth of the shrunk failure (an upper bound), unless turned off. */
  readonly bugDepth: BugDepthResult | null;
}

/** Tasks and ops of an artifact's workload (a generated one is drawn for the artifact's seed). */
export function workloadSize(artifact: Artifact, plugin: PluginsArg): { tasks: number; ops: number } {
  const w = artifact.cell.workload;
  if ('explicit' in w) return workloadCounts(w.explicit);
  return workloadCounts(explicitFromRun(new Simulator(simOptionsFor(plugin, artifact)), seedFromHex(artifact.seed)));
}

/** The passes of a round (options.ts's space for the options pass), as shrinkArtifact runs them for `opts`. */
export function shrinkRound(space: OptionSpace, opts: Pick<ShrinkOptions, 'options' | 'workload'> = {}): ShrinkPass[] {
  return [...(opts.options !== false ? [optionsPass(space)] : []), ...(opts.workload !== false ? WORKLOAD_PASSES : [])];
}

/**
 * A generated workload made explicit (core's decompiler), on the same decisions; the new state
 * when it fails the same way in no more steps (one attempt), else the current one.
 */
function toExplicit(runner: ShrinkRunner, cur: ShrinkState, seed: RunSeed, finding: Finding): ShrinkState {
  const w = shrinkWorkloadFromRun(cur.sim, seed);
  const input = { explicit: explicitInput(w) };
  const sim = runner.simFor(cur.archOptions, cur.cpus, input);
  if (sim === null || runner.budget.exhausted) return cur;
  runner.budget.attempts++;
  const r = runner.lenientRun(sim, cur.decisions, cur.steps);
  if (!matches(finding, r) || r.steps > cur.steps) return cur;
  return { ...cur, sim, workload: w, input, decisions: r.decisions!, steps: r.steps, result: r };
}

/** Tasks renamed as the trace names them (T<id> / K<id>), kept when the run is the same length (not counted as an attempt). */
function withTraceNames(runner: ShrinkRunner, cur: ShrinkState, finding: Finding): ShrinkState {
  if (cur.workload === null) return cur;
  const w = renameTasks(cur.workload, cur.cpus);
  const input = { explicit: explicitInput(w) };
  const sim = runner.simFor(cur.archOptions, cur.cpus, input);
  if (sim === null) return cur;
  const r = runner.lenientRun(sim, cur.decisions);
  if (!matches(finding, r) || r.steps !== cur.steps) return cur;
  return { ...cur, sim, workload: w, input, decisions: r.decisions!, result: r };
}

/**
 * Minimise a failing artifact; the result still shows the same finding and replays exactly.
 * `plugins`: the arch plugin, or { arch, scheme } for a cell of a scheme plugin (schemeVersion).
 */
export function shrinkArtifact(artifact: Artifact, plugins: PluginsArg, opts: ShrinkOptions = {}): ShrinkResult {
  const plugin = cellPlugins(plugins);
  const want = artifact.outcome;
  let finding: Finding;
  try {
    finding = findingOf(artifact);
  } catch (e) {
    if (e instanceof FindingError) throw new ShrinkError(`nothing to shrink: ${e.message}`);
    throw e;
  }
  const first = replayArtifact(artifact, plugin.arch, replayOpts(plugin));
  if (!first.reproduced) throw new ShrinkError('the artifact does not reproduce its recorded outcome, so it cannot be shrunk');
  const seed = seedFromHex(artifact.seed);
  const c = artifact.cell;
  const space = optionSpace(plugin.arch);
  const runner = new ShrinkRunner({
    plugins: plugin,
    artifact,
    finding,
    space,
    budget: new ShrinkBudget(opts.maxAttempts ?? 4000, opts.timeBudgetMs),
    researchSeeds: Math.min(RESEARCH_SEEDS.length, opts.researchSeeds ?? 8),
  });
  const before: ShrinkSize = {
    steps: want.steps,
    cpus: c.cpus,
    ...workloadSize(artifact, plugin),
    options: nonDefaultOptions(space, c.arch.options),
    preemptions: artifactPreemptions(artifact, plugin),
  };
  const initial = runner.initialState(
    new Simulator(simOptionsFor(plugin, artifact)),
    'explicit' in c.workload ? structuredWorkload(c.workload.explicit) : null,
    first.result,
  );

  let best = runner.apply(decisionsPass, initial).state;
  const doWorkload = opts.workload !== false;
  if (doWorkload && !runner.budget.exhausted && best.workload === null) best = toExplicit(runner, best, seed, finding);
  best = runner.fixpoint(best, shrinkRound(space, opts), [decisionsPass]);
  // Name tasks as the trace does, so the artifact and the printed trace agree.
  if ('params' in c.workload) best = withTraceNames(runner, best, finding);

  // The final artifact must replay exactly; otherwise keep the original (never worse).
  const out = makeArtifact(best.sim, seed, best.result, artifact.runIndex, finding.target);
  const check = replayArtifact(out, plugin.arch, replayOpts(plugin));
  const ok = check.reproduced && matches(finding, check.result) && out.outcome.steps <= want.steps;
  const finalArtifact = ok ? out : artifact;
  const after: ShrinkSize = {
    steps: finalArtifact.outcome.steps,
    cpus: finalArtifact.cell.cpus,
    ...workloadSize(finalArtifact, plugin),
    options: nonDefaultOptions(space, finalArtifact.cell.arch.options),
    preemptions: finalArtifact === artifact ? before.preemptions : artifactPreemptions(finalArtifact, plugin),
  };
  // Started from the shrunk failure and from the original too, so it never has more preemptions than either.
  const depth =
    opts.bugDepth === false
      ? null
      : bugDepth(finalArtifact, plugin, {
          ...opts.bugDepth,
          alsoFrom: [...(finalArtifact !== artifact ? [artifact] : []), ...(opts.bugDepth?.alsoFrom ?? [])],
        });
  return {
    artifact: finalArtifact,
    beforeSteps: want.steps,
    afterSteps: finalArtifact.outcome.steps,
    attempts: runner.budget.attempts,
    budgetExhausted: runner.budget.exhausted,
    before,
    after,
    bugDepth: depth,
  };
}
