/**
 * Numeric codes of the powerpc plugin: IPI functions and flush types.
 */
import { IPI_ARCH_BASE } from '@lazytlb/core';

/** do_exit_flush_lazy_tlb() (radix_tlb.c): exit_lazy_flush_tlb(mm, true) on the target, sent by exit_flush_lazy_tlbs(). */
export const PPC_IPI_EXIT_FLUSH_LAZY = IPI_ARCH_BASE;
/**
 * Mutation radix-trim-clears-other-cpus: do_exit_flush_lazy_tlb() as before a665eec0a22e
 * (returns at `current->mm == mm` without flushing; never clears its own bit).
 */
export const PPC_IPI_EXIT_FLUSH_LAZY_PRE_FIX = IPI_ARCH_BASE + 1;
/** arch_continue: radix__tlb_flush's __flush_all_mm after the combined exit_flush_lazy_tlbs IPIs. */
export const PPC_CONT_FINAL_FLUSH = 1;
/** arch_continue (mutation radix-trim-clears-other-cpus): mm_reset_thread_local() after the IPIs completed. */
export const PPC_CONT_RESET_THREAD_LOCAL = 2;
/**
 * arch_continue (mutation radix-exit-lazy-flush-irqs-on): the rest of a local
 * exit_lazy_flush_tlb() after `current->active_mm = &init_mm` (switch_mm_irqs_off, mmdrop_lazy_tlb,
 * the bit, the flush); arg = always_flush.
 */
export const PPC_CONT_EXIT_LAZY_SWITCH = 3;

/** enum tlb_flush_type (radix_tlb.c). */
export const FLUSH_TYPE_NONE = 0;
export const FLUSH_TYPE_LOCAL = 1;
export const FLUSH_TYPE_GLOBAL = 2;
export const FLUSH_TYPE_NAMES = ['NONE', 'LOCAL', 'GLOBAL'] as const;

/** The kernel's PID / context id of init_mm: quadrant-0 translations go nowhere (kernel uses PID 0). */
export const KERNEL_CONTEXT = 0;
