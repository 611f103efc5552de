/**
 * The depth-first search over a cell's executions, as an Explorer (core's scheduler seam): one
 * run of the simulator is one execution of the search. Every decision of a run is a frame of the
 * search tree: which enabled actor takes each step (Explorer.pick), and each choice made inside a
 * step (Explorer.chooseInStep: Kernel.choose / Kernel.chance, e.g. the CPU the load balancer
 * queues a preempted task on), in the order the run makes them. The explorer follows the frames
 * of the current branch, and past its end opens a new frame per decision — the alternatives in
 * the order the search tries them — and takes the first. After the run, `backtrack()` moves to
 * the next untried alternative of the deepest frame that has one; the next run re-executes the
 * branch up to it and takes it. This is stateless model checking as in VeriSoft and CHESS: a
 * state is rebuilt by re-execution, which the model makes exact (a run is a pure function of
 * the cell, the seed and its decisions and choices).
 *
 * Order of alternatives: for a step, the actor that took the previous step first when it is
 * still enabled (no preemption), then the others ascending; for a choice, 0..n-1. A preemption
 * is a switch away from an actor that is still enabled (Burckhardt et al., ASPLOS 2010; core's
 * preemptionPoints): with a preemption bound P (iterative context bounding, Musuvathi and
 * Qadeer, PLDI 2007) an alternative that would make the branch's preemptions exceed P is not
 * tried, and counted as pruned. Choices are never bounded.
 *
 * Subtrees (subtrees.ts): with a `root` (the alternative index taken at each of its frames) the
 * search covers only the executions below that prefix: the first execution takes the root's
 * alternatives, and backtracking never changes a frame of the root. With a `cap`, a run that
 * would open frame `cap` is abandoned (SPLIT): the search then enumerates the prefixes of length
 * `cap` (and the executions shorter than that), which is how a search is cut into subtrees.
 *
 * Storage is per frame in flat typed arrays grown on demand: nothing is allocated per step.
 */
import type { Explorer } from '@lazytlb/core';

/** What a search gives the explorer (exhaustive/search.ts). */
export interface DfsHooks {
  /** At the start of each execution, after the simulator's reset. */
  readonly begin?: () => void;
  /**
   * At each new step frame, in the state between two steps: the branch's preemptions so far,
   * the actor of the step before (255 at step 0: under a preemption bound it may go on for
   * free) and the sleep set (0 without partial-order reduction). False prunes the branch there
   * (a state explored already): the run is abandoned by throwing PRUNED.
   */
  readonly visit?: (preemptions: number, lastActor: number, sleep: number) => boolean;
  /** Partial-order reduction (sleep sets): whether the next steps of actors a and b commute in the state now. */
  readonly commutes?: (a: number, b: number) => boolean;
  /**
   * Partial-order reduction, all at once (preferred to `commutes` when given): the subset of
   * the actors in the bitmask `candidates` whose next step commutes with a's in the state now.
   */
  readonly commuting?: (a: number, candidates: number) => number;
  /**
   * Stateful search: save the state now (between two steps, at new pick frame `frame`) in the
   * frame's slot. Called at frame 0 and at every new pick frame with alternatives left; after
   * backtrack(), restartFrame() names the slot to restore, and seek() puts the explorer there.
   */
  readonly save?: (frame: number) => void;
}

/** One byte per actor id and per choice value. */
const MAX_WIDTH = 256;
const PICK = 0;
const CHOOSE = 1;
const NONE = 255;

/** Thrown by pick() to abandon a run at a state explored already (not an Error: no stack to build). */
export const PRUNED: unique symbol = Symbol('lazytlb.exhaustive.pruned');
/** Thrown by pick() / chooseInStep() at the cap (DfsShape.cap): the run's first `cap` frames are a subtree's root. */
export const SPLIT: unique symbol = Symbol('lazytlb.exhaustive.split');

/** Where in the tree a search runs (see the file comment): below `root`, and no deeper than `cap` frames. */
export interface DfsShape {
  /** The alternative index of each frame of the subtree's root (absent: the whole tree). */
  readonly root?: ArrayLike<number>;
  /** Abandon a run that would open this frame (SPLIT). */
  readonly cap?: number;
}

export class DfsExplorer implements Explorer {
  /** Per frame: PICK or CHOOSE. */
  private kind: Uint8Array = new Uint8Array(1024);
  /** Per frame: the value taken on the current branch (an actor id, or a choice 0..n-1). */
  private value: Uint8Array = new Uint8Array(1024);
  /** Per frame: the alternatives in the order tried, `width` bytes a frame. */
  private alts: Uint8Array = new Uint8Array(0);
  /** Per frame: how many alternatives, and the index of the one taken. */
  private altN: Uint16Array = new Uint16Array(1024);
  private altAt: Uint16Array = new Uint16Array(1024);
  /** Per pick frame: the actor of the step before (NONE at step 0 and for choice frames). */
  private prevActor: Uint8Array = new Uint8Array(1024);
  /** Frames on the current branch. */
  private depth = 0;
  /** This execution: frames passed, steps taken, the last actor, preemptions so far. */
  private pos = 0;
  private at = 0;
  private last = NONE;
  private preSoFar = 0;
  /** Alternatives not tried because of the preemption bound. */
  prunedByBound = 0;
  /** The most frames on a branch so far. */
  maxDepth = 0;
  /** Search-tree nodes visited: frames opened plus alternatives taken on backtracking. */
  nodes = 0;
  /** The cell's actor count (Explorer.begin's nActors, the same for every execution); 0 before the first. */
  private width = 0;

  /**
   * `preemptionBound`: most preemptions per branch. `hooks.begin`: called at the start of each
   * execution (after the simulator's reset). `hooks.visit`: called at each new step frame with
   * the branch's preemptions so far and the actor of the step before (255 at step 0: under a
   * preemption bound it decides which successors are free), in the state between two steps;
   * false prunes the branch
   * there (a state explored already): the run is abandoned by throwing PRUNED.
   */
  private readonly root: ArrayLike<number>;
  private readonly cap: number;
  /** Sleep sets are kept (hooks.commutes or hooks.commuting). */
  private readonly sleeps: boolean;

  constructor(
    private readonly preemptionBound: number = Number.POSITIVE_INFINITY,
    private readonly hooks: DfsHooks = {},
    shape: DfsShape = {},
  ) {
    this.sleeps = hooks.commutes !== undefined || hooks.commuting !== undefined;
    if (this.sleeps && Number.isFinite(preemptionBound)) {
      throw new Error('DfsExplorer: sleep sets with a preemption bound are not sound as implemented: give one or the other');
    }
    this.root = shape.root ?? [];
    this.cap = shape.cap ?? Number.POSITIVE_INFINITY;
  }
  /** States pruned as explored already (hooks.visit said false). */
  pruned = 0;
  /** Alternatives not taken because they were asleep (partial-order reduction), and states where every enabled actor was. */
  slept = 0;
  sleepBlocked = 0;
  /** Per pick frame: the sleep set in its state, and the one its taken alternative passes on (bitmasks of actor ids). */
  private sleepAt: Uint32Array = new Uint32Array(1024);
  private childSleep: Uint32Array = new Uint32Array(1024);
  /** Per pick frame (stateful search): the step it decides, the branch's preemptions before it, and whether hooks.save saved its state. */
  private stepAt: Int32Array = new Int32Array(1024);
  private preAt: Int32Array = new Int32Array(1024);
  private saved: Uint8Array = new Uint8Array(1024);
  /** This execution: the sleep set the next new step frame starts with. */
  private pendingSleep = 0;

  begin(_rng: unknown, nActors: number): void {
    if (this.width === 0) {
      if (!(nActors >= 1 && nActors <= MAX_WIDTH)) throw new RangeError(`DfsExplorer: ${nActors} actors (1..${MAX_WIDTH})`);
      this.width = nActors;
      this.alts = new Uint8Array(this.kind.length * nActors);
    } else if (nActors !== this.width) throw new Error(`DfsExplorer: ${nActors} actors, but the search began with ${this.width} (one explorer per cell)`);
    this.pos = 0;
    this.at = 0;
    this.last = NONE;
    this.preSoFar = 0;
    this.pendingSleep = 0;
    if (this.sleeps && nActors > 32) throw new RangeError(`DfsExplorer: sleep sets take at most 32 actors (8 CPUs); this cell has ${nActors}`);
    this.hooks.begin?.();
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    if (step !== this.at) throw new Error(`DfsExplorer: asked for step ${step} at ${this.at}`);
    const f = this.pos;
    const sleep = this.pendingSleep;
    if (f >= this.depth && f >= this.cap) throw SPLIT;
    // A new frame past the branch is a state between two steps reached for the first time on this branch.
    if (f >= this.depth && this.hooks.visit !== undefined && !this.hooks.visit(this.preSoFar, this.last, sleep)) {
      this.pruned++;
      throw PRUNED;
    }
    let a: number;
    if (f < this.depth) {
      this.at++;
      this.pos++;
      // On the branch: its actor, which must be enabled (re-execution is exact).
      if (this.kind[f] !== PICK)
        throw new Error(`DfsExplorer: frame ${f} was a choice on this branch, the re-execution asks for a step (the model is not a function of its decisions)`);
      a = this.value[f]!;
      let ok = false;
      for (let i = 0; i < n; i++) if (enabled[i] === a) ok = true;
      if (!ok)
        throw new Error(`DfsExplorer: step ${step}: the branch's actor ${a} is not enabled on re-execution (the model is not a function of its decisions)`);
      // The frame the last backtrack changed: the sleep set its new alternative passes on.
      if (f === this.depth - 1 && this.sleeps) this.childSleep[f] = this.passOn(f, a);
    } else {
      // A new frame: the previous actor first when still enabled, then the others ascending; asleep ones not at all.
      this.grow(f + 1);
      const base = f * this.width;
      const prev = this.last;
      let prevEnabled = false;
      for (let i = 0; i < n; i++) if (enabled[i] === prev) prevEnabled = true;
      let m = 0;
      if (prevEnabled && (sleep & (1 << prev)) === 0) this.alts[base + m++] = prev;
      // Switching away from a still-enabled actor costs a preemption: over the bound, those are not tried.
      const canPreempt = !prevEnabled || this.preSoFar + 1 <= this.preemptionBound;
      for (let i = 0; i < n; i++) {
        const x = enabled[i]!;
        if (x === prev) continue;
        if ((sleep & (1 << x)) !== 0) this.slept++;
        else if (canPreempt) this.alts[base + m++] = x;
        else this.prunedByBound++;
      }
      if (prevEnabled && (sleep & (1 << prev)) !== 0) this.slept++;
      if (m === 0) {
        // Every enabled actor is asleep: whatever follows was explored from an equivalent order.
        this.sleepBlocked++;
        throw PRUNED;
      }
      this.at++;
      this.pos++;
      this.open(f);
      this.kind[f] = PICK;
      this.altN[f] = m;
      this.prevActor[f] = prev;
      this.sleepAt[f] = sleep;
      this.altAt[f] = this.rootAlt(f, m);
      a = this.alts[base + this.altAt[f]!]!;
      this.value[f] = a;
      this.stepAt[f] = step;
      this.preAt[f] = this.preSoFar;
      const save = this.hooks.save !== undefined && (f === 0 || this.altAt[f]! + 1 < m);
      this.saved[f] = save ? 1 : 0;
      if (save) this.hooks.save!(f);
      if (this.sleeps) this.childSleep[f] = this.passOn(f, a);
    }
    if (this.sleeps) this.pendingSleep = this.childSleep[f]!;
    if (this.isPreemption(f)) this.preSoFar++;
    this.last = a;
    return a;
  }

  /**
   * Sleep sets (Godefroid): the actors asleep in frame f's state, and the alternatives of f
   * taken before `a`, stay asleep after `a`'s step when their step commutes with it there
   * (hooks.commutes: decided by experiment in this state).
   */
  private passOn(f: number, a: number): number {
    let cand = this.sleepAt[f]!;
    const base = f * this.width;
    for (let i = 0; i < this.altAt[f]!; i++) cand |= 1 << this.alts[base + i]!;
    cand &= ~(1 << a);
    if (this.hooks.commuting !== undefined) return cand === 0 ? 0 : this.hooks.commuting(a, cand >>> 0) >>> 0;
    let out = 0;
    for (let u = 0; cand !== 0; u++, cand >>>= 1) {
      if ((cand & 1) !== 0 && this.hooks.commutes!(u, a)) out |= 1 << u;
    }
    return out >>> 0;
  }

  chooseInStep(n: number, step: number): number {
    if (n > this.width) throw new RangeError(`DfsExplorer: a ${n}-way choice at step ${step} (at most ${this.width})`);
    const f = this.pos++;
    if (f < this.depth) {
      if (this.kind[f] !== CHOOSE)
        throw new Error(`DfsExplorer: frame ${f} was a step on this branch, the re-execution makes a choice (the model is not a function of its decisions)`);
      const c = this.value[f]!;
      if (c >= n) throw new Error(`DfsExplorer: step ${step}: the branch's choice ${c} is not one of 0..${n - 1} on re-execution`);
      return c;
    }
    if (f >= this.cap) throw SPLIT;
    this.open(f);
    const base = f * this.width;
    for (let i = 0; i < n; i++) this.alts[base + i] = i;
    this.kind[f] = CHOOSE;
    this.altN[f] = n;
    this.prevActor[f] = NONE;
    const c = this.rootAlt(f, n);
    this.altAt[f] = c;
    this.value[f] = c;
    return c;
  }

  /** The alternative a new frame f takes first: the root's at its frames, else the first. */
  private rootAlt(f: number, m: number): number {
    if (f >= this.root.length) return 0;
    const i = this.root[f]!;
    if (!(i >= 0 && i < m))
      throw new Error(`DfsExplorer: the subtree root takes alternative ${i} at frame ${f}, which has ${m} (the model is not a function of its decisions)`);
    return i;
  }

  /** The alternative index taken at each of the branch's first `frames` frames (a subtree root: DfsShape.root). */
  path(frames: number = this.depth): Uint16Array {
    return this.altAt.slice(0, frames);
  }

  /** Open frame f (= the branch's depth): its alternative index 0, the node counted. */
  private open(f: number): void {
    this.grow(f + 1);
    this.altAt[f] = 0;
    this.depth = f + 1;
    this.nodes++;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
  }

  /** Frames the execution so far has passed (after a run: all of its decisions and choices). */
  get position(): number {
    return this.pos;
  }

  /**
   * Stateful search, after backtrack(): the deepest pick frame at or before the frame the
   * backtrack changed whose state hooks.save saved (frame 0's always is): restore it, seek()
   * there and go on with the run. -1 without hooks.save.
   */
  restartFrame(): number {
    if (this.hooks.save === undefined) return -1;
    for (let f = this.depth - 1; f >= 0; f--) if (this.kind[f] === PICK && this.saved[f] === 1) return f;
    throw new Error('DfsExplorer: no saved frame to restart from (frame 0 is always saved)');
  }

  /**
   * Stateful search: put this execution at pick frame f (restartFrame()), where the simulator's
   * state was restored to the one saved there: the frames before f as passed, the step, the
   * last actor, the preemptions and the sleep set as they were when f was opened.
   */
  seek(f: number): void {
    if (!(f >= 0 && f < this.depth && this.kind[f] === PICK && this.saved[f] === 1)) throw new Error(`DfsExplorer: cannot seek to frame ${f}`);
    this.pos = f;
    this.at = this.stepAt[f]!;
    this.last = this.prevActor[f]!;
    this.preSoFar = this.preAt[f]!;
    this.pendingSleep = this.sleepAt[f]!;
  }

  /**
   * After an execution: cut the branch to the frames that execution passed (`frames`), then
   * move to the next alternative of the deepest frame that has one. False when the search is done.
   */
  backtrack(frames: number = this.pos): boolean {
    if (frames < this.depth) this.depth = frames;
    // The root's frames are the subtree's: never changed.
    while (this.depth > this.root.length) {
      const d = this.depth - 1;
      const next = this.altAt[d]! + 1;
      if (next < this.altN[d]!) {
        this.altAt[d] = next;
        this.value[d] = this.alts[d * this.width + next]!;
        this.nodes++;
        return true;
      }
      this.depth = d;
    }
    return false;
  }

  /** Untried alternatives left on the branch (the frontier when a budget stops the search). */
  frontier(): number {
    let f = 0;
    for (let d = this.root.length; d < this.depth; d++) f += this.altN[d]! - 1 - this.altAt[d]!;
    return f;
  }

  /** The decisions (actor per step) of the branch's first `frames` frames. */
  decisions(frames: number = this.depth): Uint8Array {
    return this.valuesOf(PICK, frames);
  }

  /** The choices (in-step, in order) of the branch's first `frames` frames. */
  choices(frames: number = this.depth): Uint8Array {
    return this.valuesOf(CHOOSE, frames);
  }

  /** Preemptions on the branch's first `frames` frames. */
  preemptions(frames: number = this.depth): number {
    let p = 0;
    for (let f = 0; f < frames; f++) if (this.kind[f] === PICK && this.isPreemption(f)) p++;
    return p;
  }

  /** A pick frame is a preemption when the previous step's actor was enabled (then it is the first alternative) and another was taken. */
  private isPreemption(f: number): boolean {
    const prev = this.prevActor[f]!;
    return prev !== NONE && this.alts[f * this.width] === prev && this.value[f] !== prev;
  }

  private valuesOf(kind: number, frames: number): Uint8Array {
    let n = 0;
    for (let f = 0; f < frames; f++) if (this.kind[f] === kind) n++;
    const out = new Uint8Array(n);
    n = 0;
    for (let f = 0; f < frames; f++) if (this.kind[f] === kind) out[n++] = this.value[f]!;
    return out;
  }

  private grow(need: number): void {
    if (need <= this.kind.length) return;
    let cap = this.kind.length;
    while (cap < need) cap *= 2;
    // The same array type, `cap` frames of `per` elements, the old contents kept.
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a as ArrayLike<number>);
      return b;
    };
    this.kind = grown(this.kind);
    this.value = grown(this.value);
    this.alts = grown(this.alts, this.width);
    this.prevActor = grown(this.prevActor);
    this.sleepAt = grown(this.sleepAt);
    this.stepAt = grown(this.stepAt);
    this.preAt = grown(this.preAt);
    this.saved = grown(this.saved);
    this.childSleep = grown(this.childSleep);
    this.altN = grown(this.altN);
    this.altAt = grown(this.altAt);
  }
}
