/**
 * Exhaustive search of one cell: every schedule of its workload, depth first (dfs-explorer.ts),
 * optionally within a preemption bound, until the tree is done or a budget stops it. The
 * verdict says which:
 * - `proved`: the search finished and no execution violated an invariant, within the stated
 *   bounds (the cell's workload and CPUs, `preemptionBound`, the memory model) and over the
 *   choices it enumerated (`enumerated`); what it held fixed is listed too (`fixed`);
 * - `violates`: some execution violated an invariant (the shortest execution found for each
 *   invariant is kept, with its decisions: it replays exactly as an artifact's);
 * - `error`: an execution ended in a plugin error or a deadlock (and none violated);
 * - `incomplete`: a budget stopped the search (executions or steps), or an execution ran into
 *   the cell's step budget (a run that does not end cannot be proved), with what was explored
 *   and the frontier left.
 *
 * With `stateHashing: 'off'` this is the reference search: every execution of the tree. By
 * default, when the cell's plugins declare their state, states between steps are hashed (core's
 * StateHasher, 64 bits) and a state reached again with no fewer preemptions is not explored
 * again; tests check that it finds the reference search's findings. No partial-order reduction yet.
 */
import type { RunResult, RunSeed, Simulator, StateHasher } from '@lazytlb/core';

/** A saved point of a run (core's Simulator.newRunPoint). */
type RunPoint = ReturnType<Simulator['newRunPoint']>;
import { HAZARD_IDS } from '@lazytlb/core';
import { DfsExplorer, PRUNED } from './dfs-explorer.js';
import { FingerprintTable } from './fingerprint-table.js';

export const EXHAUSTIVE_VERDICTS = ['proved', 'violates', 'error', 'incomplete'] as const;
export type ExhaustiveVerdict = (typeof EXHAUSTIVE_VERDICTS)[number];

export interface ExhaustiveOptions {
  /** The run seed: the workload of a profile cell and every in-step draw the search does not enumerate. */
  readonly seed: RunSeed;
  /** Most preemptions on any explored schedule (iterative context bounding); absent: unbounded. */
  readonly preemptionBound?: number;
  /** Most executions (runs) before the search stops `incomplete` (default 1 000 000). */
  readonly maxExecutions?: number;
  /** Most simulated steps over all executions before it stops `incomplete` (default 2^40). */
  readonly maxSteps?: number;
  /**
   * Wall-clock budget in ms (read on `clock` after each execution; default none). A search it
   * stops depends on the machine's speed: scripts only, never a sweep (whose results are a
   * function of the cell and seed).
   */
  readonly maxMs?: number;
  /**
   * State hashing (default `auto`: on when the cell's plugins declare their state, core's
   * Simulator.stateHashRefusal): a state between two steps reached again, with no fewer
   * preemptions, is not explored again. `off`: the reference search.
   */
  readonly stateHashing?: 'auto' | 'off';
  /**
   * Partial-order reduction (default `auto`: sleep sets when states can be hashed and
   * snapshotted — the plugins declare their state — with no preemption bound and at most 8
   * CPUs): after a step of actor t has been explored from a state, t sleeps on the other
   * branches as long as their steps commute with it (decided by experiment in each state:
   * core's Simulator.commutes), so equivalent orders are not explored again. The sleep set is
   * stored with each state (a state revisited with one that is not a superset is explored
   * again). `off`: none.
   */
  readonly partialOrder?: 'auto' | 'off';
  /**
   * Stateful search (default `auto`: on when the cell's states can be snapshotted, the plugins
   * declaring their state: Simulator.stateHashRefusal): after an execution, the search goes
   * back to a saved state (core's Simulator.saveRun/restoreRun) at the deepest pick frame at or
   * before the frame it backtracked to, instead of re-running the simulator from step 0; it
   * re-executes at most the steps from that frame on. It visits the same tree as re-execution
   * (same executions, nodes, states, findings; tests check it): `steps` still counts every
   * execution's steps, prefixes included. `off`: every execution from step 0.
   */
  readonly stateful?: 'auto' | 'off';
  /** Stop at the first violating execution (the verdict is then `violates`, the rest unexplored). */
  readonly stopAtFirstViolation?: boolean;
  /** Called every `progressEvery` executions (default 10 000) and at the end. */
  readonly onProgress?: (p: ExhaustiveProgress) => void;
  readonly progressEvery?: number;
  /**
   * Search only the subtree below this root: the alternative index taken at each of its first
   * frames (subtrees.ts splitSearch gives the roots that cut a search into subtrees).
   */
  readonly root?: ArrayLike<number>;
  /** The clock elapsedMs reads (default performance.now; a sweep's worker passes one that reads none: runs are trapped). */
  readonly clock?: () => number;
}

export interface ExhaustiveProgress {
  readonly executions: number;
  readonly steps: number;
  /** Search-tree nodes visited (frames opened and alternatives taken). */
  readonly nodes: number;
  /** Distinct states stored (0 without state hashing). */
  readonly distinctStates: number;
  readonly maxDepth: number;
  /** Untried alternatives on the current branch. */
  readonly frontier: number;
  readonly elapsedMs: number;
}

/** A finding of the search: the shortest execution found that ends in it (ties: the first in search order). */
export interface ExhaustiveFinding {
  readonly class: 'violation' | 'hazard' | 'use-site' | 'error';
  /** Violations and hazards: the invariant id; use sites: the site id; errors: budget, plugin-error, deadlock. */
  readonly key: string;
  readonly message: string;
  /** The execution's decisions (actor ids) and in-step choices: `Simulator.run(seed, { decisions, choices })` replays it. */
  readonly decisions: Uint8Array;
  readonly choices: Uint8Array;
  readonly steps: number;
  readonly preemptions: number;
  /** How many executions ended in (or recorded) it. */
  readonly executions: number;
}

export interface ExhaustiveResult {
  readonly verdict: ExhaustiveVerdict;
  readonly executions: number;
  /** Simulated steps over all executions (re-executed prefixes included). */
  readonly steps: number;
  /** Distinct schedule-tree nodes visited: steps taken past a re-executed prefix. */
  readonly nodes: number;
  readonly maxDepth: number;
  readonly preemptionBound: number | null;
  /** Alternatives not tried because of the preemption bound (0: the bound did not bite). */
  readonly prunedByBound: number;
  /** Untried alternatives left when a budget stopped the search (0 when it finished). */
  readonly frontier: number;
  /** Why an incomplete search stopped (null otherwise). */
  readonly stoppedBy: 'executions' | 'steps' | 'time' | 'first-violation' | null;
  readonly findings: readonly ExhaustiveFinding[];
  /** The choices the search enumerated. */
  readonly enumerated: readonly string[];
  /** What the search held fixed (by the seed or the cell). */
  readonly fixed: readonly string[];
  readonly elapsedMs: number;
  /**
   * State hashing: on or not (and why not), the fingerprint width, the distinct states stored
   * and the executions cut short at a state explored already. With hashing a finding's
   * execution is the shortest the search happened to take, not necessarily the shortest there is.
   */
  readonly stateHashing: {
    readonly on: boolean;
    readonly reason: string | null;
    readonly bits: 64;
    readonly distinctStates: number;
    readonly prunedExecutions: number;
  };
  /** Partial-order reduction: on or not (and why not), alternatives not taken because asleep, states where all were. */
  readonly partialOrder: { readonly on: boolean; readonly reason: string | null; readonly slept: number; readonly sleepBlocked: number };
  /**
   * Stateful search (ExhaustiveOptions.stateful): on or not (and why not), states saved,
   * executions resumed from a saved state (the others ran from step 0), and steps simulated
   * (experiments not counted; `steps` counts every execution's, prefixes included).
   */
  readonly stateful: {
    readonly on: boolean;
    readonly reason: string | null;
    readonly saves: number;
    readonly resumed: number;
    readonly simulatedSteps: number;
  };
}

export const EXHAUSTIVE_ENUMERATED = [
  'schedule: which enabled actor (CPU task, interrupt, hypervisor, store-buffer drain) takes each step',
  'in-step choices (Kernel.choose, Kernel.chance with 0 < p < 1): the CPU the load balancer queues a task preempted in a kernel path on; Hyper-V falling back to IPIs (nativeFallback)',
  "elapsed time where a plugin reads it (k.choicesExplored()): x86's should_trim_cpumask() interval and consider_global_asid()'s 1-in-32 jiffies gate, each a 2-way choice (an over-approximation of timing)",
  "vCPU preemption timing (paravirt arches): the hypervisor may preempt a vCPU at any step while the workload's preemption budget lasts and resume it at any later step, both schedule decisions (a profile's drawn times and slice lengths are not used: an over-approximation; no step count is part of the state)",
] as const;
export const EXHAUSTIVE_FIXED = [
  "the workload: an explicit cell's as written; a profile cell's as the seed draws it (with its tick, idle and vCPU preemption budgets: counts, not times)",
  "the mm slab's reuse order: deterministic, as SLUB's LIFO freelists (CONFIG_SLAB_FREELIST_RANDOM's shuffle of a new slab is not modelled), so address reuse has no choice to enumerate",
] as const;

/** Search every schedule of `sim`'s cell (see the file comment). */
/** What a search of `sim` under `opts` uses: its bound, whether states are hashed and sleep sets kept, and why not. */
export function searchSetup(
  sim: Simulator,
  opts: Pick<ExhaustiveOptions, 'preemptionBound' | 'stateHashing' | 'partialOrder' | 'stateful'>,
): { bound: number; refusal: string | null; hasher: StateHasher | null; porRefusal: string | null; por: boolean; statefulRefusal: string | null } {
  const bound = opts.preemptionBound ?? Number.POSITIVE_INFINITY;
  const refusal = opts.stateHashing === 'off' ? 'off (stateHashing: off)' : sim.stateHashRefusal;
  const hasher = refusal === null ? sim.stateHasher() : null;
  const porRefusal =
    opts.partialOrder === 'off'
      ? 'off (partialOrder: off)'
      : refusal !== null
        ? `needs state hashing and snapshots: ${refusal}`
        : Number.isFinite(bound)
          ? 'not with a preemption bound (sleep sets and context bounding together are not sound as implemented)'
          : sim.cell.cpus > 8
            ? 'at most 8 CPUs (sleep sets are 32-bit actor masks)'
            : null;
  const statefulRefusal = opts.stateful === 'off' ? 'off (stateful: off)' : sim.stateHashRefusal !== null ? `needs snapshots: ${sim.stateHashRefusal}` : null;
  return { bound, refusal, hasher, porRefusal, por: porRefusal === null && hasher !== null, statefulRefusal };
}

export function exhaustiveSearch(sim: Simulator, opts: ExhaustiveOptions): ExhaustiveResult {
  const clock = opts.clock ?? (() => performance.now());
  const t0 = clock();
  const maxExecutions = opts.maxExecutions ?? 1_000_000;
  const maxSteps = opts.maxSteps ?? 2 ** 40;
  const maxMs = opts.maxMs;
  const every = opts.progressEvery ?? 10_000;
  const { bound, refusal, hasher, porRefusal, por, statefulRefusal } = searchSetup(sim, opts);
  const table = hasher !== null ? new FingerprintTable() : null;
  const fp = new Uint32Array(2);
  // Stateful search: one saved point per frame (allocated on demand, reused).
  const stateful = statefulRefusal === null;
  const points: RunPoint[] = [];
  let saves = 0;
  let resumed = 0;
  let simulated = 0;
  const save = (frame: number): void => {
    let p = points[frame];
    if (p === undefined) p = points[frame] = sim.newRunPoint();
    sim.saveRun(p);
    saves++;
  };
  const dfs = new DfsExplorer(
    bound,
    {
      ...(hasher !== null && table !== null
        ? {
            begin: () => hasher.refresh(),
            visit: (preemptions: number, lastActor: number, sleep: number) => {
              hasher.hash(fp);
              if (por) return table.visitSleep(fp[0]!, fp[1]!, sleep);
              // Under a preemption bound the previous step's actor is part of the search state: it may go on for free.
              const hi = Number.isFinite(bound) ? (fp[1]! ^ Math.imul(lastActor + 1, 0x9e3779b1)) >>> 0 : fp[1]!;
              return table.visit(fp[0]!, hi, preemptions);
            },
            ...(por ? { commuting: (a: number, candidates: number) => sim.commutesWith(a, candidates, hasher) } : {}),
          }
        : {}),
      ...(stateful ? { save } : {}),
    },
    opts.root !== undefined ? { root: opts.root } : {},
  );

  const found = new Map<string, ExhaustiveFinding>();
  let executions = 0;
  let steps = 0;
  let stoppedBy: ExhaustiveResult['stoppedBy'] = null;
  let budgetHit = false;

  const note = (cls: ExhaustiveFinding['class'], key: string, message: string, runSteps: number): void => {
    const id = `${cls}:${key}`;
    const old = found.get(id);
    if (old === undefined || runSteps < old.steps) {
      const frames = dfs.position;
      found.set(id, {
        class: cls,
        key,
        message,
        decisions: dfs.decisions(frames),
        choices: dfs.choices(frames),
        steps: runSteps,
        preemptions: dfs.preemptions(frames),
        executions: (old?.executions ?? 0) + 1,
      });
    } else found.set(id, { ...old, executions: old.executions + 1 });
  };

  const progress = (frontier: number): ExhaustiveProgress => ({
    executions,
    steps,
    nodes: dfs.nodes,
    distinctStates: table?.size ?? 0,
    maxDepth: dfs.maxDepth,
    frontier,
    elapsedMs: clock() - t0,
  });

  /** Hazards and use sites an execution recorded (the run went on past them). */
  const noteMasks = (hazards: number, useSites: number, siteIds: readonly string[], fatalSite: string | null, runSteps: number): void => {
    for (let i = 0; i < HAZARD_IDS.length; i++) {
      if ((hazards & (1 << i)) !== 0) note('hazard', HAZARD_IDS[i]!, `hazard ${HAZARD_IDS[i]} recorded (the run went on)`, runSteps);
    }
    for (let i = 0; i < siteIds.length; i++) {
      if ((useSites & (1 << i)) !== 0 && siteIds[i] !== fatalSite) note('use-site', siteIds[i]!, `use site ${siteIds[i]} fired (the run went on)`, runSteps);
    }
  };

  /** After an execution: progress, then the next branch; false when the tree is done or a budget stops the search. */
  const next = (): boolean => {
    if (opts.onProgress !== undefined && executions % every === 0) opts.onProgress(progress(dfs.frontier()));
    if (!dfs.backtrack(dfs.position)) return false;
    if (stateful) restart = dfs.restartFrame();
    if (executions >= maxExecutions) stoppedBy = 'executions';
    else if (steps >= maxSteps) stoppedBy = 'steps';
    else if (maxMs !== undefined && clock() - t0 >= maxMs) stoppedBy = 'time';
    return stoppedBy === null;
  };

  /** Stateful: the frame to resume the next execution from (-1: run from step 0). */
  let restart = -1;
  for (;;) {
    let r: RunResult;
    const from = restart >= 0 ? points[restart]!.step : 0;
    try {
      if (restart < 0) r = sim.run(opts.seed, { explorer: dfs, keepDecisions: false });
      else {
        sim.restoreRun(points[restart]!);
        dfs.seek(restart);
        resumed++;
        r = sim.resume({ explorer: dfs, keepDecisions: false });
      }
    } catch (e) {
      if (e !== PRUNED) throw e;
      // Cut short at a state explored already: what it recorded on the way is still found.
      executions++;
      steps += sim.k.step;
      simulated += sim.k.step - from;
      noteMasks(sim.k.hazardMask, sim.k.siteMask, sim.sites, null, sim.k.step);
      if (!next()) break;
      continue;
    }
    executions++;
    steps += r.steps;
    simulated += r.steps - from;
    if (r.outcome === 'violation' && r.violation !== null) {
      const v = r.violation;
      note('violation', v.invariant, v.message, r.steps);
      if (v.site !== undefined) note('use-site', v.site, v.message, r.steps);
    } else if (r.outcome === 'budget') {
      budgetHit = true;
      note('error', 'budget', `an execution ran into the cell's step budget (${sim.cell.stepBudget} steps)`, r.steps);
    } else if (r.outcome === 'plugin-error') {
      note('error', 'plugin-error', `${r.pluginError?.hook ?? 'a hook'}: ${r.pluginError?.message ?? ''}`, r.steps);
    } else if (r.outcome === 'deadlock') {
      note('error', 'deadlock', 'no actor can move, but tasks are not done', r.steps);
    }
    noteMasks(r.hazards, r.useSites, r.siteIds, r.violation?.site ?? null, r.steps);
    if (opts.stopAtFirstViolation === true && r.outcome === 'violation') {
      if (opts.onProgress !== undefined && executions % every === 0) opts.onProgress(progress(dfs.frontier()));
      stoppedBy = 'first-violation';
      break;
    }
    if (!next()) break;
  }
  const frontier = stoppedBy === null ? 0 : dfs.frontier();
  if (opts.onProgress !== undefined) opts.onProgress(progress(frontier));
  const findings = [...found.values()].sort(compareFindings);
  const verdict: ExhaustiveVerdict = findings.some((f) => f.class === 'violation')
    ? 'violates'
    : findings.some((f) => f.class === 'error' && f.key !== 'budget')
      ? 'error'
      : stoppedBy !== null || budgetHit
        ? 'incomplete'
        : 'proved';
  return {
    verdict,
    executions,
    steps,
    nodes: dfs.nodes,
    maxDepth: dfs.maxDepth,
    preemptionBound: Number.isFinite(bound) ? bound : null,
    prunedByBound: dfs.prunedByBound,
    frontier,
    stoppedBy,
    findings,
    enumerated: EXHAUSTIVE_ENUMERATED,
    fixed: EXHAUSTIVE_FIXED,
    elapsedMs: clock() - t0,
    stateHashing: { on: table !== null, reason: refusal, bits: 64, distinctStates: table?.size ?? 0, prunedExecutions: dfs.pruned },
    partialOrder: { on: por, reason: porRefusal, slept: dfs.slept, sleepBlocked: dfs.sleepBlocked },
    stateful: { on: stateful, reason: statefulRefusal, saves, resumed, simulatedSteps: simulated },
  };
}

const CLASS_ORDER = { violation: 0, 'use-site': 1, hazard: 2, error: 3 } as const;

function compareFindings(a: ExhaustiveFinding, b: ExhaustiveFinding): number {
  return CLASS_ORDER[a.class] - CLASS_ORDER[b.class] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
