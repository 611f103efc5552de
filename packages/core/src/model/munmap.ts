/**
 * munmap(): unmap_region() clears PTEs (and, when a page-table page became empty,
 * free_pgtables() unlinks it), tlb_finish_mmu() flushes through the arch's
 * flush_tlb_mm_range(freed_tables) and only then frees the pages and tables. The zap loops
 * cond_resched(), so the task may be switched out between the unmap and the flush.
 * Registers: a = mm, b = unmap generation, c = MUNMAP_* flags.
 */
import { checkStaleTlb } from './invariant-checks.js';
import { arch_flush_tlb_mm_range } from './arch-calls.js';
import { FLUSH_FREED_TABLES, FLUSH_RANGE, MUNMAP_ALL, MUNMAP_FREED_TABLES, PREEMPT_NONE } from '../machine/constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';

export function stepMunmap(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  const flags = k.frC[f]!;
  const freed = (flags & (MUNMAP_FREED_TABLES | MUNMAP_ALL)) !== 0;
  switch (k.frPc[f]) {
    case 0:
      if (k.mmHasVmas[mm] === 0) {
        ret(k, cpu); // nothing mapped any more: find_vma fails, no flush
        return;
      }
      // unmap_region() -> unmap_vmas(): the PTEs go; pages wait in the mmu_gather. The zap
      // takes the page-table locks (mmap_write_lock before it): it waits for a reclaim /
      // khugepaged flush in progress on this mm.
      if (!k.takePtLock(cpu, mm)) return;
      if ((flags & MUNMAP_ALL) !== 0) k.mmHasVmas[mm] = 0;
      k.frB[f] = ++k.mmUnmapGen[mm]!;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'munmap', `unmap_vmas ${k.mmName(mm)}${(flags & MUNMAP_ALL) !== 0 ? ' (all VMAs)' : ''}`);
      k.preemptPoint(cpu, PREEMPT_NONE); // cond_resched() in the zap loops
      return;
    case 1:
      // free_pgtables(); tlb_finish_mmu() -> flush_tlb_mm_range(freed_tables)
      k.frPc[f] = 2;
      if (k.tracer !== null) k.tracer.ev(cpu, 'tlb_finish_mmu', `${k.mmName(mm)}: flush_tlb_mm_range(freed_tables=${freed ? 1 : 0})`);
      arch_flush_tlb_mm_range(k, cpu, mm, freed ? FLUSH_FREED_TABLES : 0);
      return;
    default:
      ret(k, cpu);
      if (k.tracer !== null) k.tracer.ev(cpu, 'tlb_finish_mmu', `free unmapped pages${freed ? ' and page tables' : ''} of ${k.mmName(mm)}`);
      checkStaleTlb(k, mm, k.frB[f]!, freed ? 'pages and page tables' : 'pages', freed);
  }
}

/**
 * mremap() moving page tables (move_page_tables -> move_ptes / move_normal_pmd): the old
 * PTEs or PMD go and flush_tlb_range() flushes the old range; no page or table is freed (they
 * now map the new range). One step with its flush; the pages stay, so no stale-TLB check.
 */
export function mremap(k: Kernel, cpu: number, mm: number): void {
  if (k.mmHasVmas[mm] === 0) return;
  ++k.mmUnmapGen[mm]!;
  if (k.tracer !== null) k.tracer.ev(cpu, 'mremap', `move_page_tables ${k.mmName(mm)}: flush_tlb_range(old range)`);
  arch_flush_tlb_mm_range(k, cpu, mm, FLUSH_RANGE);
}
