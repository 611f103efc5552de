/**
 * Shared directed-scenario setups of the x86 tests (not part of the package build).
 */
import { Scenario, child, thread, type ScenarioOptions } from '@lazytlb/testkit';
import plugin, { type X86NativeOptions as Opts } from '../index.js';

export type Scheme = ScenarioOptions['scheme'];

/** CPU1: T1 (thread of P) exits, CPU1 idles lazy on P; CPU0: T0 (P) runs `ops` and exits last; then U (Q) clones V onto CPU1. */
export function exitWhileLazy(scheme: Scheme, archOptions: Partial<Opts>, ...ops: string[]): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      T0: thread('P', 0, 'run', ...ops),
      T1: thread('P', 1),
      U: thread('Q', 0, 'run', 'clone V'),
      V: child(1, 'run'),
    },
  });
  s.run(`
    CPU1: op                    # swapper/1 -> T1: loaded_mm P, bit 1 set
    CPU1: until do_task_dead    # exit_mm: enter_lazy_tlb (is_lazy); mmput 2 -> 1
    CPU1: until context_switch  # T1 -> swapper/1 (k -> k transfer): CPU1 lazy on P, CR3 = P
    CPU0: op                    # swapper/0 -> T0
    CPU0: op                    # run
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  s.expectMm('P', { mm_cpumask: [0, 1] });
  return s;
}

/** The rest of the run after T0 is gone, for a clean configuration. */
export function finishClean(s: Scenario): void {
  s.run('CPU0: until do_task_dead');
  s.expectNoViolation();
  s.finish();
  s.expectMmFreed('P');
  s.expectNoHazard();
}
