/**
 * powerpc mutations (model-spec §9): switches that restore real, since-fixed radix code paths
 * (kernel-reference §7.4, §7.6). Enabled per cell (`createSimulator({ mutations: [...] })`);
 * setup() turns the enabled ids into two booleans of the Ppc context, so the hot path tests a
 * field, never the id list. Both are radix code (radix_tlb.c): with `mmu: 'hash'` they change
 * nothing, and no cell names hash.
 */
import type { MutationDoc } from '@lazytlb/core';

/** The single-threaded flusher clears the other CPUs' mm_cpumask bits itself (pre-a665eec0a22e). */
export const MUT_RADIX_TRIM_CLEARS_OTHER_CPUS = 'radix-trim-clears-other-cpus';
/** A local exit_lazy_flush_tlb() switches active_mm / the MMU with IRQs on (pre-dfaed3e1fa70). */
export const MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON = 'radix-exit-lazy-flush-irqs-on';

export const POWERPC_MUTATIONS: readonly MutationDoc[] = [
  {
    id: MUT_RADIX_TRIM_CLEARS_OTHER_CPUS,
    title: "the single-threaded radix flusher IPIs mm_cpumask, then clears every other CPU's bit itself and sets active_cpus = 1",
    fixedBy: 'a665eec0a22e powerpc/64s/radix: Fix mm_cpumask trimming race vs kthread_use_mm',
    breaks: 'I13',
    cells: [
      { arch: 'powerpc', options: { mmu: 'radix' }, scheme: 'refcount', workload: 'kthread-heavy', cpus: 2 },
      { arch: 'powerpc', options: { mmu: 'radix' }, scheme: 'shootdown', workload: 'kthread-heavy', cpus: 2 },
      { arch: 'powerpc', options: { mmu: 'radix' }, scheme: 'refcount', workload: 'kthread-heavy', cpus: 4 },
    ],
    description:
      '0cef77c7798a7 "powerpc/64s/radix: flush remote CPUs out of single-threaded mm_cpumask" let a flusher whose mm ' +
      'has mm_users <= 1 and is its current->mm trim the mask: exit_flush_lazy_tlbs() did smp_call_function_many(' +
      'mm_cpumask(mm), do_exit_flush_lazy_tlb, mm, wait=1) and then mm_reset_thread_local(): cpumask_clear(mm_cpumask(mm)), ' +
      'set its own bit, atomic_set(&mm->context.active_cpus, 1); the flush then went local (tlbiel). The handler ' +
      'returned at `current->mm == mm` ("Local CPU") without flushing and never touched the mask. The assumption was ' +
      "that nothing could start using a single-threaded mm behind the flusher's back; io_uring broke it: a worker " +
      'that does mmget_not_zero() + kthread_use_mm() after the mm_users check sets its bit and loads the PID, and ' +
      'mm_reset_thread_local() then wipes that bit while the worker runs on the mm. From then on active_cpus == 1 ' +
      'makes every flush of the mm FLUSH_TYPE_LOCAL (tlbiel on the flusher only) and the worker keeps stale ' +
      'translations of freed pages: I7, then I2 (kernel-reference §7.4). The model reports the I7 side as I13 ' +
      "ppc-cpumask-covers-active-mm (I7-ppc: the worker's active_mm is the mm but its CPU is not in the mask) at the " +
      "worker's next mm step (kthread_unuse_mm, or its next switch), and I2 when the flusher frees pages first " +
      '(its next munmap is local only); random runs see I13 about twice as often. a665eec0a22e makes each CPU clear only its ' +
      'own bit, in the IPI handler, and only if current->mm != mm (the current exit_lazy_flush_tlb). Restored: the ' +
      'single-threaded path of flush_type_needed() sends the old handler and runs mm_reset_thread_local() as an ' +
      'arch_continue step once the IPIs completed (radix only; the periodic trim and the v6.6 combined final flush, ' +
      'which came later, keep the current handler).',
  },
  {
    id: MUT_RADIX_EXIT_LAZY_FLUSH_IRQS_ON,
    title: 'exit_lazy_flush_tlb() called locally from flush_type_needed() switches active_mm and the MMU to init_mm with IRQs on',
    fixedBy: 'dfaed3e1fa70 powerpc/64s/radix: Fix exit lazy tlb mm switch with irqs enabled',
    breaks: 'I13',
    cells: [
      // tick_and_test_trim_clock() must fire: "this path can be stressed by reducing tlb_mm_cpumask_trim_timer (e.g., to 3)"
      { arch: 'powerpc', options: { mmu: 'radix', trimPeriod: 3 }, scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'powerpc', options: { mmu: 'radix', trimPeriod: 3 }, scheme: 'shootdown', workload: 'default', cpus: 2 },
      { arch: 'powerpc', options: { mmu: 'radix', trimPeriod: 3 }, scheme: 'shootdown', workload: 'exit-heavy', cpus: 4 },
    ],
    description:
      'Since a665eec0a22e exit_lazy_flush_tlb(mm, always_flush) is also called locally, not from an IPI: ' +
      'flush_type_needed() runs it when tick_and_test_trim_clock() fires and the flushing CPU is the only one in ' +
      'mm_cpumask but current->mm != mm (exit_mmap -> tlb_finish_mmu -> __flush_all_mm -> flush_type_needed: the ' +
      "exiting task is lazy on its own mm after exit_mm; also a kthread's kthread_unuse_mm -> mmput), and in the " +
      'periodic trim. For a lazy current it did mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm; ' +
      "switch_mm_irqs_off(mm, &init_mm, current); mmdrop_lazy_tlb(mm) with IRQs enabled (Sachin Sant's " +
      'lockdep report). dfaed3e1fa70 wraps the switch in local_irq_save()/local_irq_restore(). Restored: the ' +
      'active_mm store is one step and switch_mm_irqs_off() + mmdrop_lazy_tlb() + the bit and the flush are the ' +
      'next step of the same CPU (an arch_continue step), with IRQs on in between: an IPI (do_exit_flush_lazy_tlb, ' +
      "do_shoot_lazy_tlb) can run in the window and sees active_mm == init_mm while SPRN_PID is still mm's PID " +
      '(kernel-reference §7.6). The model reports that window as I13 ppc-context-matches-active-mm right after the ' +
      "store (I9 proper only covers current->mm != NULL, and the exiting task's mm is NULL).",
  },
];
