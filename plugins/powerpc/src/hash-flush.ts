/**
 * Hash MMU flushing (arch/powerpc/mm/book3s64/hash_tlb.c, hash_utils.c): the HPT is global
 * and keyed by VSID; tearing down PTEs invalidates their HPT entries with `tlbiel` when
 * mm_is_thread_local(mm) (active_cpus <= 1 and this CPU in mm_cpumask, asm/tlb.h), else
 * with a global `tlbie`. flush_tlb_mm() itself does nothing more on hash. No IPIs, and no
 * trimming: mm_cpumask(mm) only grows (CPU hotplug is the only clearer: hotplug.ts).
 */
import type { ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { SITE_HASH_FLUSH } from './sites.js';
import { tlbie, tlbiel } from './tlb.js';

/** mm_is_thread_local() (arch/powerpc/include/asm/tlb.h, BOOK3S_64). */
export function mmIsThreadLocal(p: Ppc, k: ArchKernel, cpu: number, mm: number): boolean {
  if (p.st.mmActiveCpus[mm]! > 1) return false;
  return (k.mmCpumask[mm]! & (1 << cpu)) !== 0;
}

export function hashFlushTlbMmRange(p: Ppc, k: ArchKernel, cpu: number, mm: number, _flags: number): void {
  k.useMm(cpu, mm, SITE_HASH_FLUSH);
  const id = p.st.mmId[mm]!;
  if (mmIsThreadLocal(p, k, cpu, mm)) tlbiel(p, k, cpu, id, false, false);
  else tlbie(p, k, cpu, id, false);
}
