/**
 * `lazytlb shrink ARTIFACT`: minimise a failure while it still shows the SAME finding
 * (shrink/target.ts): the same invariant (for I14, at the same use site) for a violation; the
 * same hazard or use site, reached in fewer steps, for an artifact recorded for one (its
 * `target`: candidates stop there, as the replay does).
 *
 * 1. Decision-list shrinking: chunks of the explorer's decision list are removed (halving
 *    chunk sizes down to 1, then dropping every decision of one actor) and the run is
 *    re-played leniently: a recorded decision that is not enabled falls back to the lowest
 *    enabled actor, and so does every step after the list runs out, until the run ends (or
 *    reaches the target). A candidate is kept when it shows the same finding in fewer steps.
 * 2. Configuration and workload shrinking, jointly: a generated workload is converted into an
 *    explicit one (same task ids, mms and programs); then, to a fixpoint, the arch options
 *    (each one at its default, an enum option at its other simpler values: see options.ts),
 *    CPUs (each CPU removed together with the tasks that start on it, or with its tasks moved
 *    to a neighbour), tasks, ops, tick and vCPU preemptions and deep-idle entries are reduced
 *    while the run still shows the same finding in no more steps, and decision shrinking runs
 *    again after every round that changed something. The scheme (and its options), the
 *    preemption model, the memory model, the arch and the mutations never change: they are what
 *    the failure is about. CPUs map to actors by constants.ACTORS_PER_CPU (task, irq, hyp and,
 *    under tso, the store-buffer drain).
 *
 * Every accepted candidate lowers (steps, CPUs, tasks, ops, tick+vCPU preemptions, option
 * simplicity) lexicographically, so the trace never gets longer and the options never get
 * more complex. The search is deterministic (no clocks or randomness in what is tried); it is
 * bounded by an attempt budget (and optionally a wall-clock budget, which makes the result
 * depend on the machine's speed). The result is re-played with core's replayArtifact and
 * must reproduce. Afterwards the bug depth (bug-depth.ts) of the result is measured.
 */
import {
  type Artifact, type ExplicitWorkloadInput, type RunResult, type RunSeed, Simulator, constants as C,
  makeArtifact, replayArtifact, seedFromHex,
} from '@lazytlb/core';
import { type Finding, FindingError, findingOf, matches, reached, runFor, targetMask } from './target.js';
import { artifactPreemptions, type BugDepthOptions, type BugDepthResult, bugDepth } from './bug-depth.js';
import { cellPlugins, type PluginsArg, replayOpts, simOptionsFor, type Workload, workloadOf } from './cell.js';
import { explicitFromRun } from './explicit.js';
import { compareSimplicity, nonDefaultOptions, optionSpace, simplerOptionCandidates } from './options.js';

/** Fixed explorer seeds for re-searching a schedule after a workload reduction (deterministic). */
const RESEARCH_SEEDS: readonly RunSeed[] = Array.from({ length: 32 }, (_, i) => [0x5eed0000 + i, 0x9e3779b9, 0x7f4a7c15 ^ i, 0x2545f491] as RunSeed);

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

interface Best {
  sim: Simulator;
  archOptions: unknown;
  workload: Workload;
  explicit: ExplicitWorkloadInput | null;
  cpus: number;
  decisions: Uint8Array;
  steps: number;
  result: RunResult;
}

class Budget {
  attempts = 0;
  private readonly deadline: number;
  constructor(
    readonly maxAttempts: number,
    timeBudgetMs: number | undefined,
  ) {
    this.deadline = timeBudgetMs !== undefined ? Date.now() + timeBudgetMs : Infinity;
  }
  get exhausted(): boolean {
    return this.attempts >= this.maxAttempts || (this.deadline !== Infinity && Date.now() > this.deadline);
  }
}

/**
 * Re-run `decisions` on `sim` leniently: a decision that is not enabled falls back to the
 * lowest enabled actor, as does every step after the list; stops when the run ends, at
 * `limit` steps, or right after the step where `finding`'s target (a hazard or use site)
 * fires (outcome `stopped`, as Simulator.run with stopAt). Returns the result with the
 * decisions actually taken.
 */
export function lenientRun(sim: Simulator, seed: RunSeed, decisions: ArrayLike<number>, limit = Infinity, finding?: Finding): RunResult {
  const mask = finding !== undefined ? targetMask(sim, finding) : null;
  sim.begin(seed);
  const budget = Math.min(limit, sim.cell.stepBudget);
  for (let i = 0; ; i++) {
    const en = sim.enabledActors();
    if (en.length === 0 || sim.k.step >= budget) break;
    const d = i < decisions.length ? decisions[i]! : -1;
    const a = en.includes(d) ? d : en[0]!;
    if (!sim.stepActor(a)) break;
    if (reached(sim, mask)) return sim.end('stopped', { keepDecisions: true });
  }
  return sim.end(undefined, { keepDecisions: true });
}

function explicitSize(w: ExplicitWorkloadInput): { tasks: number; ops: number } {
  return { tasks: w.tasks.length, ops: w.tasks.reduce((n, t) => n + (t.program?.length ?? 0), 0) };
}

/** Tasks and ops of an artifact's workload (a generated one is drawn for the artifact's seed). */
export function workloadSize(artifact: Artifact, plugin: PluginsArg): { tasks: number; ops: number } {
  const w = artifact.cell.workload;
  if ('explicit' in w) return explicitSize(w.explicit);
  return explicitSize(explicitFromRun(new Simulator(simOptionsFor(plugin, artifact)), seedFromHex(artifact.seed)));
}

interface Rank {
  steps: number;
  cpus: number;
  w: ExplicitWorkloadInput | null;
  options: unknown;
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
  const budget = new Budget(opts.maxAttempts ?? 4000, opts.timeBudgetMs);
  const researchSeeds = Math.min(RESEARCH_SEEDS.length, opts.researchSeeds ?? 8);
  const c = artifact.cell;
  const space = optionSpace(plugin.arch);
  const initialWorkload = workloadOf(artifact);
  const initialSim = new Simulator(simOptionsFor(plugin, artifact));
  let best: Best = {
    sim: initialSim,
    archOptions: c.arch.options,
    workload: initialWorkload,
    explicit: 'explicit' in c.workload ? c.workload.explicit : null,
    cpus: c.cpus,
    decisions: first.result.decisions!,
    steps: first.result.steps,
    result: first.result,
  };
  const before: ShrinkSize = {
    steps: want.steps, cpus: c.cpus, ...workloadSize(artifact, plugin), options: nonDefaultOptions(space, c.arch.options), preemptions: artifactPreemptions(artifact, plugin),
  };

  /** (steps, cpus, tasks, ops, tick+vCPU preemptions+deep idles, option simplicity): lexicographically smaller is better. */
  const better = (a: Rank, b: Rank): boolean => {
    if (a.steps !== b.steps) return a.steps < b.steps;
    if (a.cpus !== b.cpus) return a.cpus < b.cpus;
    if (a.w !== null && b.w !== null) {
      const sa = explicitSize(a.w);
      const sb = explicitSize(b.w);
      if (sa.tasks !== sb.tasks) return sa.tasks < sb.tasks;
      if (sa.ops !== sb.ops) return sa.ops < sb.ops;
      const ta = (a.w.tickPreemptions ?? 0) + (a.w.vcpuPreemptions ?? 0) + (a.w.deepIdles ?? 0);
      const tb = (b.w.tickPreemptions ?? 0) + (b.w.vcpuPreemptions ?? 0) + (b.w.deepIdles ?? 0);
      if (ta !== tb) return ta < tb;
    } else if (a.w !== b.w) {
      return false; // a generated and an explicit workload: not comparable beyond steps and CPUs
    }
    return compareSimplicity(space, a.options, b.options) < 0;
  };

  /** Run a candidate; returns the new best if it is better, else null. */
  const attempt = (sim: Simulator, archOptions: unknown, w: Workload, explicit: ExplicitWorkloadInput | null, cpus: number, decisions: ArrayLike<number>, allowEqualSteps: boolean): Best | null => {
    if (budget.exhausted) return null;
    budget.attempts++;
    const r = lenientRun(sim, seed, decisions, allowEqualSteps ? best.steps : best.steps - 1, finding);
    if (!matches(finding, r)) return null;
    const cand: Best = { sim, archOptions, workload: w, explicit, cpus, decisions: r.decisions!, steps: r.steps, result: r };
    const rank = (x: Best): Rank => ({ steps: x.steps, cpus: x.cpus, w: x.explicit, options: x.archOptions });
    return better(rank(cand), rank(best)) ? cand : null;
  };

  const shrinkDecisions = (): boolean => {
    let improved = false;
    for (let chunk = Math.max(1, best.decisions.length >> 1); chunk >= 1 && !budget.exhausted; chunk >>= 1) {
      for (let i = 0; i < best.decisions.length && !budget.exhausted; ) {
        const d = best.decisions;
        const cand = new Uint8Array(d.length - Math.min(chunk, d.length - i));
        cand.set(d.subarray(0, i));
        cand.set(d.subarray(Math.min(d.length, i + chunk)), i);
        const b = attempt(best.sim, best.archOptions, best.workload, best.explicit, best.cpus, cand, false);
        if (b !== null) {
          best = b;
          improved = true;
        } else {
          i += chunk;
        }
      }
    }
    // Drop every decision of one actor (what that CPU's task or interrupt did), highest actor first.
    const actors = [...new Set(best.decisions)].sort((a, b) => b - a);
    for (const a of actors) {
      if (budget.exhausted) break;
      const b = attempt(best.sim, best.archOptions, best.workload, best.explicit, best.cpus, best.decisions.filter((x) => x !== a), false);
      if (b !== null) {
        best = b;
        improved = true;
      }
    }
    return improved;
  };

  const newSim = (archOptions: unknown, cpus: number, w: Workload): Simulator | null => {
    try {
      return new Simulator(simOptionsFor(plugin, artifact, { archOptions, cpus, workload: w }));
    } catch {
      return null; // not a valid cell (e.g. an op names a removed CPU, or an invalid option combination)
    }
  };

  const tryWorkload = (cpus: number, w: ExplicitWorkloadInput, decisions: ArrayLike<number>): boolean => {
    const sim = newSim(best.archOptions, cpus, { explicit: w });
    if (sim === null) return false;
    let b = attempt(sim, best.archOptions, { explicit: w }, w, cpus, decisions, true);
    // The old schedule does not fit the smaller workload: search it with the cell's own
    // strategy over a few fixed explorer seeds (the workload is explicit, so the seed only
    // drives the explorer), and keep the first schedule that still fails the same way.
    for (let i = 0; b === null && i < researchSeeds && !budget.exhausted; i++) {
      budget.attempts++;
      const r = runFor(sim, RESEARCH_SEEDS[i]!, finding);
      if (matches(finding, r) && r.steps <= best.steps) {
        b = attempt(sim, best.archOptions, { explicit: w }, w, cpus, r.decisions!, true);
      }
    }
    if (b === null) return false;
    best = b;
    return true;
  };

  /** Simpler arch options, one change at a time, same workload and decisions. */
  const shrinkOptions = (): boolean => {
    let improved = false;
    for (let again = true; again && !budget.exhausted; ) {
      again = false;
      for (const o of simplerOptionCandidates(space, best.archOptions)) {
        if (budget.exhausted) break;
        const sim = newSim(o, best.cpus, best.workload);
        if (sim === null) continue;
        const b = attempt(sim, sim.cell.arch.options, best.workload, best.explicit, best.cpus, best.decisions, true);
        if (b !== null) {
          best = b;
          improved = again = true;
          break; // the candidates depend on the options: list them again
        }
      }
    }
    return improved;
  };

  const cpuOfActor = (a: number): number => Math.floor(a / C.ACTORS_PER_CPU);

  const shrinkWorkload = (): boolean => {
    let improved = false;
    // Fewer CPUs: remove CPU x, renumbering the ones above it, either together with the tasks
    // that start on it (and its actors' decisions), or moving its tasks and actors to x-1 (or 0).
    for (let x = best.cpus - 1; x >= 0 && best.cpus > 1 && !budget.exhausted; x--) {
      const n = best.cpus - 1;
      const map = (cpu: number): number => (cpu === x ? Math.max(0, Math.min(x - 1, n - 1)) : cpu > x ? cpu - 1 : cpu);
      const remapActor = (a: number): number => map(cpuOfActor(a)) * C.ACTORS_PER_CPU + (a % C.ACTORS_PER_CPU);
      const tasks = best.explicit!.tasks;
      const onX = tasks.flatMap((t, i) => (t.cpu === x ? [i] : []));
      if (onX.length > 0 && onX.length < tasks.length) {
        let w = best.explicit!;
        for (let i = onX.length - 1; i >= 0; i--) w = removeTask(w, onX[i]!);
        const decisions = best.decisions.filter((a) => cpuOfActor(a) !== x).map(remapActor);
        if (tryWorkload(n, remapCpus(w, map), decisions)) {
          improved = true;
          continue;
        }
      }
      if (tryWorkload(n, remapCpus(best.explicit!, map), best.decisions.map(remapActor))) improved = true;
    }
    // Fewer tasks (last first, so earlier names stay put): drop the task, or drop it and start
    // the children it forks or clones at boot instead.
    for (let i = best.explicit!.tasks.length - 1; i >= 0 && !budget.exhausted; i--) {
      if (best.explicit!.tasks.length <= 1 || i >= best.explicit!.tasks.length) continue;
      if (tryWorkload(best.cpus, removeTask(best.explicit!, i), best.decisions)) {
        improved = true;
        continue;
      }
      const promoted = removeTaskStartingChildren(best.explicit!, i);
      if (promoted !== null && tryWorkload(best.cpus, promoted, best.decisions)) improved = true;
    }
    // Fewer ops (never the final exit).
    for (let i = best.explicit!.tasks.length - 1; i >= 0 && !budget.exhausted; i--) {
      for (let j = (best.explicit!.tasks[i]?.program?.length ?? 0) - 1; j >= 0 && !budget.exhausted; j--) {
        const prog = best.explicit!.tasks[i]!.program ?? [];
        if (j >= prog.length || (j === prog.length - 1 && prog[j]!.trim() === 'exit')) continue;
        if (tryWorkload(best.cpus, removeOp(best.explicit!, i, j), best.decisions)) improved = true;
      }
    }
    // No tick or vCPU preemptions, no deep-idle entries.
    for (const key of ['tickPreemptions', 'vcpuPreemptions', 'deepIdles'] as const) {
      if ((best.explicit![key] ?? 0) > 0 && !budget.exhausted) {
        if (tryWorkload(best.cpus, { ...best.explicit!, [key]: 0 }, best.decisions)) improved = true;
      }
    }
    return improved;
  };

  shrinkDecisions();
  const doWorkload = opts.workload !== false;
  if (doWorkload && !budget.exhausted && best.explicit === null) {
    // Convert the generated workload; keep it if it fails the same way in no more steps.
    const w = explicitFromRun(best.sim, seed);
    const sim = newSim(best.archOptions, best.cpus, { explicit: w });
    if (sim !== null && !budget.exhausted) {
      budget.attempts++;
      const r = lenientRun(sim, seed, best.decisions, best.steps, finding);
      if (matches(finding, r) && r.steps <= best.steps) {
        best = { sim, archOptions: best.archOptions, workload: { explicit: w }, explicit: w, cpus: best.cpus, decisions: r.decisions!, steps: r.steps, result: r };
      }
    }
  }
  while (!budget.exhausted) {
    let improved = opts.options !== false && shrinkOptions();
    if (doWorkload && best.explicit !== null) improved = shrinkWorkload() || improved;
    if (!improved) break;
    shrinkDecisions();
  }

  // Name tasks as the trace does (T<id> / K<id>), so the artifact and the printed trace agree.
  if (best.explicit !== null && 'params' in c.workload) {
    const renamed = renameTasks(best.explicit, best.cpus);
    const sim = newSim(best.archOptions, best.cpus, { explicit: renamed });
    if (sim !== null) {
      const r = lenientRun(sim, seed, best.decisions, Infinity, finding);
      if (matches(finding, r) && r.steps === best.steps) {
        best = { ...best, sim, workload: { explicit: renamed }, explicit: renamed, decisions: r.decisions!, result: r };
      }
    }
  }
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
  const depth = opts.bugDepth === false
    ? null
    : bugDepth(finalArtifact, plugin, { ...opts.bugDepth, alsoFrom: [...(finalArtifact !== artifact ? [artifact] : []), ...(opts.bugDepth?.alsoFrom ?? [])] });
  return {
    artifact: finalArtifact,
    beforeSteps: want.steps,
    afterSteps: finalArtifact.outcome.steps,
    attempts: budget.attempts,
    budgetExhausted: budget.exhausted,
    before,
    after,
    bugDepth: depth,
  };
}

/** Renumber CPUs in task placement and sleep/migrate/cpu_up ops. */
export function remapCpus(w: ExplicitWorkloadInput, map: (cpu: number) => number): ExplicitWorkloadInput {
  return {
    ...w,
    tasks: w.tasks.map((t) => ({
      ...t,
      cpu: map(t.cpu),
      program: (t.program ?? []).map((op) => {
        const m = /^(sleep|migrate|cpu_up)\s+(\d+)$/.exec(op.trim());
        return m !== null ? `${m[1]} ${map(Number(m[2]))}` : op;
      }),
    })),
  };
}

const escapeName = (name: string): string => name.replace(/\./g, '\\.');

/**
 * Remove task i and the ops that start it (clone, fork, use_mm_setup, cpu_down, and an
 * io_uring_setup naming it: the ring's other task is then never started). When no task left
 * starts with task i's mm, the khugepaged / reclaim ops naming that mm go too (an explicit
 * workload's mm ops must name an mm that exists when the run starts).
 */
export function removeTask(w: ExplicitWorkloadInput, i: number): ExplicitWorkloadInput {
  const gone = w.tasks[i]!;
  const n = escapeName(gone.name);
  const starts = new RegExp(`^((clone|fork|use_mm_setup|cpu_down)\\s+${n}|io_uring_setup\\s+(${n}\\s+\\S+|\\S+\\s+${n}))$`);
  const rest = w.tasks.filter((_, j) => j !== i);
  const mm = gone.unstarted !== true ? gone.mm : undefined;
  const mmGone = mm !== undefined && !rest.some((t) => t.mm === mm && t.unstarted !== true);
  const usesMm = mmGone ? new RegExp(`^(khugepaged|reclaim)\\s+${escapeName(mm)}$`) : null;
  return {
    ...w,
    tasks: rest.map((t) => ({ ...t, program: (t.program ?? []).filter((op) => !starts.test(op.trim()) && !(usesMm?.test(op.trim()) ?? false)) })),
  };
}

/**
 * Remove task i and start the tasks it forks or clones at boot instead (a forked child with
 * an mm of its own, a cloned thread in task i's mm); null when task i starts none.
 */
export function removeTaskStartingChildren(w: ExplicitWorkloadInput, i: number): ExplicitWorkloadInput | null {
  const parent = w.tasks[i]!;
  const children = new Map<string, 'fork' | 'clone'>();
  for (const op of parent.program ?? []) {
    const m = /^(clone|fork)\s+(\S+)$/.exec(op.trim());
    if (m !== null) children.set(m[2]!, m[1] as 'fork' | 'clone');
  }
  if (children.size === 0 || parent.kind !== 'user') return null;
  const used = new Set(w.tasks.flatMap((t) => (t.mm !== undefined ? [t.mm] : [])));
  const fresh = (base: string): string => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  };
  const parentMm = parent.mm ?? fresh(`mm_${parent.name.replace(/\./g, '_')}`);
  return {
    ...w,
    tasks: w.tasks
      .filter((_, j) => j !== i)
      .map((t) => {
        const how = children.get(t.name);
        if (how === undefined || t.unstarted !== true || t.kind !== 'user') return t;
        const { unstarted: _u, ...rest } = t;
        return { ...rest, mm: how === 'clone' ? parentMm : fresh(`mm_${t.name.replace(/\./g, '_')}`) };
      }),
  };
}

/** Rename tasks to their trace names (T<id> user, K<id> kernel thread; ids start after the ncpu idle tasks). */
export function renameTasks(w: ExplicitWorkloadInput, ncpu: number): ExplicitWorkloadInput {
  const names = new Map(w.tasks.map((t, i) => [t.name, `${t.kind === 'user' ? 'T' : 'K'}${ncpu + i}`]));
  return {
    ...w,
    tasks: w.tasks.map((t) => ({
      ...t,
      name: names.get(t.name)!,
      program: (t.program ?? []).map((op) => {
        const m = /^(clone|fork|use_mm_setup|cpu_down)\s+(\S+)$/.exec(op.trim());
        if (m !== null) return names.has(m[2]!) ? `${m[1]} ${names.get(m[2]!)}` : op;
        const io = /^io_uring_setup\s+(\S+)\s+(\S+)$/.exec(op.trim());
        return io !== null ? `io_uring_setup ${names.get(io[1]!) ?? io[1]} ${names.get(io[2]!) ?? io[2]}` : op;
      }),
    })),
  };
}

/** Remove op j of task i. */
export function removeOp(w: ExplicitWorkloadInput, i: number, j: number): ExplicitWorkloadInput {
  return { ...w, tasks: w.tasks.map((t, k) => (k === i ? { ...t, program: (t.program ?? []).filter((_, m) => m !== j) } : t)) };
}
