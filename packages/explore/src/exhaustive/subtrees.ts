/**
 * Cutting an exhaustive search into subtrees that workers search apart (a sweep's exhaustive
 * cell is SUBTREES units of work, unit i the subtree below root i; batch.ts).
 *
 * The roots are the decision prefixes of the shallowest depth at which the search tree has at
 * least `target` of them (iterative deepening: depth 1, 2, … frames, each level enumerated
 * afresh with the cap at that depth), plus the executions that end above that depth (a root
 * that is a whole execution: its subtree is that one execution). Every execution of the search
 * lies below exactly one root, so the subtrees' searches together cover the search.
 *
 * The roots are a pure function of the cell, the seed and the search's shape (preemption bound,
 * sleep sets on or off), never of threads or timing: which worker searches a subtree, and in
 * what order, does not change any result. With sleep sets, a root's frames carry the sleep sets
 * the whole search would give them (the DfsExplorer computes them from the alternatives taken
 * before, which a root fixes), and prefixes where every enabled actor is asleep are no roots.
 * State hashing is per subtree (a state two subtrees both reach is explored in both: more work,
 * never less coverage).
 */
import type { RunSeed, Simulator } from '@lazytlb/core';
import { DfsExplorer, PRUNED, SPLIT } from './dfs-explorer.js';
import { type ExhaustiveOptions, searchSetup } from './search.js';
import { EXHAUSTIVE_UNITS } from '../plan/plan.js';

/** Subtrees per exhaustive cell of a sweep (the plan's units): a constant, so that the split never depends on threads or machines. */
export const SUBTREES = EXHAUSTIVE_UNITS;

/** Deepest cap tried (frames) before taking the roots as they are. */
const MAX_SPLIT_DEPTH = 64;

export interface SubtreeSplit {
  /** The roots, in search order: the alternative index taken at each of their frames. */
  readonly roots: readonly Uint16Array[];
  /** The cap the roots were cut at (frames). */
  readonly depth: number;
  /** Executions of the split itself (each abandoned at the cap or complete above it). */
  readonly executions: number;
}

/** The roots of at least `target` subtrees of `sim`'s search (fewer when the whole tree has fewer executions). */
export function splitSearch(
  sim: Simulator,
  opts: Pick<ExhaustiveOptions, 'seed' | 'preemptionBound' | 'stateHashing' | 'partialOrder'> & { readonly target?: number },
): SubtreeSplit {
  const target = opts.target ?? SUBTREES;
  if (!Number.isInteger(target) || target < 1) throw new RangeError(`splitSearch: target must be a positive integer, got ${target}`);
  let executions = 0;
  let last: Uint16Array[] = [];
  for (let cap = 1; cap <= MAX_SPLIT_DEPTH; cap++) {
    const level = rootsAt(sim, opts.seed, opts, cap);
    executions += level.executions;
    last = level.roots;
    if (last.length >= target || !level.capped) return { roots: last, depth: cap, executions };
  }
  return { roots: last, depth: MAX_SPLIT_DEPTH, executions };
}

/** The prefixes of `cap` frames and the executions shorter than that, in search order. */
function rootsAt(
  sim: Simulator,
  seed: RunSeed,
  opts: Pick<ExhaustiveOptions, 'preemptionBound' | 'stateHashing' | 'partialOrder'>,
  cap: number,
): { roots: Uint16Array[]; capped: boolean; executions: number } {
  // The same explorer shape as the subtrees' searches (bound, sleep sets), without state hashing: nothing is pruned as seen.
  const { bound, hasher, por } = searchSetup(sim, opts);
  const dfs = new DfsExplorer(
    bound,
    por && hasher !== null ? { begin: () => hasher.refresh(), commuting: (a: number, c: number) => sim.commutesWith(a, c, hasher) } : {},
    { cap },
  );
  const roots: Uint16Array[] = [];
  let capped = false;
  let executions = 0;
  for (;;) {
    executions++;
    try {
      sim.run(seed, { explorer: dfs, keepDecisions: false });
      roots.push(dfs.path(dfs.position));
    } catch (e) {
      if (e === SPLIT) {
        capped = true;
        roots.push(dfs.path(cap));
      } else if (e !== PRUNED) throw e;
      // PRUNED: every enabled actor asleep; the executions below are covered by equivalent ones.
    }
    if (!dfs.backtrack(dfs.position)) break;
  }
  return { roots, capped, executions };
}
