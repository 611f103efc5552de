/**
 * The depth-first search over schedules, as an Explorer (core's scheduler seam): one run of the
 * simulator is one execution of the search. The explorer follows the decisions of the current
 * branch (the prefix), and past its end opens a new frame at every step — the enabled actors,
 * in the order the search tries them — and takes the first. After the run, `backtrack()` moves
 * to the next untried alternative of the deepest frame that has one; the next run replays the
 * prefix up to it and takes it. This is stateless model checking as in VeriSoft and CHESS:
 * the state is rebuilt by re-execution, which the model makes exact (a run is a pure function of
 * the cell, the seed and the decisions).
 *
 * Order of alternatives: the actor that took the previous step first when it is still enabled
 * (no preemption), then the others ascending. A preemption is a switch away from an actor that
 * is still enabled (Burckhardt et al., ASPLOS 2010; core's preemptionPoints): with a preemption
 * bound P (iterative context bounding, Musuvathi and Qadeer, PLDI 2007) an alternative that
 * would make the branch's preemptions exceed P is not tried, and counted as pruned.
 *
 * Storage is per depth in flat typed arrays grown on demand: no allocation per step.
 */
import type { Explorer } from '@lazytlb/core';

/** The most actors a cell has (core's MAX_CPUS × ACTORS_PER_CPU is 64 × 4; one byte per actor id). */
const MAX_ACTORS = 256;

export class DfsExplorer implements Explorer {
  /** Decisions of the current branch (actor ids), one per depth. */
  private choice = new Uint8Array(1024);
  /** Per depth: the alternatives in the order tried, `width` (the cell's actor count) bytes a depth. */
  private alts = new Uint8Array(0);
  /** Per depth: how many alternatives, and the index of the one taken. */
  private altN = new Uint16Array(1024);
  private altAt = new Uint16Array(1024);
  /** Per depth: preemptions of the branch before this depth's step. */
  private pre = new Uint16Array(1024);
  /** Depth of the branch (frames open). */
  private depth = 0;
  /** Steps of the current execution so far. */
  private at = 0;
  /** Alternatives not tried because of the preemption bound. */
  prunedByBound = 0;
  /** The deepest branch so far. */
  maxDepth = 0;
  /** Schedule-tree nodes visited: frames opened plus alternatives taken on backtracking. */
  nodes = 0;
  /** The cell's actor count (Explorer.begin's nActors; the same for every execution). */
  private width = 0;

  constructor(private readonly preemptionBound: number = Number.POSITIVE_INFINITY) {}

  begin(_rng: unknown, nActors: number): void {
    if (this.width === 0) {
      if (!(nActors >= 1 && nActors <= MAX_ACTORS)) throw new RangeError(`DfsExplorer: ${nActors} actors (1..${MAX_ACTORS})`);
      this.width = nActors;
      this.alts = new Uint8Array(this.choice.length * nActors);
    } else if (nActors !== this.width) throw new Error(`DfsExplorer: ${nActors} actors, but the search began with ${this.width} (one explorer per cell)`);
    this.at = 0;
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    if (step !== this.at) throw new Error(`DfsExplorer: asked for step ${step} at ${this.at}`);
    this.at++;
    if (step < this.depth) {
      // On the prefix: the branch's decision, which must be enabled (re-execution is exact).
      const a = this.choice[step]!;
      for (let i = 0; i < n; i++) if (enabled[i] === a) return a;
      throw new Error(`DfsExplorer: step ${step}: the branch's actor ${a} is not enabled on re-execution (the model is not a function of its decisions)`);
    }
    // A new frame: the alternatives in search order, the first taken.
    this.grow(step + 1);
    const w = this.width;
    const base = step * w;
    const prev = step > 0 ? this.choice[step - 1]! : -1;
    let m = 0;
    let prevEnabled = false;
    for (let i = 0; i < n; i++) if (enabled[i] === prev) prevEnabled = true;
    if (prevEnabled) this.alts[base + m++] = prev;
    const preBefore = step > 0 ? this.pre[step - 1]! + (this.isPreemption(step - 1) ? 1 : 0) : 0;
    // Switching away from a still-enabled actor costs a preemption: over the bound, those are not tried.
    const canPreempt = !prevEnabled || preBefore + 1 <= this.preemptionBound;
    for (let i = 0; i < n; i++) {
      const a = enabled[i]!;
      if (a === prev) continue;
      if (canPreempt) this.alts[base + m++] = a;
      else this.prunedByBound++;
    }
    this.altN[step] = m;
    this.altAt[step] = 0;
    this.pre[step] = preBefore;
    this.choice[step] = this.alts[base]!;
    this.depth = step + 1;
    this.nodes++;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
    return this.choice[step]!;
  }

  /**
   * Whether the decision at `d` is a preemption: the previous step's actor was enabled at `d`
   * (then it is the first alternative: pick() puts it there) and another was taken.
   */
  private isPreemption(d: number): boolean {
    return d > 0 && this.altAt[d]! > 0 && this.alts[d * this.width]! === this.choice[d - 1]!;
  }

  /**
   * After an execution: cut the branch to where that execution ended (`steps`), then move to
   * the next alternative of the deepest frame that has one. False when the search is done.
   */
  backtrack(steps: number): boolean {
    if (steps < this.depth) this.depth = steps;
    while (this.depth > 0) {
      const d = this.depth - 1;
      const next = this.altAt[d]! + 1;
      if (next < this.altN[d]!) {
        this.altAt[d] = next;
        this.choice[d] = this.alts[d * this.width + next]!;
        this.nodes++;
        // Frames past d were for the old alternative; the next run opens new ones.
        return true;
      }
      this.depth = d;
    }
    return false;
  }

  /** Untried alternatives left on the branch (the frontier when a budget stops the search). */
  frontier(): number {
    let f = 0;
    for (let d = 0; d < this.depth; d++) f += this.altN[d]! - 1 - this.altAt[d]!;
    return f;
  }

  /** The current branch's decisions (a copy). */
  branch(length = this.depth): Uint8Array {
    return this.choice.slice(0, length);
  }

  /** Preemptions on the branch up to `length` steps. */
  preemptions(length = this.depth): number {
    if (length === 0) return 0;
    const d = length - 1;
    return this.pre[d]! + (this.isPreemption(d) ? 1 : 0);
  }

  private grow(need: number): void {
    if (need <= this.choice.length) return;
    let cap = this.choice.length;
    while (cap < need) cap *= 2;
    const c = new Uint8Array(cap);
    c.set(this.choice);
    this.choice = c;
    const al = new Uint8Array(cap * this.width);
    al.set(this.alts);
    this.alts = al;
    const n = new Uint16Array(cap);
    n.set(this.altN);
    this.altN = n;
    const at = new Uint16Array(cap);
    at.set(this.altAt);
    this.altAt = at;
    const p = new Uint16Array(cap);
    p.set(this.pre);
    this.pre = p;
  }
}
