/**
 * Options of the powerpc 64s plugin (Book3S-64: arch/powerpc/mm/book3s64/).
 */
import { z } from 'zod';

/** tlb_mm_cpumask_trim_timer (arch/powerpc/mm/book3s64/radix_tlb.c): trim every 1073rd flush per CPU. */
export const DEFAULT_TRIM_PERIOD = 1073;

export const PowerpcOptions = z
  .object({
    mmu: z.enum(['radix', 'hash']).default('radix').describe('radix: SPRN_PID + process table (POWER9+); hash: HPT with SLB / paca context ids'),
    combinedFinalFlush: z.boolean().default(true).describe('radix, SHOOTDOWN=y: the fullmm flush does exit_flush_lazy_tlbs first (v6.6, e43c0a0c3c28)'),
    copros: z
      .boolean()
      .default(false)
      .describe('every mm has one nest-MMU (coprocessor) user: mm_context_add_copro at init, active_cpus + 1, flushes stay global'),
    trimPeriod: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_TRIM_PERIOD)
      .describe('radix tick_and_test_trim_clock() period (tlb_mm_cpumask_trim_timer, 1073 in the kernel)'),
    debugVm: z
      .boolean()
      .default(false)
      .describe(
        'CONFIG_DEBUG_VM: switch_mm_irqs_off() ends with VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) ' +
          '(177255afb405, v6.6), a read of prev. Off by default: lib/Kconfig.debug says "If unsure, say N" and ' +
          "production configs leave it off (Fedora's turns it on)",
      ),
  })
  .strict();
export type PowerpcOptions = z.infer<typeof PowerpcOptions>;
