/**
 * The interleaving shared by the §5.6 / §5.7 scenarios (test-only).
 */
import { child, scenario, thread, type Scenario } from '@lazytlb/testkit';
import type { Scheme } from '@lazytlb/core';
import powerpc from '../index.js';
import { untilServingIpis } from './scenario-helpers.js';

export type Opts = Record<string, unknown>;

/**
 * CPU1 ends lazy on P (swapper/1 after T1 exits); then P's last thread T0 exits on CPU0.
 * U (process Q, on CPU2) then forks V: 'lazy-child' puts V on the lazy CPU1, 'reuse' on CPU2
 * (single-threaded, it unmaps). The fork runs on CPU2, whose slab does not hold P's freed
 * mm_struct (P was allocated and freed on CPU0): V's mm gets P's PID (the lowest free id) but
 * not its address. The ABA interleavings are in use-site-scenes.ts.
 */
export function lazyThenExit(scheme: Scheme, archOptions: Opts, children: 'lazy-child' | 'reuse'): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions,
    scheme,
    cpus: 3,
    tasks: {
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1, 'run'),
      U: thread('Q', 2, 'fork V', 'yield'),
      V: children === 'lazy-child' ? child(1, 'run') : child(2, 'run', 'munmap'),
    },
  });
  s.run(`
    CPU1: op                    # swapper/1 -> T1: SPRN_PID = P's PID, bit 1 in mm_cpumask(P)
    CPU1: op                    # run
    CPU1: until do_task_dead    # T1 exits: exit_mm, mmput 2 -> 1
    CPU1: op                    # T1 -> swapper/1: lazy on P, SPRN_PID still P's
    CPU0: op                    # swapper/0 -> T0
    CPU0: op                    # run
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  s.expectMm('P', { mm_users: 1, mm_cpumask: [0, 1] });
  // T0 exits last: exit_mmap, final flush, __mmdrop (REFCOUNT: CPU1's lazy reference keeps P)
  untilServingIpis(s, 0, scheme === 'refcount' ? 'do_task_dead' : 'free_mm');
  return s;
}
