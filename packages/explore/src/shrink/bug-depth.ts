/**
 * Bug depth: how few preemptions a failure needs.
 *
 * A preemption (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010; the preemption
 * bound of CHESS) is a scheduling point where the explorer switches away from an actor that
 * is still enabled; switching because the running actor blocked, finished or waits is not
 * one. Actors are the model's (per CPU: task, interrupt, hypervisor), so an interrupt taken
 * while the CPU's task could go on counts too. A decision list's preemptions are counted on
 * the enabled sets seen while replaying it.
 *
 * `bugDepth` looks for a reproducing run (the same finding, shrink/target.ts: the same
 * invariant, for I14 at the same use site; or the same hazard / use site for an artifact
 * recorded for one, every candidate stopping there) with fewer preemptions, by two
 * deterministic searches, and reports depth d = preemptions + 1 (PCT's depth):
 *
 * 1. Preemption reduction on the decision list, replayed step by step: (a) a non-preemptive
 *    continuation from a preemption point (the recorded decisions up to it, then every actor
 *    runs while it is enabled and the recorded decisions pick the next one when it stops),
 *    earliest point first, so the first that still fails keeps only the preemptions before
 *    it; (b) removing one preemption (the preempted actor runs on while enabled, then the
 *    recorded rest resumes without the steps it already took), to a fixpoint. A candidate is
 *    kept when it breaks the same invariant with fewer preemptions (it may take more steps).
 * 2. PCT runs of the same workload (made explicit, so only the explorer's seed varies) at
 *    depth 1, 2, 3 over a fixed list of priority seeds; the smallest depth that reproduces
 *    bounds the depth too.
 *
 * The result is an UPPER bound: the smallest depth these searches found, not a proof that no
 * shallower schedule exists. Everything is deterministic and bounded by attempt budgets.
 */
import {
  type Artifact,
  type Chooser,
  type ExplicitWorkloadInput,
  GuidedExplorer,
  RecordingExplorer,
  ReplayDivergence,
  ReplayExplorer,
  type RunResult,
  type RunSeed,
  Simulator,
  hashString128,
  makeArtifact,
  preemptionPoints,
  replayArtifact,
  runSeed,
  seedFromHex,
} from '@lazytlb/core';
import { cellMemory, cellPlugins, type PluginsArg, replayOpts, simOptionsFor } from './cell.js';
import { explicitFromRun } from './explicit.js';
import { type Finding, FindingError, findingOf, matches, runFor } from './target.js';

export { preemptionPoints } from '@lazytlb/core';

export interface BugDepthOptions {
  /** Most candidate runs of the preemption reduction (default 1000). */
  readonly maxAttempts?: number;
  /** PCT runs tried per depth (default 200). */
  readonly pctSeeds?: number;
  /** Deepest PCT depth tried (default 3; 0 turns the PCT search off). */
  readonly maxPctDepth?: number;
  /**
   * Other artifacts of the same failure (same arch, scheme, mutations and invariant, e.g. the
   * unshrunk original of a shrunk artifact) to start the reduction from as well; the result
   * has no more preemptions than any of them.
   */
  readonly alsoFrom?: readonly Artifact[];
}

export interface BugDepthResult {
  /** Upper bound on the bug's depth: min(preemptions + 1, pctDepth). */
  readonly depth: number;
  /** Fewest preemptions found in a reproducing decision list (that of `artifact`). */
  readonly preemptions: number;
  /** Preemptions of the given artifact's decision list. */
  readonly initialPreemptions: number;
  /** Smallest PCT depth (≤ maxPctDepth) whose run of the same workload reproduced, if any was tried and did. */
  readonly pctDepth: number | null;
  /** A replayable artifact of the same failure with `preemptions` preemptions. */
  readonly artifact: Artifact;
  /** The reproducing PCT run at `pctDepth`, when one was found. */
  readonly pctArtifact: Artifact | null;
  /** Candidate runs tried (reduction + PCT). */
  readonly attempts: number;
}

export class BugDepthError extends Error {
  override name = 'BugDepthError';
}

/** Preemptions of a decision list: steps i > 0 whose actor differs from step i-1's while that one is still enabled at i (core's preemptionPoints). */
export function countPreemptions(decisions: ArrayLike<number>, enabled: readonly (readonly number[])[]): number {
  return preemptionPoints(decisions, enabled).length;
}

const stopAt = (finding: Finding | undefined): { stopAt?: NonNullable<Finding['target']> } => (finding?.target !== undefined ? { stopAt: finding.target } : {});

/**
 * Replay `decisions` exactly on `sim` (core's ReplayExplorer, ending with the list), recording
 * the enabled set before every step (RecordingExplorer) and stopping right after the step where
 * `finding`'s target fires, as a replay with stopAt does. A decision that is not enabled is a
 * BugDepthError.
 */
function recordedReplay(
  sim: Simulator,
  seed: RunSeed,
  decisions: ArrayLike<number>,
  finding?: Finding,
): { result: RunResult; enabled: number[][]; points: number[] } {
  const rec = new RecordingExplorer(new ReplayExplorer(decisions, { onEnd: 'stop' }));
  let result: RunResult;
  try {
    result = sim.run(seed, { explorer: rec, keepDecisions: true, ...stopAt(finding) });
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new BugDepthError(e.message);
    throw e;
  }
  return { result, enabled: rec.enabled, points: rec.preemptionPoints() };
}

function findingOrThrow(artifact: Artifact): Finding {
  try {
    return findingOf(artifact);
  } catch (e) {
    if (e instanceof FindingError) throw new BugDepthError(`no bug depth: ${e.message}`);
    throw e;
  }
}

/** Preemptions of an artifact's decision list (replayed on its own cell). */
export function artifactPreemptions(artifact: Artifact, plugin: PluginsArg): number {
  const sim = new Simulator(simOptionsFor(plugin, artifact));
  const decisions = new Uint8Array(Buffer.from(artifact.decisions, 'base64'));
  const finding = artifact.target !== undefined ? findingOf(artifact) : undefined;
  return recordedReplay(sim, seedFromHex(artifact.seed), decisions, finding).points.length;
}

/**
 * A run driven by `choose` (core's GuidedExplorer), to the end of the run, the finding's target
 * or the cell's step budget; its preemption points recorded as it goes (RecordingExplorer).
 */
function guidedRun(sim: Simulator, seed: RunSeed, choose: Chooser, finding: Finding): { result: RunResult; points: number[] } {
  const rec = new RecordingExplorer(new GuidedExplorer(choose));
  const result = sim.run(seed, { explorer: rec, keepDecisions: true, ...stopAt(finding) });
  return { result, points: rec.preemptionPoints() };
}

/** The recorded prefix up to `at`, then no preemption at all: an actor runs while enabled; the rest of `d` (in order, disabled ones skipped) picks the next. */
function nonPreemptiveFrom(d: Uint8Array, at: number): Chooser {
  let c = at;
  return (step, en, prev) => {
    if (step < at && en.includes(d[step]!)) return d[step]!;
    if (prev >= 0 && en.includes(prev)) return prev;
    while (c < d.length && !en.includes(d[c]!)) c++;
    return c < d.length ? d[c++]! : en[0]!;
  };
}

/** The recorded prefix up to preemption point `at`; the preempted actor runs on while enabled; then the recorded rest, without the steps it took meanwhile. */
function withoutPreemptionAt(d: Uint8Array, at: number): Chooser {
  const a = d[at - 1]!;
  let extra = 0;
  let resumed: number[] | null = null;
  let start = 0;
  return (step, en, prev) => {
    if (step < at && en.includes(d[step]!)) return d[step]!;
    if (resumed === null) {
      if (en.includes(a)) {
        extra++;
        return a;
      }
      // Drop the first `extra` steps of `a` from the recorded rest: they have been taken.
      resumed = [];
      let skip = extra;
      for (let i = at; i < d.length; i++) {
        if (d[i] === a && skip > 0) skip--;
        else resumed.push(d[i]!);
      }
      start = step;
    }
    const want = resumed[step - start];
    if (want !== undefined && en.includes(want)) return want;
    return prev >= 0 && en.includes(prev) ? prev : en[0]!;
  };
}

interface Found {
  sim: Simulator;
  seed: RunSeed;
  runIndex: number | undefined;
  decisions: Uint8Array;
  points: number[];
  preemptions: number;
  result: RunResult;
}

/** Find the smallest preemption count (and PCT depth) that still shows the artifact's finding. */
export function bugDepth(artifact: Artifact, plugins: PluginsArg, opts: BugDepthOptions = {}): BugDepthResult {
  const plugin = cellPlugins(plugins);
  const finding = findingOrThrow(artifact);
  const maxAttempts = opts.maxAttempts ?? 1000;
  const pctSeeds = opts.pctSeeds ?? 200;
  const maxPctDepth = opts.maxPctDepth ?? 3;
  let attempts = 0;

  const startOf = (a: Artifact): Found => {
    const c = a.cell;
    const f = findingOrThrow(a);
    const same =
      c.arch.name === artifact.cell.arch.name &&
      c.scheme === artifact.cell.scheme &&
      c.schemeVersion === artifact.cell.schemeVersion &&
      JSON.stringify(c.schemeOptions ?? {}) === JSON.stringify(artifact.cell.schemeOptions ?? {}) &&
      c.preempt === artifact.cell.preempt &&
      cellMemory(c) === cellMemory(artifact.cell) &&
      f.label === finding.label &&
      f.outcome === finding.outcome &&
      JSON.stringify(c.mutations ?? []) === JSON.stringify(artifact.cell.mutations ?? []);
    if (!same) {
      throw new BugDepthError('alsoFrom: an artifact of another arch, scheme, preemption model, memory model, mutation set or finding');
    }
    const check = replayArtifact(a, plugin.arch, replayOpts(plugin));
    if (!check.reproduced) throw new BugDepthError('the artifact does not reproduce its recorded outcome');
    const sim = new Simulator(simOptionsFor(plugin, a));
    const seed = seedFromHex(a.seed);
    const decisions = check.result.decisions!;
    const { result, points } = recordedReplay(sim, seed, decisions, finding);
    return { sim, seed, runIndex: a.runIndex, decisions, points, preemptions: points.length, result };
  };

  /** A candidate run: the new best when it breaks the same invariant with fewer preemptions than `cur`. */
  const attempt = (cur: Found, choose: Chooser): Found | null => {
    if (attempts >= maxAttempts) return null;
    attempts++;
    const { result, points } = guidedRun(cur.sim, cur.seed, choose, finding);
    if (!matches(finding, result) || points.length >= cur.preemptions) return null;
    return { ...cur, decisions: result.decisions!, points, preemptions: points.length, result };
  };

  const reduce = (start: Found): Found => {
    let cur = start;
    for (let progress = true; progress && cur.preemptions > 0 && attempts < maxAttempts; ) {
      progress = false;
      // (a) earliest non-preemptive continuation that still fails: 0 first, then each point.
      for (const at of [0, ...cur.points]) {
        if (attempts >= maxAttempts) break;
        const b = attempt(cur, nonPreemptiveFrom(cur.decisions, at));
        if (b !== null) {
          cur = b;
          progress = true;
          break;
        }
      }
      if (cur.preemptions === 0) break;
      // (b) one preemption at a time, latest first (earlier ones set the scene).
      for (let i = cur.points.length - 1; i >= 0 && attempts < maxAttempts; i--) {
        const b = attempt(cur, withoutPreemptionAt(cur.decisions, cur.points[i]!));
        if (b !== null) {
          cur = b;
          progress = true;
          break;
        }
      }
    }
    return cur;
  };

  const primary = startOf(artifact);
  let best = reduce(primary);
  for (const other of opts.alsoFrom ?? []) {
    const s = startOf(other);
    if (s.preemptions < best.preemptions) best = s;
    if (s.preemptions <= best.preemptions) {
      const r = reduce(s);
      if (r.preemptions < best.preemptions) best = r;
    }
  }

  // PCT over the same workload: only depths below what the reduction already shows.
  let pctDepth: number | null = null;
  let pctArtifact: Artifact | null = null;
  const pctLimit = Math.min(maxPctDepth, best.preemptions);
  if (pctLimit >= 1 && pctSeeds > 0) {
    const base = new Simulator(simOptionsFor(plugin, artifact));
    const seed = seedFromHex(artifact.seed);
    const w = artifact.cell.workload;
    const explicit: ExplicitWorkloadInput = 'explicit' in w ? w.explicit : explicitFromRun(base, seed);
    search: for (let d = 1; d <= pctLimit; d++) {
      const sim = new Simulator(simOptionsFor(plugin, artifact, { workload: { explicit }, strategy: { kind: 'pct', depth: d } }));
      const cellSeed = hashString128(`lazytlb.bug-depth/${artifact.seed}/${d}`);
      for (let j = 0; j < pctSeeds; j++) {
        attempts++;
        const s = runSeed(cellSeed, j);
        const r = runFor(sim, s, finding);
        if (!matches(finding, r)) continue;
        pctDepth = d;
        pctArtifact = makeArtifact(sim, s, r, undefined, finding.target);
        const found = startOf(pctArtifact);
        if (found.preemptions < best.preemptions) best = found;
        break search;
      }
    }
  }

  let out = makeArtifact(best.sim, best.seed, best.result, best.runIndex, finding.target);
  let preemptions = best.preemptions;
  const check = replayArtifact(out, plugin.arch, replayOpts(plugin));
  if (!check.reproduced || !matches(finding, check.result)) {
    out = artifact; // never happens when the model is deterministic; never report what does not replay
    preemptions = primary.preemptions;
  }
  return {
    depth: Math.min(preemptions + 1, pctDepth ?? Infinity),
    preemptions,
    initialPreemptions: primary.preemptions,
    pctDepth,
    artifact: out,
    pctArtifact,
    attempts,
  };
}
