/**
 * The shrink runner: runs the candidates passes offer (pass.ts, passes.ts) and decides which are
 * kept. A candidate's run is a lenient replay of its decision list (core's LenientReplayExplorer:
 * a decision that is not enabled falls back to the lowest enabled actor, as does every step after
 * the list) on the candidate's cell, stopping at the finding's target (stopAt) and at the current
 * failure's step count. It is kept when it shows the same finding (target.ts) and is smaller:
 *
 *   (steps, CPUs, tasks, ops, op complexity, tick+vCPU preemptions+deep idles, option simplicity)
 *
 * lexicographically lower, a candidate that changes only the decisions taking strictly fewer
 * steps. When a candidate with another workload or fewer CPUs does not fail on its own decision
 * list, its schedule is searched again with the cell's own strategy over a few fixed explorer
 * seeds (the workload is explicit, so the seed only drives the explorer); the first schedule that
 * fails the same way in no more steps is tried instead. Everything is deterministic and counted
 * against an attempt budget (and optionally a wall-clock one).
 */
import { type Artifact, LenientReplayExplorer, type RunResult, type RunSeed, Simulator, seedFromHex } from '@lazytlb/core';
import { type CellPlugins, simOptionsFor, type Workload, workloadOf } from './cell.js';
import { compareSimplicity, type OptionSpace } from './options.js';
import { type Candidate, drivePass, type ShrinkPass, type ShrinkSubject } from './pass.js';
import { type Finding, matches, runFor } from './target.js';
import { explicitInput, type ShrinkWorkload, workloadBudgets, workloadCounts, workloadOpComplexity } from './workload.js';

/** Fixed explorer seeds for re-searching a schedule after a workload reduction (deterministic). */
export const RESEARCH_SEEDS: readonly RunSeed[] = Array.from({ length: 32 }, (_, i) => [0x5eed0000 + i, 0x9e3779b9, 0x7f4a7c15 ^ i, 0x2545f491] as RunSeed);

/** The current failure: what passes see, and the simulator and run it came from. */
export interface ShrinkState extends ShrinkSubject {
  readonly sim: Simulator;
  /** The Simulator's workload input (the artifact's own until a candidate changes the workload). */
  readonly input: Workload;
  readonly steps: number;
  readonly result: RunResult;
}

/** What the order of failures compares: steps, CPUs, workload size, option simplicity. */
export interface ShrinkRank {
  readonly steps: number;
  readonly cpus: number;
  readonly workload: ShrinkWorkload | null;
  readonly archOptions: unknown;
}

/**
 * `a` is a smaller failure than `b`: (steps, CPUs, tasks, ops, op complexity (workload.ts's
 * opComplexity summed over the ops), tick+vCPU preemptions+deep idles, option simplicity)
 * lexicographically lower. A generated workload (null) and an explicit one are not comparable
 * beyond steps and CPUs.
 */
export function smallerFailure(space: OptionSpace, a: ShrinkRank, b: ShrinkRank): boolean {
  if (a.steps !== b.steps) return a.steps < b.steps;
  if (a.cpus !== b.cpus) return a.cpus < b.cpus;
  if (a.workload !== null && b.workload !== null) {
    const sa = workloadCounts(a.workload);
    const sb = workloadCounts(b.workload);
    if (sa.tasks !== sb.tasks) return sa.tasks < sb.tasks;
    if (sa.ops !== sb.ops) return sa.ops < sb.ops;
    const ca = workloadOpComplexity(a.workload);
    const cb = workloadOpComplexity(b.workload);
    if (ca !== cb) return ca < cb;
    const ta = workloadBudgets(a.workload);
    const tb = workloadBudgets(b.workload);
    if (ta !== tb) return ta < tb;
  } else if (a.workload !== b.workload) {
    return false;
  }
  return compareSimplicity(space, a.archOptions, b.archOptions) < 0;
}

export class ShrinkBudget {
  attempts = 0;
  private readonly deadline: number;
  constructor(
    readonly maxAttempts: number,
    timeBudgetMs?: number,
  ) {
    this.deadline = timeBudgetMs !== undefined ? Date.now() + timeBudgetMs : Infinity;
  }
  get exhausted(): boolean {
    return this.attempts >= this.maxAttempts || (this.deadline !== Infinity && Date.now() > this.deadline);
  }
}

export interface ShrinkRunnerOptions {
  readonly plugins: CellPlugins;
  readonly artifact: Artifact;
  readonly finding: Finding;
  readonly space: OptionSpace;
  readonly budget: ShrinkBudget;
  /** Explorer seeds (of RESEARCH_SEEDS) tried when a smaller workload does not fail on the old schedule. */
  readonly researchSeeds: number;
}

export class ShrinkRunner {
  readonly budget: ShrinkBudget;
  private readonly seed: RunSeed;

  constructor(private readonly o: ShrinkRunnerOptions) {
    this.budget = o.budget;
    this.seed = seedFromHex(o.artifact.seed);
  }

  /**
   * Lenient replay of `decisions` on `sim` (core's LenientReplayExplorer), at most `limit` steps,
   * stopping at the finding's target; the result keeps the decisions taken.
   */
  lenientRun(sim: Simulator, decisions: ArrayLike<number>, limit = Infinity): RunResult {
    const t = this.o.finding.target;
    return sim.run(this.seed, { explorer: new LenientReplayExplorer(decisions, limit), keepDecisions: true, ...(t !== undefined ? { stopAt: t } : {}) });
  }

  /**
   * A simulator of the artifact's cell with these arch options, CPUs and workload; null when that
   * is no valid cell (an op names a removed CPU, an invalid option combination) or one that does
   * not declare the finding's use site (it cannot show the finding).
   */
  simFor(archOptions: unknown, cpus: number, workload: Workload): Simulator | null {
    let sim: Simulator;
    try {
      sim = new Simulator(simOptionsFor(this.o.plugins, this.o.artifact, { archOptions, cpus, workload }));
    } catch {
      return null;
    }
    const t = this.o.finding.target;
    return t !== undefined && 'site' in t && !sim.sites.includes(t.site) ? null : sim;
  }

  /** The Simulator input of a candidate's workload (absent: the current one). */
  private inputOf(cur: ShrinkState, w: ShrinkWorkload | undefined): Workload {
    return w === undefined ? cur.input : { explicit: explicitInput(w) };
  }

  /** Run one candidate decision list on `sim`; the new state if it shows the finding and is a smaller failure than `cur`. */
  private attempt(
    cur: ShrinkState,
    sim: Simulator,
    next: Omit<ShrinkState, 'sim' | 'decisions' | 'steps' | 'result'>,
    decisions: ArrayLike<number>,
    allowEqualSteps: boolean,
  ): ShrinkState | null {
    if (this.budget.exhausted) return null;
    this.budget.attempts++;
    const r = this.lenientRun(sim, decisions, allowEqualSteps ? cur.steps : cur.steps - 1);
    if (!matches(this.o.finding, r)) return null;
    const cand: ShrinkState = { ...next, sim, decisions: r.decisions!, steps: r.steps, result: r };
    return smallerFailure(this.o.space, cand, cur) ? cand : null;
  }

  /** Evaluate a candidate against the current failure: the new current failure, or null. */
  evaluate(cur: ShrinkState, c: Candidate): ShrinkState | null {
    const cellChange = c.archOptions !== undefined || c.cpus !== undefined || c.workload !== undefined;
    if (!cellChange) return this.attempt(cur, cur.sim, cur, c.decisions, false);
    const cpus = c.cpus ?? cur.cpus;
    const input = this.inputOf(cur, c.workload);
    const sim = this.simFor(c.archOptions ?? cur.archOptions, cpus, input);
    if (sim === null) return null;
    const next = {
      archOptions: c.archOptions !== undefined ? sim.cell.arch.options : cur.archOptions,
      cpus,
      workload: c.workload ?? cur.workload,
      input,
    };
    let b = this.attempt(cur, sim, next, c.decisions, true);
    if (c.cpus === undefined && c.workload === undefined) return b;
    // The old schedule does not fit the smaller workload: search it with the cell's own
    // strategy over a few fixed explorer seeds, and keep the first that still fails the same way.
    for (let i = 0; b === null && i < this.o.researchSeeds && !this.budget.exhausted; i++) {
      this.budget.attempts++;
      const r = runFor(sim, RESEARCH_SEEDS[i]!, this.o.finding);
      if (matches(this.o.finding, r) && r.steps <= cur.steps) b = this.attempt(cur, sim, next, r.decisions!, true);
    }
    return b;
  }

  /** Run `pass` from `state` until it has nothing more to offer or the budget is spent. */
  apply(pass: ShrinkPass, state: ShrinkState): { state: ShrinkState; improved: boolean } {
    const { subject, accepted } = drivePass(
      pass,
      state,
      (c, cur) => this.evaluate(cur, c) ?? undefined,
      () => this.budget.exhausted,
    );
    return { state: subject, improved: accepted.length > 0 };
  }

  /**
   * Rounds to a fixpoint: each round runs `passes` in order; after a round that changed
   * something, `polish` (the decision pass) runs, then another round; ends after a round that
   * changed nothing, or when the budget is spent.
   */
  fixpoint(state: ShrinkState, passes: readonly ShrinkPass[], polish: readonly ShrinkPass[]): ShrinkState {
    let cur = state;
    while (!this.budget.exhausted) {
      let improved = false;
      for (const p of passes) {
        const r = this.apply(p, cur);
        cur = r.state;
        improved = r.improved || improved;
      }
      if (!improved) break;
      for (const p of polish) cur = this.apply(p, cur).state;
    }
    return cur;
  }

  /** The state of the artifact's own run (`result`: its exact replay). */
  initialState(sim: Simulator, workload: ShrinkWorkload | null, result: RunResult): ShrinkState {
    const c = this.o.artifact.cell;
    return {
      sim,
      archOptions: c.arch.options,
      cpus: c.cpus,
      workload,
      input: workloadOf(this.o.artifact),
      decisions: result.decisions!,
      steps: result.steps,
      result,
    };
  }
}
