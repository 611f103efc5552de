/**
 * Shrink passes: how a failure can get smaller, one dimension each, separate from running the
 * candidates (fast-check's split of shrinkers from the runner). A pass looks at the current
 * failure and offers candidates in a fixed order; the runner (runner.ts) runs each, decides
 * whether it is accepted, and answers the pass with the new current failure (or undefined), so a
 * pass goes on from what was accepted (a chunk removal stays at its position, an option list is
 * listed again). Passes know nothing of simulators, budgets or findings: they are pure functions
 * of what they are shown and answered, and each can be tested alone (candidatesOf, drivePass).
 */
import type { ShrinkWorkload } from './workload.js';

/** What a pass sees of the current failure. */
export interface ShrinkSubject {
  readonly archOptions: unknown;
  readonly cpus: number;
  /** The explicit workload (structured ops), or null while it is the artifact's generated one. */
  readonly workload: ShrinkWorkload | null;
  /** The decision list of the current failure's run (one actor per step). */
  readonly decisions: Uint8Array;
}

/**
 * A candidate: a decision list, and the cell changes it comes with (absent: as now). A candidate
 * with no cell change must fail in fewer steps than the current failure; one that changes the
 * cell may take as many (it is smaller in another dimension).
 */
export interface Candidate {
  readonly decisions: ArrayLike<number>;
  /** Other arch options (the runner keeps them as the simulator parsed them). */
  readonly archOptions?: unknown;
  /** Fewer CPUs (with the workload and decisions renumbered to match). */
  readonly cpus?: number;
  /** Another explicit workload. */
  readonly workload?: ShrinkWorkload;
}

/** The candidates of a pass: yields candidates, and is answered with the accepted failure or undefined. */
export type CandidateStream<S extends ShrinkSubject = ShrinkSubject> = Generator<Candidate, void, S | undefined>;

export interface ShrinkPass {
  /** Short name (logs, tests): decisions, options, simplify-ops, cpus, tasks, ops, budgets. */
  readonly name: string;
  /**
   * Candidates smaller than `current` in this pass's dimension, in a fixed order. Each `yield`
   * returns the failure the runner accepted instead (the pass continues from it) or undefined.
   */
  candidates<S extends ShrinkSubject>(current: S): CandidateStream<S>;
}

/**
 * Run `pass` from `subject`: `accept(candidate, current)` gives the new current failure or
 * undefined; `stop()` (checked before each candidate) ends the pass early. Returns the final
 * failure and the candidates that were accepted, in order.
 */
export function drivePass<S extends ShrinkSubject>(
  pass: ShrinkPass,
  subject: S,
  accept: (candidate: Candidate, current: S) => S | undefined,
  stop: () => boolean = () => false,
): { subject: S; accepted: Candidate[] } {
  const stream = pass.candidates(subject);
  let current = subject;
  const accepted: Candidate[] = [];
  let answer: S | undefined;
  for (;;) {
    const next = stream.next(answer);
    if (next.done === true || stop()) break;
    answer = accept(next.value, current);
    if (answer !== undefined) {
      current = answer;
      accepted.push(next.value);
    }
  }
  stream.return(undefined);
  return { subject: current, accepted };
}

/** Every candidate `pass` offers `subject` when none is accepted (its fixed order). */
export function candidatesOf(pass: ShrinkPass, subject: ShrinkSubject): Candidate[] {
  const out: Candidate[] = [];
  drivePass(pass, subject, (c) => void out.push(c));
  return out;
}
