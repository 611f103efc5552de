/**
 * The powerpc use sites of a possibly dangling lazy mm pointer (core I14 freed-mm-use,
 * kernel-reference §12.2), declared in the descriptor's `useSites`. Every id this plugin passes
 * to k.useMm / k.staleCompare is one of these or a core site (CORE_USE_SITES).
 *
 * Sources were read in stored kernel copies (file @ the file's own commit; the stored trees
 * mix versions) and in the Debian linux-source-6.12 (6.12.118) tree:
 * - arch/powerpc/mm/mmu_context.c @ Kingxukai/linux 0291023e7330 (6.17-rc era, has 177255afb405's
 *   VM_WARN_ON_ONCE) and @ torvalds/linux 11db24b67fea (pre-6.6: the same order, cpumask set
 *   before `if (prev == next) return`, no warning);
 * - arch/powerpc/lib/code-patching.c @ Kingxukai/linux 0291023e7330 (start_using_temp_mm /
 *   stop_using_temp_mm, mm_patch_enabled() = SMP && radix_enabled());
 * - arch/powerpc/mm/book3s64/mmu_context.c @ Kingxukai/linux 0291023e7330 (destroy_context sets
 *   context.id = MMU_NO_CONTEXT, ~0UL on book3s64; radix__switch_mmu_context = mtspr(SPRN_PID,
 *   next->context.id));
 * - arch/powerpc/mm/book3s64/slb.c @ Kingxukai/linux 0291023e7330 (switch_slb(tsk, next) flushes
 *   the user SLB entries, copy_mm_to_paca(next), preloads from next's context);
 * - arch/powerpc/mm/book3s64/radix_tlb.c @ Kingxukai/linux 0291023e7330 (exit_lazy_flush_tlb).
 */
import { constants, type UseSiteDoc } from '@lazytlb/core';

/** `if (prev == next) return;` in switch_mm_irqs_off() called from context_switch(). */
export const SITE_PREV_EQ_NEXT = 'switch_mm_irqs_off (prev == next)';
/** The same compare reached through exec_mmap()'s activate_mm(active_mm, mm). */
export const SITE_ACTIVATE_MM = 'activate_mm';
/** The same compare reached through kthread_use_mm()'s switch_mm_irqs_off(active_mm, mm, tsk). */
export const SITE_KTHREAD_USE_MM = 'kthread_use_mm';
/** CONFIG_DEBUG_VM: VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) at the end of switch_mm_irqs_off(). */
export const SITE_DEBUG_VM_PREV = 'switch_mm_irqs_off (DEBUG_VM mm_cpumask(prev))';
/** Text patching (radix): stop_using_temp_mm() switches back to orig_mm = current->active_mm. */
export const SITE_STOP_USING_TEMP_MM = 'stop_using_temp_mm';
/** Reads of the mm an arch path works on (mainline never reaches them with a freed mm). */
export const SITE_EXIT_LAZY_FLUSH_TLB = 'exit_lazy_flush_tlb';
export const SITE_DO_EXIT_FLUSH_LAZY_TLB_PRE_FIX = 'do_exit_flush_lazy_tlb (pre-a665eec0a22e)';
export const SITE_MM_RESET_THREAD_LOCAL = 'mm_reset_thread_local';
export const SITE_RADIX_FLUSH = 'radix__flush_tlb_mm';
export const SITE_HASH_FLUSH = 'flush_hash_range';
export const SITE_ARCH_EXIT_MMAP = 'arch_exit_mmap';
/** The core's site for switch_mm_irqs_off() reading `next` (its cpumask and context). */
export const SITE_SWITCH_NEXT = 'switch_mm_irqs_off';

/**
 * The compare site of switch_mm_irqs_off() by its caller (k.switchCaller, core constants
 * SWITCH_*): context_switch, activate_mm, kthread_use_mm, a switch to init_mm. A switch to
 * init_mm can never be decided by a stale `prev` (init_mm is static: no slab address), so its
 * entry is only a name.
 */
export const COMPARE_SITE_BY_CALLER: readonly string[] = (() => {
  const a: string[] = [];
  a[constants.SWITCH_CONTEXT_SWITCH] = SITE_PREV_EQ_NEXT;
  a[constants.SWITCH_ACTIVATE_MM] = SITE_ACTIVATE_MM;
  a[constants.SWITCH_KTHREAD_USE_MM] = SITE_KTHREAD_USE_MM;
  a[constants.SWITCH_TO_INIT_MM] = SITE_PREV_EQ_NEXT;
  return a;
})();

const MMU_CONTEXT_C = 'arch/powerpc/mm/mmu_context.c switch_mm_irqs_off() @ Kingxukai/linux 0291023e7330 (same order @ torvalds/linux 11db24b67fea, pre-6.6)';

const COMPARE_CONSEQUENCE =
  'the early return skips switch_mmu_context() (radix: mtspr(SPRN_PID, next->context.id); hash: switch_slb(tsk, next)), ' +
  'membarrier_arch_switch_mm() (an smp_mb: invisible to the sequentially consistent model) and the DEBUG_VM warning; ' +
  'the mm_cpumask(next) bit and inc_mm_active_cpus(next) come BEFORE the compare and are never skipped. ' +
  'So the kernel behaves differently only if the context id this CPU has loaded (radix SPRN_PID; hash the context of ' +
  "its user SLB entries / paca) is not next->context.id: then next's code runs on the dead mm's PID / VSIDs " +
  "(unassigned: endless faults; reassigned to another process: its address space). When the dead mm's id was handed " +
  'to next itself (ida reuse, lowest free id) the skipped load would have written the value already loaded: benign';

export const POWERPC_USE_SITES: readonly UseSiteDoc[] = [
  {
    id: SITE_PREV_EQ_NEXT,
    kind: 'stale-compare',
    source: `${MMU_CONTEXT_C}, called from context_switch(): switch_mm_irqs_off(prev->active_mm, next->mm, next)`,
    reads: "`prev == next` (pointer compare; prev = the previous task's active_mm, a lazy pointer when it was a kernel thread)",
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_ACTIVATE_MM,
    kind: 'stale-compare',
    source: `fs/exec.c exec_mmap() -> activate_mm(active_mm, mm) = switch_mm_irqs_off(prev, next, current) (arch/powerpc/include/asm/mmu_context.h, 6.12.118); ${MMU_CONTEXT_C}`,
    reads:
      "`prev == next` with prev = the exec'ing task's old active_mm (lazy when a kernel thread execs: kernel_execve) and next the mm bprm_mm_init() just allocated on this CPU (SLUB LIFO: the most recently freed mm_struct of this CPU)",
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_KTHREAD_USE_MM,
    kind: 'stale-compare',
    source: `kernel/kthread.c kthread_use_mm(): switch_mm_irqs_off(active_mm, mm, tsk); ${MMU_CONTEXT_C}`,
    reads: "`prev == next` with prev = the kthread's lazy active_mm and next the mm it adopts",
    consequence: COMPARE_CONSEQUENCE,
  },
  {
    id: SITE_DEBUG_VM_PREV,
    kind: 'dereference',
    source: `${MMU_CONTEXT_C}: VM_WARN_ON_ONCE(!cpumask_test_cpu(cpu, mm_cpumask(prev))) after switch_mmu_context(), added by 177255afb405 (v6.6); CONFIG_DEBUG_VM only (include/linux/mmdebug.h: otherwise BUILD_BUG_ON_INVALID, no code)`,
    reads:
      "mm_cpumask(prev): a bitmap inside prev's mm_struct, whenever prev != next (every caller: context_switch, activate_mm, kthread_use_mm, the switch to init_mm of sched_force_init_mm, start_using_temp_mm)",
    consequence:
      'a read of a freed mm_struct (KASAN report; without KASAN a spurious or missed WARN from whatever now occupies the slot): a use after free whatever the slab did with it. Modelled with the option debugVm',
  },
  {
    id: SITE_STOP_USING_TEMP_MM,
    kind: 'dereference',
    source:
      'arch/powerpc/lib/code-patching.c stop_using_temp_mm() @ Kingxukai/linux 0291023e7330 (also 6.12.118): switch_mm_irqs_off(temp_mm, orig_mm, current), orig_mm = current->active_mm read by start_using_temp_mm(); radix only (mm_patch_enabled() = IS_ENABLED(CONFIG_SMP) && radix_enabled())',
    reads:
      "orig_mm (the patching task's active_mm, lazy in a kernel thread) as switch_mm_irqs_off()'s next: mm_cpumask(next) (and cpumask_set_cpu + inc_mm_active_cpus into it when the bit is clear), next->context.id into SPRN_PID",
    consequence:
      'a read (and possibly a write) of a freed mm_struct: a use after free. SPRN_PID gets MMU_NO_CONTEXT (destroy_context wrote it before free_mm) or, after slab reuse, the context id of the mm now at that address, whose mm_cpumask then gets this CPU',
  },
  ...(
    [
      [
        SITE_EXIT_LAZY_FLUSH_TLB,
        'arch/powerpc/mm/book3s64/radix_tlb.c exit_lazy_flush_tlb() @ Kingxukai/linux 0291023e7330',
        'mm->context.id, mm_cpumask(mm), active_cpus of the mm being trimmed (the sender holds it and waits: smp_call_function_many wait=1)',
      ],
      [
        SITE_DO_EXIT_FLUSH_LAZY_TLB_PRE_FIX,
        'arch/powerpc/mm/book3s64/radix_tlb.c do_exit_flush_lazy_tlb() before a665eec0a22e (mutation radix-trim-clears-other-cpus)',
        'mm->context.id of the mm being trimmed',
      ],
      [
        SITE_MM_RESET_THREAD_LOCAL,
        'arch/powerpc/include/asm/tlb.h mm_reset_thread_local() before a665eec0a22e (mutation radix-trim-clears-other-cpus)',
        "mm_cpumask(mm), active_cpus of the flusher's own mm",
      ],
      [
        SITE_RADIX_FLUSH,
        'arch/powerpc/mm/book3s64/radix_tlb.c radix__flush_tlb_mm / __radix__flush_tlb_range / radix__tlb_flush @ Kingxukai/linux 0291023e7330',
        'mm->context.id, active_cpus, mm_cpumask(mm) of the mm being flushed',
      ],
      [SITE_HASH_FLUSH, 'arch/powerpc/mm/book3s64/hash_tlb.c / hash_utils.c flush_hash_range (6.12.118)', 'mm->context (VSIDs) of the mm being flushed'],
      [
        SITE_ARCH_EXIT_MMAP,
        'arch/powerpc/mm/book3s64/mmu_context.c arch_exit_mmap() @ Kingxukai/linux 0291023e7330',
        'process_tb[mm->context.id] of the exiting mm',
      ],
    ] as const
  ).map(
    ([id, source, reads]): UseSiteDoc => ({
      id,
      kind: 'dereference',
      source,
      reads,
      consequence:
        'a read of a freed mm_struct: a use after free. Mainline never reaches it with a freed mm (the caller holds the mm); it fires only when a mutation or a scheme breaks the lifetime rules',
    }),
  ),
];
