/**
 * Helpers shared by the directed scenarios (test-only; not exported by the package).
 */
import { constants } from '@lazytlb/core';
import type { Scenario } from '@lazytlb/testkit';

/**
 * Run CPU `cpu`'s task actor until a trace event `fn` on it, delivering the interrupts of the
 * other CPUs whenever `cpu` spins in smp_call_function_many(wait=1). Lets one script serve
 * every scheme: under SHOOTDOWN (or the combined final flush) the exit waits for IPIs, under
 * REFCOUNT / none it does not.
 */
export function untilServingIpis(s: Scenario, cpu: number, fn: string, maxSteps = 400): void {
  for (let i = 0; i < maxSteps; i++) {
    if (s.k.violation !== null) return;
    const en = s.sim.enabledActors();
    if (en.includes(cpu * constants.ACTORS_PER_CPU)) {
      s.cpu(cpu).step();
      if (s.last.events.some((e) => e.fn === fn && e.cpu === cpu)) return;
      continue;
    }
    const other = en.find((a) => a % constants.ACTORS_PER_CPU === 1 && Math.floor(a / constants.ACTORS_PER_CPU) !== cpu);
    if (other === undefined) throw new Error(`untilServingIpis: CPU${cpu} cannot step and no other CPU has an interrupt`);
    s.cpu(Math.floor(other / constants.ACTORS_PER_CPU)).irq();
  }
  throw new Error(`untilServingIpis: no ${fn} on CPU${cpu} within ${maxSteps} steps`);
}

/**
 * Acknowledge the run's first violation so that the scenario can go on and show its
 * consequence. Core stops a run at its first violation; here the point is the *second*
 * one (the I2 that follows the radix PID-reuse I1, or a mutation's consequence), which a run
 * can only reach past the first. Never used for a verdict: the first violation is asserted
 * before. (A dangling active_mm under `none` needs no acknowledging: I3 is a hazard there.)
 */
export function acknowledgeViolation(s: Scenario): void {
  s.k.violation = null;
}
