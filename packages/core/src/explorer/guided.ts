/**
 * Guided: a caller steers the schedule step by step, e.g. a bug-depth search that replays a
 * prefix, then lets an actor run on while it is enabled, then resumes a recorded rest.
 */
import type { Explorer } from './explorer.js';

/**
 * Picks the actor for step `step`: `enabled` is the enabled set (ascending, non-empty, a fresh
 * array), `prev` the actor of the previous step (-1 at the first). Must return one of `enabled`.
 */
export type Chooser = (step: number, enabled: readonly number[], prev: number) => number;

/**
 * Asks `choose` at every step. Like the sweep app's step-by-step `guidedRun`, the run ends
 * where it stands (outcome `ok`, Explorer.stepLimit) at the cell's step budget (or at `limit`
 * steps, if smaller), never `budget`. A choice that is not enabled throws.
 */
export class GuidedExplorer implements Explorer {
  stepLimit = Infinity;
  private prev = -1;

  constructor(
    private readonly choose: Chooser,
    /** Most steps to take (default: no limit but the cell's step budget). */
    private readonly limit = Infinity,
  ) {}

  begin(_rng: unknown, _nActors: number, _estSteps: number, stepBudget = Infinity): void {
    this.prev = -1;
    this.stepLimit = Math.min(this.limit, stepBudget);
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    const en = Array.from(enabled.subarray(0, n));
    const a = this.choose(step, en, this.prev);
    if (!en.includes(a)) throw new Error(`GuidedExplorer: step ${step}: the chooser picked actor ${a}, which is not enabled (enabled: ${en.join(',')})`);
    this.prev = a;
    return a;
  }
}
