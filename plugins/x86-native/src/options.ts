/**
 * Options of the x86-native arch plugin (zod, strict, every field defaulted).
 */
import { z } from 'zod';

export const X86NativeOptions = z
  .object({
    cpumask: z
      .enum(['lazy-trim', 'clear-on-switch'])
      .default('lazy-trim')
      .describe(
        'mm_cpumask policy. lazy-trim (v6.14+, 209954cbc7d0): the bit is set in switch_mm_irqs_off and cleared only by the CPU ' +
          'itself in flush_tlb_func when f->mm != loaded_mm, with should_trim_cpumask IPIing stale CPUs at most once per simulated ' +
          'second. clear-on-switch (v4.20-v6.13): switch_mm_irqs_off clears the bit of prev (loaded_mm) and sets the bit of next.',
      ),
    invlpgb: z
      .boolean()
      .default(false)
      .describe(
        'X86_FEATURE_INVLPGB (AMD, v6.15+): mms with a global ASID are flushed by broadcast_tlb_flush (INVLPGB+TLBSYNC, no IPIs; ' +
          'lazy CPUs keep CR3 on the mm), arch_tlbbatch_flush does invlpgb_flush_all_nonglobals(). Which mms get a global ASID: globalAsid.',
      ),
    globalAsid: z
      .enum(['on-demand', 'every-mm'])
      .default('on-demand')
      .describe(
        'With invlpgb only. on-demand (mainline): consider_global_asid() after flush_tlb_multi in flush_tlb_mm_range\'s multi-CPU ' +
          'branch, when (current->pid & 0x1f) == (jiffies & 0x1f) and mm_active_cpus_exceeds(mm, 3); then asid_transition until ' +
          'finish_asid_transition() sees every CPU running the mm on the global ASID. every-mm (HYPOTHETICAL, not a kernel): every ' +
          'user mm gets a global ASID at init_new_context, no transition.',
      ),
    idleTlbFlushed: z
      .boolean()
      .default(true)
      .describe(
        'The deep C-states idle CPUs enter are flagged CPUIDLE_FLAG_TLB_FLUSHED, so cpuidle_enter_state() calls leave_mm() ' +
          'before entering them: intel_idle C3 and deeper (its tables and _CST import), acpi_idle ACPI_STATE_C3 states. false: ' +
          'only C1/C2-type states (e.g. AMD CC6 exposed as ACPI C2), the default HLT idle, guests\' cpuidle-haltpoll.',
      ),
    exitFlushSkipsEmptyMm: z
      .boolean()
      .default(true)
      .describe(
        'true (mainline): exit_mmap of an mm without VMAs takes `goto destroy` and nothing at all flushes or moves lazy CPUs off ' +
          'the mm (kernel-reference §5.2-C2). false (hypothetical hardening): x86 arch_exit_mmap does its own flush_tlb_mm(mm) ' +
          '(freed_tables) for such an mm, so every CPU in mm_cpumask still lazy on it (the exiting CPU included) leaves for init_mm.',
      ),
    trimIntervalSteps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(50)
      .describe('HZ in model steps: should_trim_cpumask() fires at most once per this many steps per mm (jiffies = k.step)'),
  })
  .strict();
export type X86NativeOptions = z.infer<typeof X86NativeOptions>;
