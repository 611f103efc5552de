/**
 * Explorer strategies: at every step, which enabled actor moves next. A strategy is a pure
 * function of its PRNG stream and the enabled sets it is shown, so a run is a pure function
 * of (config, seed); the chosen actors are also recorded as the decision list for replay.
 */
import { z } from 'zod';
import type { Sfc32 } from '../prng/sfc32.js';
import type { Explorer } from './explorer.js';

export type { Explorer } from './explorer.js';
export { ReplayDivergence, ReplayExplorer, type ReplayExplorerOptions } from './replay.js';

/**
 * - `random`, `pct` (depth D): N independent runs, seeded per run.
 * - `exhaustive`: every schedule of the cell (and every in-step choice), depth first, by
 *   @lazytlb/explore's exhaustive search; `preemptions`: a preemption bound (iterative context
 *   bounding; absent: unbounded); `maxExecutions`: the search's budget (absent: the engine's
 *   default). A plain `Simulator.run(seed)` of such a cell runs the search's first execution
 *   (FirstScheduleExplorer); the search injects its own explorer.
 */
export const StrategySpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random') }).strict(),
  z.object({ kind: z.literal('pct'), depth: z.number().int().min(1).max(16) }).strict(),
  z
    .object({
      kind: z.literal('exhaustive'),
      preemptions: z.number().int().min(0).max(64).optional(),
      maxExecutions: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    })
    .strict(),
]);
export type StrategySpec = z.infer<typeof StrategySpec>;

const STRATEGY_FORMS = '"random", "pct:D" with D in 1..16, "exhaustive" or "exhaustive:P" with P (a preemption bound) in 0..64';

/** Parse "random", "pct:D", "exhaustive" or "exhaustive:P" (the CLI form). */
export function parseStrategy(text: string): StrategySpec {
  if (text === 'random') return { kind: 'random' };
  if (text === 'exhaustive') return { kind: 'exhaustive' };
  const m = /^(pct|exhaustive):(\d+)$/.exec(text);
  if (m) {
    const r = StrategySpec.safeParse(m[1] === 'pct' ? { kind: 'pct', depth: Number(m[2]) } : { kind: 'exhaustive', preemptions: Number(m[2]) });
    if (r.success) return r.data;
  }
  throw new Error(`invalid strategy "${text}": expected ${STRATEGY_FORMS}`);
}

/** "random", "pct:3", "exhaustive", "exhaustive:2" (the budget, when given, is not part of the label). */
export function strategyToString(s: StrategySpec): string {
  if (s.kind === 'random') return 'random';
  if (s.kind === 'pct') return `pct:${s.depth}`;
  return s.preemptions === undefined ? 'exhaustive' : `exhaustive:${s.preemptions}`;
}

/** Uniform random walk: every enabled actor equally likely at every step. */
export class RandomExplorer implements Explorer {
  private rng!: Sfc32;
  begin(rng: Sfc32): void {
    this.rng = rng;
  }
  pick(enabled: Uint8Array, n: number): number {
    return enabled[n === 1 ? 0 : this.rng.int(n)]!;
  }
}

/**
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010) with depth d: actors get
 * distinct random priorities d..d+n-1; d-1 change points are drawn uniformly over the
 * estimated step count k; the highest-priority enabled actor always runs, and at the i-th
 * change point the running actor's priority drops to d-1-i (below every initial one).
 * Finds any bug of depth d with probability at least 1/(n k^(d-1)).
 */
export class PctExplorer implements Explorer {
  private prio = new Int32Array(0);
  private change = new Int32Array(0);
  private nChange = 0;
  constructor(readonly depth: number) {}

  begin(rng: Sfc32, nActors: number, estSteps: number): void {
    if (this.prio.length < nActors) this.prio = new Int32Array(nActors);
    const d = this.depth;
    for (let i = 0; i < nActors; i++) this.prio[i] = d + i;
    for (let i = nActors - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = this.prio[i]!;
      this.prio[i] = this.prio[j]!;
      this.prio[j] = t;
    }
    if (this.change.length < d) this.change = new Int32Array(d);
    this.nChange = d - 1;
    const k = Math.max(1, estSteps);
    for (let i = 0; i < this.nChange; i++) this.change[i] = 1 + rng.int(k);
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    let best = enabled[0]!;
    let bp = this.prio[best]!;
    for (let i = 1; i < n; i++) {
      const a = enabled[i]!;
      const p = this.prio[a]!;
      if (p > bp) {
        bp = p;
        best = a;
      }
    }
    for (let i = 0; i < this.nChange; i++) {
      if (this.change[i] === step) this.prio[best] = this.depth - 2 - i;
    }
    return best;
  }
}

/**
 * The first execution of an exhaustive search (explore's DfsExplorer tries alternatives in this
 * order): the actor of the previous step while it is enabled (no preemption), else the lowest
 * enabled; every in-step choice 0 (so choices are enumerated, not drawn: Kernel.choicesExplored()
 * holds, as in the search). A plain run of an exhaustive cell is this execution.
 */
export class FirstScheduleExplorer implements Explorer {
  private last = -1;
  begin(): void {
    this.last = -1;
  }
  pick(enabled: Uint8Array, n: number): number {
    for (let i = 0; i < n; i++) if (enabled[i] === this.last) return this.last;
    return (this.last = enabled[0]!);
  }
  chooseInStep(): number {
    return 0;
  }
}

/** The explorer of a cell's strategy (a run may inject another: RunOptions.explorer). */
export function createExplorer(spec: StrategySpec): Explorer {
  return spec.kind === 'random' ? new RandomExplorer() : spec.kind === 'pct' ? new PctExplorer(spec.depth) : new FirstScheduleExplorer();
}
