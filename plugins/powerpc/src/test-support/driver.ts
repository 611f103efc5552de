/**
 * Test-only: a minimal step driver over core's Simulator step API, for explicit workloads the
 * testkit Scenario does not accept yet (its start check does not know that `cpu_down <task>`
 * starts the cpuhp thread). Steps one CPU's task or interrupt actor until a trace event, and
 * finishes the run with the lowest enabled actor, as core's own test driver does.
 */
import { Simulator, constants, type ArchPlugin, type ExplicitWorkloadInput, type RunResult, type Scheme, type TraceEvent } from '@lazytlb/core';

export class Driver {
  readonly sim: Simulator;
  private events: TraceEvent[] = [];

  constructor(plugin: ArchPlugin<any>, archOptions: object, scheme: Scheme, cpus: number, workload: ExplicitWorkloadInput, mutations: readonly string[] = []) {
    this.sim = new Simulator({ plugin, archOptions, scheme, cpus, workload: { explicit: workload }, stepBudget: 20_000, mutations });
    const tracer = this.sim.begin([0, 0, 0, 1], { trace: true });
    if (tracer === null) throw new Error('no tracer');
    this.events = tracer.events;
  }

  get k() {
    return this.sim.k;
  }

  /**
   * Step CPU `cpu`'s task (or irq) actor until an event `fn` (whose text contains `text`) happens
   * on it; with `orViolation`, also stop (returning null) when the run stops at a violation.
   */
  until(cpu: number, fn: string, opts: { text?: string; irq?: boolean; within?: number; orViolation?: boolean } = {}): TraceEvent | null {
    const actor = cpu * constants.ACTORS_PER_CPU + (opts.irq === true ? 1 : 0);
    for (let i = 0; i < (opts.within ?? 500); i++) {
      const from = this.events.length;
      if (!this.sim.enabledActors().includes(actor)) throw new Error(`CPU${cpu} ${opts.irq === true ? 'irq' : 'task'} actor not enabled (waiting for ${fn})`);
      const ok = this.sim.stepActor(actor);
      const hit = this.events.slice(from).find((e) => e.fn === fn && e.cpu === cpu && (opts.text === undefined || e.text.includes(opts.text)));
      if (hit !== undefined) return hit;
      if (!ok && opts.orViolation === true && this.k.violation !== null) return null;
      if (!ok) throw new Error(`run ended before ${fn} on CPU${cpu}: ${this.k.violation?.message ?? 'plugin error'}`);
    }
    throw new Error(`no ${fn} on CPU${cpu}`);
  }

  /**
   * Step CPU `cpu`'s task actor until the IRQs-off path it is in has ended (e.g. the rest of a
   * switch_mm_irqs_off() sequence and context_switch()'s tail, IRQs back on).
   */
  untilIrqsOn(cpu: number, within = 50): void {
    for (let i = 0; this.k.cpuIrqsOff[cpu] !== 0; i++) {
      if (i >= within) throw new Error(`CPU${cpu} still has IRQs off after ${within} steps`);
      if (!this.sim.stepActor(cpu * constants.ACTORS_PER_CPU))
        throw new Error(`run ended on CPU${cpu} with IRQs off: ${this.k.violation?.message ?? 'plugin error'}`);
    }
  }

  find(fn: string, cpu?: number): TraceEvent[] {
    return this.events.filter((e) => e.fn === fn && (cpu === undefined || e.cpu === cpu));
  }

  /** Run to the end with the lowest enabled actor each step. */
  finish(): RunResult {
    for (let i = 0; i < 20_000 && this.k.violation === null; i++) {
      const en = this.sim.enabledActors();
      if (en.length === 0) break;
      if (!this.sim.stepActor(en[0]!)) break;
    }
    return this.sim.end();
  }
}
