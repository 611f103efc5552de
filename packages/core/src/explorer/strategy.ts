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

export const StrategySpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('random') }).strict(),
  z.object({ kind: z.literal('pct'), depth: z.number().int().min(1).max(16) }).strict(),
]);
export type StrategySpec = z.infer<typeof StrategySpec>;

/** Parse "random" or "pct:D" (the CLI form). */
export function parseStrategy(text: string): StrategySpec {
  if (text === 'random') return { kind: 'random' };
  const m = /^pct:(\d+)$/.exec(text);
  if (m) {
    const r = StrategySpec.safeParse({ kind: 'pct', depth: Number(m[1]) });
    if (r.success) return r.data;
  }
  throw new Error(`invalid strategy "${text}": expected "random" or "pct:D" with D in 1..16`);
}

export function strategyToString(s: StrategySpec): string {
  return s.kind === 'random' ? 'random' : `pct:${s.depth}`;
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

/** The explorer of a cell's strategy (a run may inject another: RunOptions.explorer). */
export function createExplorer(spec: StrategySpec): Explorer {
  return spec.kind === 'random' ? new RandomExplorer() : new PctExplorer(spec.depth);
}
