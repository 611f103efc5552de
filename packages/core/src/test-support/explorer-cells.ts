/**
 * Cells, seeds and decision-list perturbations for the explorer equivalence tests: what a
 * shrinker does to a decision list (drop a chunk, drop an actor, truncate) plus noise (actors
 * that are not enabled, values that are no actor), all drawn from a fixed PRNG.
 */
import { costsToObject } from '../cost/counters.js';
import { hashString128, runSeed, type RunSeed } from '../prng/seed.js';
import type { Sfc32 } from '../prng/sfc32.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { type FindingTarget, type RunResult, Simulator, type SimulatorOptions } from '../run/simulator.js';

export interface TestCell {
  readonly label: string;
  readonly opts: Omit<SimulatorOptions, 'plugin'>;
  /** A finding target to stop at in some of the runs (as the shrinker's hazard / use-site artifacts do). */
  readonly target?: FindingTarget;
}

export const CELLS: readonly TestCell[] = [
  { label: 'none 4 CPUs default pct:3', opts: { scheme: 'none', cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } }, target: { hazard: 'I3' } },
  { label: 'shootdown 2 CPUs exit-heavy', opts: { scheme: 'shootdown', cpus: 2, workload: 'exit-heavy' } },
  { label: 'refcount 3 CPUs hotplug, budget 150', opts: { scheme: 'refcount', cpus: 3, workload: 'hotplug', stepBudget: 150 } },
  {
    label: 'none 2 CPUs kthread-heavy rt, I14 off',
    opts: { scheme: 'none', cpus: 2, workload: 'kthread-heavy', preempt: 'rt', disabledInvariants: ['I14'] },
    target: { site: '__mmdrop' },
  },
];

export function simOf(cell: TestCell): Simulator {
  return new Simulator({ plugin: referenceArch, ...cell.opts });
}

export function seedOf(sim: Simulator, i: number): RunSeed {
  return runSeed(hashString128(sim.cellId), i);
}

/** A perturbed copy of `d` (kind drawn from `rng`) for a cell of `nActors` actors. */
export function perturb(d: Uint8Array, nActors: number, rng: Sfc32): Uint8Array {
  const out = Array.from(d);
  const kind = rng.int(6);
  if (kind === 0 || out.length === 0) return Uint8Array.from(out);
  const i = rng.int(out.length);
  switch (kind) {
    case 1:
      out.splice(i, 1 + rng.int(Math.max(1, out.length >> 2)));
      break; // drop a chunk
    case 2: {
      const a = out[i]!;
      return Uint8Array.from(out.filter((x) => x !== a));
    } // drop an actor
    case 3:
      out.length = i;
      break; // truncate
    case 4:
      for (let j = 0; j < 3; j++) out[rng.int(out.length)] = rng.int(nActors + 3);
      break; // noise, some no actor at all
    default:
      out.splice(i, 0, rng.int(nActors));
      break; // an extra step
  }
  return Uint8Array.from(out);
}

/** A step limit as the shrinker passes them: none, fewer steps than the original, or anything. */
export function limitOf(steps: number, rng: Sfc32): number {
  const k = rng.int(3);
  return k === 0 ? Infinity : k === 1 ? Math.max(0, steps - 1) : rng.int(steps + 10);
}

/** Everything a run reports but the trace, in a comparable form, plus the cost counters after it. */
export function summary(r: RunResult, sim: Simulator): unknown {
  return {
    outcome: r.outcome,
    steps: r.steps,
    violation: r.violation,
    hazards: r.hazards,
    useSites: r.useSites,
    pluginError: r.pluginError,
    decisions: r.decisions === null ? null : Array.from(r.decisions),
    costs: costsToObject(sim.costs),
  };
}

/** The error `f` throws (its class name and message), or its value. */
export function outcomeOrError<T>(f: () => T): { value: T } | { error: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
