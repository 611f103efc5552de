/**
 * x86 mutations (model-spec §9): switches that restore a real, since-fixed x86 code path
 * (kernel-reference §7.8). Enabled per cell through `createSimulator({ mutations: [...] })`;
 * the plugin reads them once in setup() into {@link X86MutationFlags}, so the hot path tests a
 * boolean field, never the id list.
 */
import type { MutationDoc } from '@lazytlb/core';

/** native_flush_tlb_multi() skips lazy CPUs even when the flush frees page tables (pre-2ff6ddf19c0e). */
export const MUT_X86_LAZY_SKIP_FREED_TABLES = 'x86-lazy-skip-freed-tables';

/** What the enabled mutations change in {@link X86Tlb} (all false: mainline). */
export interface X86MutationFlags {
  /**
   * native_flush_tlb_multi() as after ac0315896970 "x86/mm/tlb: Make lazy TLB mode lazier" and
   * before 2ff6ddf19c0e: on_each_cpu_cond_mask(should_flush_tlb) for every flush, so lazy CPUs
   * are skipped even when page tables were freed.
   */
  readonly lazySkipFreedTables?: boolean;
}

const LAZY_SKIP_DESCRIPTION =
  'ac0315896970 "x86/mm/tlb: Make lazy TLB mode lazier" made native_flush_tlb_multi() (then flush_tlb_others) ' +
  'call on_each_cpu_cond_mask(should_flush_tlb) (then tlb_is_not_lazy) for every flush: a CPU with ' +
  'cpu_tlbstate_shared.is_lazy set is not IPI\'d and is expected to catch up through tlb_gen at its next ' +
  'switch_mm_irqs_off(). That is fine for PTEs (a lazy CPU runs no user code) but not when the flush frees page ' +
  'tables (munmap with freed_tables, exit_mmap\'s final fullmm flush, flush_tlb_mm): the lazy CPU keeps CR3 on the ' +
  'mm and its paging-structure cache keeps pointing into the freed table pages, which a speculative walk can follow ' +
  'into reused memory (Andy Lutomirski\'s crash; AMD machine checks). 2ff6ddf19c0e "x86/mm/tlb: Leave lazy TLB mode ' +
  'at page table free time" IPIs every CPU in mm_cpumask when tables are freed (the freed_tables flag of ' +
  'flush_tlb_info), and flush_tlb_func() then switches a lazy CPU to init_mm before the tables go. Restored: ' +
  'native_flush_tlb_multi() ignores info->freed_tables for the remote CPUs and applies should_flush_tlb() to them ' +
  '(the flushing CPU still runs flush_tlb_func() itself, as flush_tlb_func_local() did in 2018, so an exiting CPU ' +
  'that is lazy after exit_mm still leaves). The model reports I2 when the table pages are freed (tlb_finish_mmu) ' +
  'while a remote lazy CPU can still walk them (kernel-reference §7.8).';

/** The mutations x86-native declares (ArchPlugin.mutations). */
export const X86_NATIVE_MUTATIONS: readonly MutationDoc[] = [
  {
    id: MUT_X86_LAZY_SKIP_FREED_TABLES,
    title: 'native_flush_tlb_multi() skips lazy CPUs even when the flush frees page tables',
    fixedBy: '2ff6ddf19c0e x86/mm/tlb: Leave lazy TLB mode at page table free time',
    breaks: 'I2',
    cells: [
      { arch: 'x86-native', scheme: 'refcount', workload: 'default', cpus: 2 },
      { arch: 'x86-native', scheme: 'refcount', workload: 'default', cpus: 4 },
      // The 2018 kernels had the v4.19-v6.13 mm_cpumask policy.
      { arch: 'x86-native', options: { cpumask: 'clear-on-switch' }, scheme: 'refcount', workload: 'default', cpus: 2 },
    ],
    description: LAZY_SKIP_DESCRIPTION,
  },
];

/** setup(): the enabled mutation ids (ArchSetupEnv.mutations) as flags. */
export function x86MutationFlags(ids: readonly string[], lazySkipId: string = MUT_X86_LAZY_SKIP_FREED_TABLES): X86MutationFlags {
  return { lazySkipFreedTables: ids.includes(lazySkipId) };
}
