/**
 * Recording: what the schedule looked like. Wraps any explorer and keeps, per step, the
 * enabled set it was shown and the actor it picked, e.g. to count preemptions (a switch away
 * from an actor that could have gone on: the preemption bound of CHESS / PCT's depth).
 */
import type { Sfc32 } from '../prng/sfc32.js';
import type { Explorer } from './explorer.js';

export class RecordingExplorer implements Explorer {
  /** enabled[i]: the actors enabled before step i (ascending); one entry per pick. Fresh arrays every run. */
  enabled: number[][] = [];
  /** picks[i]: the actor the wrapped explorer picked at step i (the run's decision list). */
  picks: number[] = [];

  constructor(readonly inner: Explorer) {}

  /** The wrapped explorer's. */
  get stepLimit(): number | undefined {
    return this.inner.stepLimit;
  }

  begin(rng: Sfc32, nActors: number, estSteps: number, stepBudget?: number): void {
    this.enabled = [];
    this.picks = [];
    this.inner.begin(rng, nActors, estSteps, stepBudget);
  }

  pick(enabled: Uint8Array, n: number, step: number): number {
    // Recorded before asking: a pick that throws (a replay diverging) still shows what was enabled.
    this.enabled.push(Array.from(enabled.subarray(0, n)));
    const a = this.inner.pick(enabled, n, step);
    this.picks.push(a);
    return a;
  }

  /**
   * Steps i > 0 where the pick switched away from the actor of step i-1 while that actor was
   * still enabled (a preemption; switching because it blocked, finished or waits is not one).
   */
  preemptionPoints(): number[] {
    return preemptionPoints(this.picks, this.enabled);
  }
}

/** Preemption points of a decision list given the enabled set before each step (see RecordingExplorer.preemptionPoints). */
export function preemptionPoints(decisions: ArrayLike<number>, enabled: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < decisions.length; i++) {
    const prev = decisions[i - 1]!;
    if (decisions[i] !== prev && (enabled[i] ?? []).includes(prev)) out.push(i);
  }
  return out;
}
