/**
 * The scheduler seam: an Explorer decides, at every step of a run, which enabled actor moves
 * next. The cell's strategy (strategy.ts: random, PCT) is one; a caller may inject any other
 * for a run (RunOptions.explorer), shuttle-style: replays (strict or lenient), recorders,
 * callers that steer the schedule step by step. Whatever it does, the run stays a pure
 * function of the cell, the seed and the explorer's choices, and the actors it picked are the
 * run's decision list (RunResult.decisions), so any explored run replays exactly.
 */
import type { Sfc32 } from '../prng/sfc32.js';

export interface Explorer {
  /**
   * Start of a run, before its first pick (called once per run: reset per-run state here).
   * `rng`: the run's explorer stream (seeded from the run seed; the only randomness an
   * explorer may use); `nActors` actors (ids 0..nActors-1); about `estSteps` steps expected
   * (PCT's k); `stepBudget`: the cell's step budget (the most steps a run takes).
   */
  begin(rng: Sfc32, nActors: number, estSteps: number, stepBudget?: number): void;
  /**
   * Choose one of `enabled[0..n)` (actor ids, ascending, n ≥ 1) for step `step`; must return
   * one of them. `enabled` is the simulator's buffer, reused every step: copy what you keep.
   * Throwing abandons the run: the error propagates from Simulator.run().
   */
  pick(enabled: Uint8Array, n: number, step: number): number;
  /**
   * Injected explorers (RunOptions.explorer) only: once the run has taken this many steps it
   * ends where it stands, as Simulator.end() ends a step-by-step run: outcome `ok` (actors are
   * still enabled and nothing was violated), not `budget`. Read after begin(); checked before
   * the cell's step budget. Absent: the explorer never ends a run itself.
   */
  readonly stepLimit?: number | undefined;
  /**
   * Enumerate the choices made inside steps (Kernel.choose, Kernel.chance with 0 < p < 1):
   * return one of 0..n-1 (n ≥ 2) for the choice the step at `step` makes now. Absent: they
   * are drawn from the run's in-step PRNG (random, PCT, and replays of their runs). The values
   * returned are the run's choice list (RunResult.choices), which replays it with its
   * decisions.
   */
  chooseInStep?(n: number, step: number): number;
}
