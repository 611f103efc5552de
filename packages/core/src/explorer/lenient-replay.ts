/**
 * Lenient replay: follow a decision list as far as it fits the run. A shrinker edits decision
 * lists (drops chunks, drops every step of an actor) and re-runs them; the edited list rarely
 * fits exactly, so a decision that does not fit is replaced instead of refused.
 */
import type { Explorer } from './explorer.js';

/**
 * At step i: `decisions[i]` when that actor is enabled; otherwise (a disabled actor, a value
 * that is no actor, or i past the end of the list) the lowest enabled actor. The run ends
 * where it stands (outcome `ok`, Explorer.stepLimit) after `limit` steps or at the cell's step
 * budget, whichever comes first; it never ends `budget`. These are exactly the semantics of
 * the sweep app's step-by-step `lenientRun` (the decisions actually taken are the run's
 * RunResult.decisions; pass keepDecisions to keep them for an `ok` run).
 */
export class LenientReplayExplorer implements Explorer {
  stepLimit = Infinity;
  constructor(
    private readonly decisions: ArrayLike<number>,
    /** Most steps to take (default: no limit but the cell's step budget). */
    private readonly limit = Infinity,
  ) {}

  begin(_rng: unknown, _nActors: number, _estSteps: number, stepBudget = Infinity): void {
    this.stepLimit = Math.min(this.limit, stepBudget);
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    if (step < this.decisions.length) {
      const d = this.decisions[step]!;
      for (let i = 0; i < n; i++) if (enabled[i] === d) return d;
    }
    return enabled[0]!;
  }
}
