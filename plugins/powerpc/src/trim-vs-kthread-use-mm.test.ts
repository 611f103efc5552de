/**
 * kernel-reference §7.4: "powerpc/64s/radix: Fix mm_cpumask trimming race vs kthread_use_mm"
 * (a665eec0a22e, fixing 0cef77c7798a7). The single-threaded flush path of flush_type_needed
 * IPIs the mask (exit_flush_lazy_tlbs). An io_uring worker that does mmget_not_zero() +
 * kthread_use_mm() after the `mm_users <= 1` check used to have its bit wiped by the flusher,
 * which then went local-only while the worker had the PID loaded (I7, then I2).
 *
 * With the current code each CPU clears only its own bit, in the IPI handler, and only when
 * current->mm != mm: the worker keeps its bit, its TLB is flushed by the IPI, and the next
 * flush is global because mm_users is 2 again. The model runs the racy interleaving clean.
 */
import { describe, it } from 'vitest';
import { useMmWorker, scenario, thread } from '@lazytlb/testkit';
import powerpc from './index.js';

describe('powerpc radix §7.4: mm_cpumask trimming vs kthread_use_mm', () => {
  for (const scheme of ['shootdown', 'refcount'] as const) {
    it(`${scheme}: the worker that enters kthread_use_mm inside the trim window keeps its bit and is flushed`, () => {
      const s = scenario({
        arch: powerpc,
        scheme,
        cpus: 2,
        tasks: {
          T0: thread('P', 0, 'use_mm_setup W', 'run', 'munmap', 'munmap'),
          T1: thread('P', 1, 'run'),
          W: useMmWorker(1, 'kthread_use_mm', 'kwork', 'kthread_unuse_mm'),
        },
      });
      s.run(`
        CPU1: op                     # swapper/1 -> T1: bit 1 in mm_cpumask(P), active_cpus 1
        CPU1: op                     # run
        CPU1: until do_task_dead     # T1 exits: mm_users 2 -> 1
        CPU1: op                     # T1 -> swapper/1, lazy on P
        CPU0: op                     # swapper/0 -> T0: bit 0, active_cpus 2
        CPU0: op                     # use_mm_setup: mmgrab(P); W runnable on CPU1
        CPU0: op                     # run
        CPU0: until exit_flush_lazy_tlbs  # munmap: mm_users == 1 && current->mm == P: IPI CPU1 (wait=1)
      `);
      s.expectMm('P', { mm_users: 1, mm_cpumask: [0, 1] });
      s.run(`
        CPU1: op                     # swapper/1 -> W (kernel -> kernel, lazy on P)
        CPU1: until mmget_not_zero   # after the flusher's mm_users check: mm_users 1 -> 2
        CPU1: until kthread_use_mm "mm="  # W->mm = P; switch_mm_irqs_off(P, P): prev == next
        CPU1: irq                    # do_exit_flush_lazy_tlb: current->mm == P -> keep the bit, tlbiel
      `);
      s.expectEvent({ fn: 'tlbiel', cpu: 1 });
      s.expectNoEvent({ fn: 'exit_lazy_flush_tlb', cpu: 1 });
      s.expectMm('P', { mm_users: 2, mm_cpumask: [0, 1] });
      s.expectCpu(1, { curr: 'W', hw_root: 'P' });
      s.run(`
        CPU0: op                     # the munmap completes: local tlbiel, pages freed (CPU1 was flushed by the IPI)
        CPU0: op                     # second munmap: mm_users == 2 -> FLUSH_TYPE_GLOBAL (tlbie reaches W's TLB)
      `);
      s.expectEvent({ fn: 'flush_type_needed', text: 'GLOBAL', cpu: 0 });
      s.expectNoViolation();
      s.finish();
    });
  }
});
