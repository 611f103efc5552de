/**
 * Context (PID / context id) lifetime: init_new_context, arch_exit_mmap, destroy_context.
 *
 * - radix__init_new_context() (arch/powerpc/mm/book3s64/mmu_context.c): the PID comes from
 *   alloc_context_id() = ida_alloc_range(): the **lowest free** id, so a PID freed by
 *   destroy_context is handed out again by the next allocation; then
 *   `process_tb[index].prtb0 = rts_field | __pa(mm->pgd) | RADIX_PGD_INDEX_SIZE`.
 * - hash__init_new_context(): hash__alloc_context_id(), the same ida; the VSIDs derive from it.
 * - arch_exit_mmap() (arch/powerpc/include/asm/mmu_context.h): radix zeroes
 *   `process_tb[mm->context.id].prtb0` before exit_mmap's fullmm RIC=2 flush (P9 does not
 *   cache an entry with RTS=0).
 * - destroy_context() (arch/powerpc/mm/book3s64/mmu_context.c): radix zeroes prtb0 again,
 *   destroy_contexts() frees the id (ida_free), `context.id = MMU_NO_CONTEXT`.
 * - mm_context_add_copro() / mm_context_remove_copro() (asm/mmu_context.h): with the `copros`
 *   option each mm has one nest-MMU user for its whole life (added at init, removed at
 *   destroy), which on radix adds 1 to active_cpus and keeps flushes global.
 */
import { NO_MM, type ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { SITE_ARCH_EXIT_MMAP } from './sites.js';
import { populate } from './tlb.js';

/** ida_alloc_range(ida, 1, max): the lowest free id. */
function allocContextId(p: Ppc): number {
  const st = p.st;
  for (let id = 1; id < st.idCap; id++) if (st.idOwner[id] === NO_MM) return id;
  throw new Error(`powerpc: no free context id (${st.idCap - 1} modelled)`);
}

export function initNewContext(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  const st = p.st;
  const id = allocContextId(p);
  st.idOwner[id] = mm;
  st.mmId[mm] = id;
  st.mmIdEver[mm] = id;
  st.mmActiveCpus[mm] = 0;
  st.mmCopros[mm] = 0;
  if (p.radix) {
    st.idPrtbValid[id] = 1; // process_tb[id].prtb0 = __pa(mm->pgd) | ...
    // A CPU that still has this PID in SPRN_PID (a lazy user of the freed previous owner)
    // can now walk the new owner's tree: speculative walks fill its TLB while it is not in
    // mm_cpumask(mm), so mm's local flushes miss it (kernel-reference §5.6-C, I2).
    for (let c = 0; c < k.ncpu; c++) {
      if (st.cpuId[c] !== id) continue;
      st.cpuPrtbCached[c] = 1;
      populate(p, k, c);
      if (k.tracer !== null)
        k.tracer.ev(
          cpu,
          'init_new_context',
          `PID ${id} reused for ${k.mmName(mm)} while CPU${c} still has it in SPRN_PID (loaded for ${k.mmName(st.cpuIdMm[c]!)})`,
        );
    }
  }
  if (p.opts.copros) {
    // mm_context_add_copro(): if (atomic_inc_return(&copros) == 1 && radix_enabled()) inc_mm_active_cpus(mm)
    st.mmCopros[mm] = 1;
    if (p.radix) st.mmActiveCpus[mm]! += 1;
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'init_new_context', `${k.mmName(mm)} ${p.radix ? 'PID' : 'context id'} ${id}`);
}

export function archExitMmap(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  if (!p.radix) return;
  k.useMm(cpu, mm, SITE_ARCH_EXIT_MMAP);
  const id = p.st.mmId[mm]!;
  if (id !== 0) p.st.idPrtbValid[id] = 0; // process_tb[mm->context.id].prtb0 = 0
  if (k.tracer !== null) k.tracer.ev(cpu, 'arch_exit_mmap', `process_tb[${id}].prtb0 = 0`);
}

export function destroyContext(p: Ppc, k: ArchKernel, cpu: number, mm: number): void {
  const st = p.st;
  const id = st.mmId[mm]!;
  if (st.mmCopros[mm]! > 0) {
    // mm_context_remove_copro(): if (atomic_dec_if_positive(&copros) == 0 && radix_enabled()) dec_mm_active_cpus(mm)
    st.mmCopros[mm] = 0;
    if (p.radix) st.mmActiveCpus[mm]! -= 1;
  }
  if (id !== 0) {
    if (p.radix) st.idPrtbValid[id] = 0;
    st.idOwner[id] = NO_MM; // destroy_contexts(): ida_free
  }
  st.mmId[mm] = 0; // MMU_NO_CONTEXT
  if (k.tracer !== null) k.tracer.ev(cpu, 'destroy_contexts', `${p.radix ? 'PID' : 'context id'} ${id} freed`);
}
