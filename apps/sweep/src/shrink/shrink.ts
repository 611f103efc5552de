/**
 * `lazytlb shrink ARTIFACT`: minimise a failure while it still violates the SAME invariant.
 *
 * 1. Decision-list shrinking: chunks of the explorer's decision list are removed (halving
 *    chunk sizes down to 1, then dropping every decision of one actor) and the run is
 *    re-played leniently: a recorded decision that is not enabled falls back to the lowest
 *    enabled actor, and so does every step after the list runs out, until the run ends. A
 *    candidate is kept when it violates the same invariant in fewer steps.
 * 2. Workload shrinking: a generated workload is converted into an explicit one (same task
 *    ids, mms and programs), then CPUs, tasks, ops, tick and vCPU preemptions are removed
 *    while the run still violates the same invariant in no more steps. Decision shrinking
 *    runs again after every workload reduction, to a fixpoint.
 *
 * Every accepted candidate lowers (steps, CPUs, tasks, ops) lexicographically, so the trace
 * never gets longer, and it is strictly shorter whenever any of the tried reductions shortens
 * it. The search is deterministic (no clocks or randomness in what is tried); it is bounded by
 * an attempt budget (and optionally a wall-clock budget, which makes the result depend on the
 * machine's speed). The result is re-played with core's replayArtifact and must reproduce.
 */
import {
  type Artifact, type ArchPlugin, type ExplicitWorkloadInput, type RunResult, type RunSeed, Simulator, type SimulatorOptions, constants as C,
  makeArtifact, replayArtifact, seedFromHex,
} from '@lazytlb/core';
import { explicitFromRun } from './explicit.js';

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
}

export interface ShrinkResult {
  readonly artifact: Artifact;
  readonly beforeSteps: number;
  readonly afterSteps: number;
  readonly attempts: number;
  /** The budget ran out before a fixpoint was reached. */
  readonly budgetExhausted: boolean;
  readonly before: { readonly cpus: number; readonly tasks: number | null; readonly ops: number | null };
  readonly after: { readonly cpus: number; readonly tasks: number | null; readonly ops: number | null };
}

type Workload = SimulatorOptions['workload'];

interface Best {
  sim: Simulator;
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
 * lowest enabled actor, as does every step after the list; stops when the run ends or at
 * `limit` steps. Returns the result with the decisions actually taken.
 */
export function lenientRun(sim: Simulator, seed: RunSeed, decisions: ArrayLike<number>, limit = Infinity): RunResult {
  sim.begin(seed);
  const budget = Math.min(limit, sim.cell.stepBudget);
  for (let i = 0; ; i++) {
    const en = sim.enabledActors();
    if (en.length === 0 || sim.k.step >= budget) break;
    const d = i < decisions.length ? decisions[i]! : -1;
    const a = en.includes(d) ? d : en[0]!;
    if (!sim.stepActor(a)) break;
  }
  return sim.end(undefined, { keepDecisions: true });
}

function explicitSize(w: ExplicitWorkloadInput | null): { tasks: number | null; ops: number | null } {
  if (w === null) return { tasks: null, ops: null };
  return { tasks: w.tasks.length, ops: w.tasks.reduce((n, t) => n + (t.program?.length ?? 0), 0) };
}

/** (steps, cpus, tasks, ops): lexicographically smaller is better. */
function better(a: { steps: number; cpus: number; w: ExplicitWorkloadInput | null }, b: { steps: number; cpus: number; w: ExplicitWorkloadInput | null }): boolean {
  if (a.steps !== b.steps) return a.steps < b.steps;
  if (a.cpus !== b.cpus) return a.cpus < b.cpus;
  const sa = explicitSize(a.w);
  const sb = explicitSize(b.w);
  if (sa.tasks === null || sb.tasks === null) return false;
  if (sa.tasks !== sb.tasks) return sa.tasks < sb.tasks;
  if (sa.ops! !== sb.ops!) return sa.ops! < sb.ops!;
  const ta = (a.w!.tickPreemptions ?? 0) + (a.w!.vcpuPreemptions ?? 0);
  const tb = (b.w!.tickPreemptions ?? 0) + (b.w!.vcpuPreemptions ?? 0);
  return ta < tb;
}

function simOptions(plugin: ArchPlugin<unknown>, artifact: Artifact, cpus: number, workload: Workload): SimulatorOptions {
  const c = artifact.cell;
  return { plugin, archOptions: c.arch.options, scheme: c.scheme, cpus, workload, strategy: c.strategy, stepBudget: c.stepBudget };
}

/** Minimise a failing artifact; the result still violates the same invariant and replays exactly. */
export function shrinkArtifact(artifact: Artifact, plugin: ArchPlugin<any>, opts: ShrinkOptions = {}): ShrinkResult {
  const want = artifact.outcome;
  if (want.kind !== 'violation' || want.invariant === undefined) {
    throw new ShrinkError(`nothing to shrink: the artifact's run ended ${want.kind}, not in an invariant violation`);
  }
  const first = replayArtifact(artifact, plugin);
  if (!first.reproduced) throw new ShrinkError('the artifact does not reproduce its recorded outcome, so it cannot be shrunk');
  const seed = seedFromHex(artifact.seed);
  const inv = want.invariant;
  const budget = new Budget(opts.maxAttempts ?? 4000, opts.timeBudgetMs);
  const c = artifact.cell;
  const initialWorkload: Workload = 'explicit' in c.workload ? { explicit: c.workload.explicit } : { profile: c.workload.profile, params: c.workload.params };
  const initialSim = new Simulator(simOptions(plugin, artifact, c.cpus, initialWorkload));
  let best: Best = {
    sim: initialSim,
    workload: initialWorkload,
    explicit: 'explicit' in c.workload ? c.workload.explicit : null,
    cpus: c.cpus,
    decisions: first.result.decisions!,
    steps: first.result.steps,
    result: first.result,
  };
  const before = { cpus: c.cpus, ...explicitSize(best.explicit) };

  /** Run a candidate; returns the new best if it is better, else null. */
  const attempt = (sim: Simulator, w: Workload, explicit: ExplicitWorkloadInput | null, cpus: number, decisions: ArrayLike<number>, allowEqualSteps: boolean): Best | null => {
    if (budget.exhausted) return null;
    budget.attempts++;
    const r = lenientRun(sim, seed, decisions, allowEqualSteps ? best.steps : best.steps - 1);
    if (r.outcome !== 'violation' || r.violation?.invariant !== inv) return null;
    const cand = { sim, workload: w, explicit, cpus, decisions: r.decisions!, steps: r.steps, result: r };
    return better({ steps: r.steps, cpus, w: explicit }, { steps: best.steps, cpus: best.cpus, w: best.explicit }) ? cand : null;
  };

  const shrinkDecisions = (): boolean => {
    let improved = false;
    for (let chunk = Math.max(1, best.decisions.length >> 1); chunk >= 1 && !budget.exhausted; chunk >>= 1) {
      for (let i = 0; i < best.decisions.length && !budget.exhausted; ) {
        const d = best.decisions;
        const cand = new Uint8Array(d.length - Math.min(chunk, d.length - i));
        cand.set(d.subarray(0, i));
        cand.set(d.subarray(Math.min(d.length, i + chunk)), i);
        const b = attempt(best.sim, best.workload, best.explicit, best.cpus, cand, false);
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
      const b = attempt(best.sim, best.workload, best.explicit, best.cpus, best.decisions.filter((x) => x !== a), false);
      if (b !== null) {
        best = b;
        improved = true;
      }
    }
    return improved;
  };

  const newSim = (cpus: number, w: ExplicitWorkloadInput): Simulator | null => {
    try {
      return new Simulator(simOptions(plugin, artifact, cpus, { explicit: w }));
    } catch {
      return null; // the reduced workload is not valid (e.g. an op names a removed CPU)
    }
  };

  const tryWorkload = (cpus: number, w: ExplicitWorkloadInput, decisions: ArrayLike<number>): boolean => {
    const sim = newSim(cpus, w);
    if (sim === null) return false;
    const b = attempt(sim, { explicit: w }, w, cpus, decisions, true);
    if (b === null) return false;
    best = b;
    return true;
  };

  const shrinkWorkload = (): boolean => {
    let improved = false;
    // Fewer CPUs: remove CPU x, renumbering the ones above it; its tasks and actors move to x-1 (or 0).
    for (let x = best.cpus - 1; x >= 0 && best.cpus > 1 && !budget.exhausted; x--) {
      const n = best.cpus - 1;
      const map = (cpu: number): number => (cpu === x ? Math.max(0, Math.min(x - 1, n - 1)) : cpu > x ? cpu - 1 : cpu);
      const w = remapCpus(best.explicit!, map);
      const decisions = best.decisions.map((a) => map(Math.floor(a / C.ACTORS_PER_CPU)) * C.ACTORS_PER_CPU + (a % C.ACTORS_PER_CPU));
      if (tryWorkload(n, w, decisions)) improved = true;
    }
    // Fewer tasks (last first, so earlier names stay put).
    for (let i = best.explicit!.tasks.length - 1; i >= 0 && !budget.exhausted; i--) {
      if (best.explicit!.tasks.length <= 1 || i >= best.explicit!.tasks.length) continue;
      if (tryWorkload(best.cpus, removeTask(best.explicit!, i), best.decisions)) improved = true;
    }
    // Fewer ops (never the final exit).
    for (let i = best.explicit!.tasks.length - 1; i >= 0 && !budget.exhausted; i--) {
      for (let j = (best.explicit!.tasks[i]?.program?.length ?? 0) - 1; j >= 0 && !budget.exhausted; j--) {
        const prog = best.explicit!.tasks[i]!.program ?? [];
        if (j >= prog.length || (j === prog.length - 1 && prog[j]!.trim() === 'exit')) continue;
        if (tryWorkload(best.cpus, removeOp(best.explicit!, i, j), best.decisions)) improved = true;
      }
    }
    // No tick or vCPU preemptions.
    for (const key of ['tickPreemptions', 'vcpuPreemptions'] as const) {
      if ((best.explicit![key] ?? 0) > 0 && !budget.exhausted) {
        if (tryWorkload(best.cpus, { ...best.explicit!, [key]: 0 }, best.decisions)) improved = true;
      }
    }
    return improved;
  };

  shrinkDecisions();
  if (opts.workload !== false && !budget.exhausted) {
    if (best.explicit === null) {
      // Convert the generated workload; keep it if it fails the same way in no more steps.
      const w = explicitFromRun(best.sim, seed);
      const sim = newSim(best.cpus, w);
      if (sim !== null && !budget.exhausted) {
        budget.attempts++;
        const r = lenientRun(sim, seed, best.decisions, best.steps);
        if (r.outcome === 'violation' && r.violation?.invariant === inv && r.steps <= best.steps) {
          best = { sim, workload: { explicit: w }, explicit: w, cpus: best.cpus, decisions: r.decisions!, steps: r.steps, result: r };
        }
      }
    }
    if (best.explicit !== null) {
      while (!budget.exhausted && shrinkWorkload()) shrinkDecisions();
    }
  }

  // Name tasks as the trace does (T<id> / K<id>), so the artifact and the printed trace agree.
  if (best.explicit !== null && 'params' in c.workload) {
    const renamed = renameTasks(best.explicit, best.cpus);
    const sim = newSim(best.cpus, renamed);
    if (sim !== null) {
      const r = lenientRun(sim, seed, best.decisions);
      if (r.outcome === 'violation' && r.violation?.invariant === inv && r.steps === best.steps) {
        best = { sim, workload: { explicit: renamed }, explicit: renamed, cpus: best.cpus, decisions: r.decisions!, steps: r.steps, result: r };
      }
    }
  }
  // The final artifact must replay exactly; otherwise keep the original (never worse).
  const out = makeArtifact(best.sim.cell, seed, best.result, artifact.runIndex);
  const check = replayArtifact(out, plugin);
  const ok = check.reproduced && check.result.violation?.invariant === inv && out.outcome.steps <= want.steps;
  const finalArtifact = ok ? out : artifact;
  const afterExplicit = ok ? best.explicit : 'explicit' in c.workload ? c.workload.explicit : null;
  return {
    artifact: finalArtifact,
    beforeSteps: want.steps,
    afterSteps: finalArtifact.outcome.steps,
    attempts: budget.attempts,
    budgetExhausted: budget.exhausted,
    before,
    after: { cpus: finalArtifact.cell.cpus, ...explicitSize(afterExplicit) },
  };
}

/** Renumber CPUs in task placement and sleep/migrate ops. */
export function remapCpus(w: ExplicitWorkloadInput, map: (cpu: number) => number): ExplicitWorkloadInput {
  return {
    ...w,
    tasks: w.tasks.map((t) => ({
      ...t,
      cpu: map(t.cpu),
      program: (t.program ?? []).map((op) => {
        const m = /^(sleep|migrate)\s+(\d+)$/.exec(op.trim());
        return m !== null ? `${m[1]} ${map(Number(m[2]))}` : op;
      }),
    })),
  };
}

/** Remove task i and the ops that start it. */
export function removeTask(w: ExplicitWorkloadInput, i: number): ExplicitWorkloadInput {
  const name = w.tasks[i]!.name;
  return {
    ...w,
    tasks: w.tasks
      .filter((_, j) => j !== i)
      .map((t) => ({ ...t, program: (t.program ?? []).filter((op) => !new RegExp(`^(clone|fork|io_uring_setup)\\s+${name.replace(/\./g, '\\.')}$`).test(op.trim())) })),
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
        const m = /^(clone|fork|io_uring_setup)\s+(\S+)$/.exec(op.trim());
        return m !== null && names.has(m[2]!) ? `${m[1]} ${names.get(m[2]!)}` : op;
      }),
    })),
  };
}

/** Remove op j of task i. */
export function removeOp(w: ExplicitWorkloadInput, i: number, j: number): ExplicitWorkloadInput {
  return { ...w, tasks: w.tasks.map((t, k) => (k === i ? { ...t, program: (t.program ?? []).filter((_, m) => m !== j) } : t)) };
}
