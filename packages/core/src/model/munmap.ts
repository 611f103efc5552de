/**
 * munmap(): unmap_region() clears PTEs (and, when a page-table page became empty,
 * free_pgtables() unlinks it), tlb_finish_mmu() flushes through the arch's
 * flush_tlb_mm_range(freed_tables) and only then frees the pages and tables.
 * Registers: a = mm, b = unmap generation, c = MUNMAP_* flags.
 */
import { checkStaleTlb } from '../invariants/check.js';
import { arch_flush_tlb_mm_range } from './arch-calls.js';
import { FLUSH_FREED_TABLES, MUNMAP_ALL, MUNMAP_FREED_TABLES } from './constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';

export function stepMunmap(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  const flags = k.frC[f]!;
  if (k.frPc[f] === 0) {
    if (k.mmHasVmas[mm] === 0) {
      ret(k, cpu); // nothing mapped any more: find_vma fails, no flush
      return;
    }
    const freed = (flags & (MUNMAP_FREED_TABLES | MUNMAP_ALL)) !== 0;
    if ((flags & MUNMAP_ALL) !== 0) k.mmHasVmas[mm] = 0;
    k.frB[f] = ++k.mmUnmapGen[mm]!;
    k.frPc[f] = 1;
    if (k.tracer !== null) {
      k.tracer.ev(cpu, 'munmap', `${k.mmName(mm)}${(flags & MUNMAP_ALL) !== 0 ? ' (all VMAs)' : ''}: flush_tlb_mm_range(freed_tables=${freed ? 1 : 0})`);
    }
    arch_flush_tlb_mm_range(k, cpu, mm, freed ? FLUSH_FREED_TABLES : 0);
    return;
  }
  ret(k, cpu);
  if (k.tracer !== null) k.tracer.ev(cpu, 'tlb_finish_mmu', `free unmapped pages${(flags & (MUNMAP_FREED_TABLES | MUNMAP_ALL)) !== 0 ? ' and page tables' : ''} of ${k.mmName(mm)}`);
  checkStaleTlb(k, mm, k.frB[f]!, (flags & (MUNMAP_FREED_TABLES | MUNMAP_ALL)) !== 0 ? 'pages and page tables' : 'pages');
}
