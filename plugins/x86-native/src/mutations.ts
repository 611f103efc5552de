/**
 * x86 mutations (model-spec §9): switches that restore a real, since-fixed x86 code path
 * (kernel-reference §11: the shipped bug of §7.8's shape). Enabled per cell through
 * `createSimulator({ mutations: [...] })`; the plugin reads them once in setup() into
 * {@link X86MutationFlags}, so the hot path tests a boolean field, never the id list.
 */
import type { MutationDoc } from '@lazytlb/core';

/** flush_tlb_range() passes freed_tables = false (before 3ef938c35035, v6.15). */
export const MUT_X86_LAZY_SKIP_FREED_TABLES = 'x86-lazy-skip-freed-tables';

/** What the enabled mutations change in {@link X86Tlb} (all false: mainline). */
export interface X86MutationFlags {
  /**
   * x86's flush_tlb_range() macro as from 016c4d92cd16 (v4.20) until 3ef938c35035 (v6.15):
   * `flush_tlb_mm_range(vma->vm_mm, start, end, stride, false)`, whatever the caller frees
   * afterwards. khugepaged's pmdp_collapse_flush() then frees the PTE table after a flush that
   * skipped the lazy CPUs.
   */
  readonly flushRangeNoFreedTables?: boolean;
  /** x86-switching-window: should_flush_tlb() without fea4e317f9e7's `loaded_mm == LOADED_MM_SWITCHING` check. */
  readonly noSwitchingCheck?: boolean;
  /** x86-switch-no-smp-mb: switch_mm_irqs_off() without 83b0177a6c48's `else smp_mb()`. */
  readonly noMbWhenBitSet?: boolean;
}

/** should_flush_tlb() ignores a CPU that is switching (v6.15-rc before fea4e317f9e7). */
export const MUT_X86_SWITCHING_WINDOW = 'x86-switching-window';
/** No smp_mb() between the LOADED_MM_SWITCHING store and the tlb_gen read when next's bit is set (v6.15-v6.17). */
export const MUT_X86_SWITCH_NO_SMP_MB = 'x86-switch-no-smp-mb';

const LAZY_SKIP_DESCRIPTION =
  'x86 flush_tlb_range(vma, start, end) is a macro over flush_tlb_mm_range(); from 016c4d92cd16 "x86/mm/tlb: Add ' +
  'freed_tables argument to flush_tlb_mm_range" (v4.20) until 3ef938c35035 it passed freed_tables = false. But ' +
  "flush_tlb_range() is also used when a PMD that points to a page table is zapped: khugepaged's collapse " +
  '(collapse_huge_page / collapse_pte_mapped_thp / retract_page_tables -> pmdp_collapse_flush -> flush_tlb_range) clears ' +
  'the PMD, flushes, then frees the old PTE table page. With freed_tables = false native_flush_tlb_multi() takes ' +
  'on_each_cpu_cond_mask(should_flush_tlb), which skips every CPU with cpu_tlbstate_shared.is_lazy set (the flushing ' +
  'CPU too, if khugepaged itself is lazy on the mm): such a CPU keeps CR3 on the mm and its paging-structure cache ' +
  'may still point into the PTE table that is freed next (a speculative walk into reused memory, the failure mode of ' +
  'kernel-reference §7.8; the Hyper-V hypercall filters lazy vCPUs on the same flag). 3ef938c35035 "x86/mm: Fix ' +
  'flush_tlb_range() when used for zapping normal PMDs" (Jann Horn, v6.15, Cc stable) passes true, so lazy CPUs are ' +
  "IPI'd and flush_tlb_func() switches them to init_mm before the table goes. Restored: the arch's flush_tlb_range " +
  '(core FLUSH_RANGE: mremap, khugepaged) passes freed_tables = false; the mmu_gather paths (munmap, exit_mmap) keep ' +
  'tlb->freed_tables. The model reports I2 when khugepaged frees the PTE table while a lazy CPU can still walk it. ' +
  '(This replaces the 2ff6ddf19c0e target of earlier versions: that patch never shipped, kernel-reference §11.)';

const SWITCHING_WINDOW_DESCRIPTION =
  'The window of kernel-reference §7.9 (CVE-2025-37964). From v6.15 (be88a1dd6112) switch_mm_irqs_off() stores loaded_mm = ' +
  'LOADED_MM_SWITCHING first, then sets its bit in mm_cpumask(next) if clear, then reads next->context.tlb_gen and chooses the ' +
  'ASID; the flusher does inc_mm_tlb_gen() and then should_flush_tlb() on each CPU of the mask. Before fea4e317f9e7 "x86/mm: ' +
  'Eliminate window where TLB flushes may be inadvertently skipped" (Dave Hansen, applied by Linus for v6.15), should_flush_tlb() ' +
  'IPIs only a CPU whose loaded_mm == info->mm (or trim): a CPU that already read the old tlb_gen but has not yet stored ' +
  'loaded_mm = next is seen as SWITCHING and skipped, then loads CR3 without flushing and keeps translations the flusher is about ' +
  'to free. Visible under SC once the switch is not one step. Restored: the SWITCHING check (and smp_rmb) in should_flush_tlb() of ' +
  'the v6.18 model.';
const NO_SMP_MB_DESCRIPTION =
  'The bug of kernel-reference §7.9 / 83b0177a6c48 "x86/mm: Fix SMP ordering in switch_mm_irqs_off()" (Peter Zijlstra; ' +
  'Reported-by Stephen Dolan; CVE-2025-40174, v6.15-v6.17). Since 209954cbc7d0 the CPU sets its bit in mm_cpumask(next) only if ' +
  'it is clear, and the atomic cpumask_set_cpu() was the only full barrier between the LOADED_MM_SWITCHING store and the tlb_gen ' +
  'load. With the bit already set (a CPU returning to an mm it ran before), x86-TSO lets the load pass the buffered store: the ' +
  "flusher's inc_mm_tlb_gen() (a full barrier) is followed by should_flush_tlb() reading the switcher's old loaded_mm, so neither " +
  'side sees the other (store buffering) and the switcher loads CR3 without the flush. Needs tso. Restored: no `else smp_mb()`.';

/** The mutations x86-native declares (ArchPlugin.mutations). */
export const X86_NATIVE_MUTATIONS: readonly MutationDoc[] = [
  {
    id: MUT_X86_SWITCHING_WINDOW,
    title: 'should_flush_tlb() skips a CPU whose loaded_mm is LOADED_MM_SWITCHING, which may have read tlb_gen before the flusher bumped it',
    fixedBy: 'fea4e317f9e7 x86/mm: Eliminate window where TLB flushes may be inadvertently skipped',
    breaks: 'I2',
    // Measured (random, 3000 runs): pingpong 2 CPUs 5 kills, 4 CPUs 2; default 0; idle-heavy 2 CPUs 2.
    cells: [
      { arch: 'x86-native', options: { release: 'v6.18' }, scheme: 'refcount', workload: 'pingpong', cpus: 2 },
      { arch: 'x86-native', options: { release: 'v6.18' }, scheme: 'refcount', workload: 'pingpong', cpus: 4 },
    ],
    description: SWITCHING_WINDOW_DESCRIPTION,
  },
  {
    id: MUT_X86_SWITCH_NO_SMP_MB,
    title: "switch_mm_irqs_off() reads tlb_gen with no smp_mb() after the LOADED_MM_SWITCHING store when next's mm_cpumask bit is already set",
    fixedBy: '83b0177a6c48 x86/mm: Fix SMP ordering in switch_mm_irqs_off()',
    breaks: 'I2',
    // Measured (random, 3000 runs, tso): default 2 CPUs 3 kills, kthread-heavy 4 CPUs 1; pingpong 0.
    cells: [
      { arch: 'x86-native', options: { release: 'v6.18' }, scheme: 'refcount', workload: 'default', cpus: 2, memory: 'tso' },
      { arch: 'x86-native', options: { release: 'v6.18' }, scheme: 'refcount', workload: 'kthread-heavy', cpus: 4, memory: 'tso' },
    ],
    description: NO_SMP_MB_DESCRIPTION,
  },
  {
    id: MUT_X86_LAZY_SKIP_FREED_TABLES,
    title: "flush_tlb_range() passes freed_tables=false, so khugepaged's PMD-zap flush skips lazy CPUs before the PTE table is freed",
    fixedBy: '3ef938c35035 x86/mm: Fix flush_tlb_range() when used for zapping normal PMDs',
    breaks: 'I2',
    // Cells where khugepaged runs: the default profile has khugepagedScans = 2. The buggy
    // kernels (v4.20-v6.14) had the clear-on-switch mask policy up to v6.13, lazy-trim in v6.14.
    cells: [
      { arch: 'x86-native', scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'x86-native', scheme: 'refcount', workload: 'default', cpus: 4 },
      { arch: 'x86-native', options: { cpumask: 'clear-on-switch' }, scheme: 'refcount', workload: 'default', cpus: 2 },
    ],
    description: LAZY_SKIP_DESCRIPTION,
  },
];

/** setup(): the enabled mutation ids (ArchSetupEnv.mutations) as flags. */
export function x86MutationFlags(ids: readonly string[], lazySkipId: string = MUT_X86_LAZY_SKIP_FREED_TABLES): X86MutationFlags {
  return {
    flushRangeNoFreedTables: ids.includes(lazySkipId),
    noSwitchingCheck: ids.includes(MUT_X86_SWITCHING_WINDOW),
    noMbWhenBitSet: ids.includes(MUT_X86_SWITCH_NO_SMP_MB),
  };
}
