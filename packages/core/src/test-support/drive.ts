/**
 * A small scenario driver for core's own directed tests (testkit's Scenario DSL builds on
 * core, so core cannot use it): step one CPU's actor until a condition holds, then let the
 * lowest enabled actor run to the end. Same script, mutated or not, so a mutation's test can
 * show the mutated model breaking and the mainline model passing the same interleaving.
 */
import type { Kernel } from '../model/kernel.js';
import { ACTORS_PER_CPU } from '../machine/constants.js';
import type { RunResult, Simulator } from '../run/simulator.js';

export interface ScriptStep {
  readonly cpu: number;
  readonly kind?: 'task' | 'irq';
  /** Stop stepping this actor once this holds (checked before each step); default: one step. */
  readonly until?: (k: Kernel) => boolean;
}

/** Run `script` from the start of run `seed`, then the lowest enabled actor to the end. */
export function drive(sim: Simulator, script: readonly ScriptStep[], maxSteps = 2000): RunResult {
  sim.begin([1, 2, 3, 4], { trace: true });
  const k = sim.k;
  let budget = maxSteps;
  outer: for (const s of script) {
    const actor = s.cpu * ACTORS_PER_CPU + (s.kind === 'irq' ? 1 : 0);
    do {
      if (s.until?.(k)) break;
      if (!sim.enabledActors().includes(actor)) break;
      if (--budget < 0) throw new Error('scenario did not reach its condition');
      if (!sim.stepActor(actor)) break outer;
    } while (s.until !== undefined);
  }
  while (k.violation === null) {
    const en = sim.enabledActors();
    if (en.length === 0) break;
    if (--budget < 0) throw new Error('scenario did not end');
    if (!sim.stepActor(en[0]!)) break;
  }
  return sim.end();
}
