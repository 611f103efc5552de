/**
 * The powerpc mutations as directed scenarios: the exact interleavings of kernel-reference
 * §7.4 and §7.6, with the mutation (the declared invariant breaks) and without it (the same
 * script runs clean).
 */
import { describe, expect, it } from 'vitest';
import { useMmWorker, scenario, thread, type Scenario } from '@lazytlb/testkit';
import type { Scheme } from '@lazytlb/core';
import powerpc, { MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON, MUT_RADIX_TRIM_CLEARS_OTHER_CPUS } from './index.js';
import { acknowledgeViolation } from './test-support/scenario-helpers.js';

describe("§7.4 radix-trim-clears-other-cpus (a665eec0a22e): the flusher wipes an io_uring worker's bit", () => {
  /**
   * CPU1 idles lazy on P (T1 exited: P is single-threaded); T0 on CPU0 munmaps: mm_users == 1 &&
   * current->mm == P, so flush_type_needed IPIs CPU1 (exit_flush_lazy_tlbs, wait=1). Behind the
   * flusher's mm_users check the io_uring worker W on CPU2 does mmget_not_zero + kthread_use_mm
   * (bit 2 set, active_cpus 3, SPRN_PID = P's); then CPU1 takes the IPI, and CPU0's munmap goes on.
   */
  function trimWindow(mutated: boolean, scheme: Scheme): Scenario {
    const s = scenario({
      arch: powerpc,
      mutations: mutated ? [MUT_RADIX_TRIM_CLEARS_OTHER_CPUS] : [],
      scheme,
      cpus: 3,
      tasks: {
        T0: thread('P', 0, 'use_mm_setup W', 'run', 'munmap', 'munmap'),
        T1: thread('P', 1, 'run'),
        W: useMmWorker(2, 'kthread_use_mm', 'kwork', 'kthread_unuse_mm'),
      },
    });
    s.run(`
      CPU1: op                          # swapper/1 -> T1: bit 1, active_cpus 1
      CPU1: op                          # run
      CPU1: until do_task_dead          # T1 exits: mm_users 2 -> 1
      CPU1: op                          # T1 -> swapper/1, lazy on P
      CPU0: op                          # swapper/0 -> T0: bit 0, active_cpus 2
      CPU0: op                          # use_mm_setup: mmgrab(P); W runnable on CPU2
      CPU0: op                          # run
      CPU0: until exit_flush_lazy_tlbs  # munmap: single-threaded -> IPI CPU1 (wait=1)
      CPU2: op                          # swapper/2 -> W
      CPU2: until mmget_not_zero        # behind the flusher's check: mm_users 1 -> 2
      CPU2: until kthread_use_mm "mm="  # switch_mm_irqs_off(init_mm, P): cpumask_set_cpu (bit 2)
      CPU2: until radix__switch_mmu_context  # inc_mm_active_cpus (3) | smp_mb() | SPRN_PID = P's
      CPU1: irq                         # do_exit_flush_lazy_tlb: swapper/1 leaves P for init_mm
      CPU0: op                          # the munmap completes (CPU2 loaded P after the unmap: nothing stale yet)
    `);
    s.expectMm('P', { mm_users: 2 });
    s.expectCpu(2, { curr: 'W', hw_root: 'P' });
    return s;
  }

  for (const scheme of ['refcount', 'shootdown'] as const) {
    describe(scheme, () => {
      it("mutated: mm_reset_thread_local wipes bit 2 while W runs on P; W's next mm step -> I13 (I7-ppc)", () => {
        const s = trimWindow(true, scheme);
        s.expectEvent({ fn: 'mm_reset_thread_local', cpu: 0 });
        s.expectMm('P', { mm_cpumask: [0] }); // active_cpus = 1
        s.expectNoViolation(); // nobody has looked at CPU2 yet
        s.run('CPU2: until kthread_unuse_mm');
        const v = s.expectViolation('I13', /I7-ppc: W's active_mm is P but CPU2 is not in its mm_cpumask/);
        expect(v.cpu).toBe(2);
      });

      it("mutated: the flusher's next munmap is FLUSH_TYPE_LOCAL, W keeps stale translations -> I2 (the I2 of §7.4)", () => {
        const s = trimWindow(true, scheme);
        s.run('CPU0: op   # munmap: active_cpus == 1 && CPU0 in the mask -> tlbiel on CPU0 only');
        s.expectEvent({ fn: 'flush_type_needed', text: 'LOCAL', cpu: 0, since: s.last.firstStep });
        const v = s.expectViolation('I2', /pages of P freed while CPU2 may still hold translations/);
        expect(v.cpu).toBe(2);
        // Acknowledged: W then really uses a stale translation (its kwork: copy_from_user into P),
        // and it is still on P outside the mask, which its next mm step reports too.
        acknowledgeViolation(s);
        s.run('CPU2: until kwork');
        s.expectViolation('I2', /W \(kthread_use_mm\) on CPU2 uses a translation of P to memory freed before/);
        acknowledgeViolation(s);
        s.run('CPU2: until kthread_unuse_mm');
        s.expectViolation('I13', /I7-ppc/);
      });

      it('unmutated (a665eec0a22e), same interleaving: CPU1 clears only its own bit, W keeps bit 2, later flushes are global: clean', () => {
        const s = trimWindow(false, scheme);
        s.expectNoEvent({ fn: 'mm_reset_thread_local' });
        s.expectMm('P', { mm_cpumask: [0, 2] });
        s.run(`
          CPU0: op                 # munmap: mm_users == 2 -> FLUSH_TYPE_GLOBAL (tlbie reaches W)
          CPU2: until kthread_unuse_mm
        `);
        s.expectEvent({ fn: 'flush_type_needed', text: 'GLOBAL', cpu: 0 });
        s.expectNoViolation();
        s.finish();
      });
    });
  }
});

describe('§7.6 radix-exit-lazy-flush-irqs-on (dfaed3e1fa70): the local exit_lazy_flush_tlb switches with IRQs on', () => {
  /**
   * T0, P's only thread, exits on CPU0: exit_mm leaves it lazy on P, and exit_mmap's final
   * flush (__flush_all_mm -> flush_type_needed) finds active_cpus == 1 with CPU0 in the mask and
   * current->mm == NULL; the trim clock fires (trimPeriod 1), so exit_lazy_flush_tlb(P) runs
   * locally, from process context.
   */
  function exitTrim(mutated: boolean, scheme: Scheme): Scenario {
    const s = scenario({
      arch: powerpc,
      mutations: mutated ? [MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON] : [],
      archOptions: { trimPeriod: 1 },
      scheme,
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), U: thread('Q', 1, 'run') },
    });
    s.run(`
      CPU0: op                        # swapper/0 -> T0: SPRN_PID = P's, bit 0
      CPU0: op                        # run
      CPU0: until exit_lazy_flush_tlb # exit_mm (lazy on P), mmput, exit_mmap: the final flush trims locally
    `);
    return s;
  }

  for (const scheme of ['refcount', 'shootdown'] as const) {
    describe(scheme, () => {
      it("mutated: current->active_mm = &init_mm with IRQs on while SPRN_PID is still P's -> I13 right after that step", () => {
        const s = exitTrim(true, scheme);
        expect(s.last.match?.text).toMatch(/current->active_mm = &init_mm with IRQs on/);
        const v = s.expectViolation('I13', /SPRN_PID is \d+ \(loaded for P\) but T0's active_mm init_mm has context id 0/);
        expect(v.cpu).toBe(0);
        expect(s.k.cpuIrqsOff[0]).toBe(0); // an IPI could run here (§7.6)
        // Past the window: the next step of CPU0 is the rest of exit_lazy_flush_tlb.
        acknowledgeViolation(s);
        s.run('CPU0: step');
        s.expectEvent({ fn: 'exit_lazy_flush_tlb', text: 'switch_mm_irqs_off(P, init_mm) with IRQs on', since: s.last.firstStep });
        s.expectCpu(0, { active_mm: 'init_mm', hw_root: 'init_mm' });
        s.expectMm('P', { mm_cpumask: [] });
        s.run('CPU0: until free_mm');
        s.expectMmFreed('P');
        s.expectNoViolation();
        // U's exit on CPU1 takes the same path: the rest of the run breaks I13 again.
        s.finish({ expect: 'violation' });
        s.expectViolation('I13', /U's active_mm init_mm/);
      });

      it('unmutated (local_irq_save), same script: the store and the switch are one step: clean', () => {
        const s = exitTrim(false, scheme);
        expect(s.last.match?.text).toBe('T0 lazy on P -> init_mm');
        s.expectCpu(0, { active_mm: 'init_mm', hw_root: 'init_mm' });
        s.expectNoViolation();
        s.finish();
        s.expectMmFreed('P');
      });
    });
  }
});
