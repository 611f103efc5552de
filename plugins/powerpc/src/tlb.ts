/**
 * The TLB (and, on radix, the page-walk and process-table caches) of each CPU, tagged by PID
 * (radix) or by the VSIDs derived from the context id (hash), as far as I2 needs it:
 * whose translations a CPU may hold under an id, and since which unmap generation they are
 * known clean.
 *
 * - Entries are inserted whenever the MMU may walk: radix, while SPRN_PID == id and
 *   process_tb[id] is valid (or still cached) — speculative walks need no user access, so a
 *   lazy kernel thread counts; hash, when switch_slb() loads a user context.
 * - `tlbiel` (radix `_tlbiel_pid`, hash local `flush_hash_range`) clears one CPU's entries
 *   for the id; `tlbie` (`_tlbie_pid`, hash global invalidation) reaches every CPU's TLB.
 *   RIC=2 (RIC_FLUSH_ALL) also drops the process-table cache entry.
 *
 * Sources: arch/powerpc/mm/book3s64/radix_tlb.c (_tlbiel_pid, _tlbie_pid, RIC_FLUSH_*),
 * arch/powerpc/mm/book3s64/hash_tlb.c / hash_utils.c (flush_hash_range, tlbiel vs tlbie by
 * mm_is_thread_local()).
 */
import { costs, INIT_MM, NO_MM, type ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';

/** The MMU of `cpu` may walk with its loaded id now: record the owner's translations as possibly cached. */
export function populate(p: Ppc, k: ArchKernel, cpu: number): void {
  const st = p.st;
  const id = st.cpuId[cpu]!;
  if (id === 0) return;
  const owner = st.idOwner[id]!;
  if (owner === NO_MM || owner === INIT_MM) return;
  if (p.radix && st.idPrtbValid[id] === 0 && st.cpuPrtbCached[cpu] === 0) return;
  const s = st.slot(cpu, id);
  if (st.tlbMm[s] !== owner) {
    st.tlbMm[s] = owner;
    st.tlbClean[s] = k.mmUnmapGen[owner]!;
  }
}

/** Drop `cpu`'s entries for `id` (then, if the id is still loaded, the MMU may refill from current tables). */
function invalidate(p: Ppc, k: ArchKernel, cpu: number, id: number, ric2: boolean): void {
  const st = p.st;
  st.tlbMm[st.slot(cpu, id)] = NO_MM;
  if (st.cpuId[cpu] === id) {
    if (ric2) st.cpuPrtbCached[cpu] = p.radix ? st.idPrtbValid[id]! : 0;
    populate(p, k, cpu);
  }
}

/** tlbiel: flush `id` on this CPU only. `remote` = run on behalf of another CPU (IPI). */
export function tlbiel(p: Ppc, k: ArchKernel, cpu: number, id: number, ric2: boolean, remote: boolean): void {
  if (id !== 0) invalidate(p, k, cpu, id, ric2);
  k.cost[remote ? costs.C_TLB_FLUSH_REMOTE : costs.C_TLB_FLUSH_LOCAL]! += 1;
  if (k.tracer !== null) k.tracer.ev(cpu, 'tlbiel', `PID ${id}${ric2 ? ' RIC=2' : ''}`);
}

/**
 * tlbiel_all() (radix__tlbiel_all / hash__tlbiel_all: every set, RIC=2, IS=3): this CPU's TLB,
 * page-walk cache and process-table cache lose everything, for every id. On radix the MMU may
 * refill at once from the PID still in SPRN_PID (speculative walks, as for any lazy kernel
 * thread); on hash only user accesses refill, and its callers (cleanup_cpu_mmu_context in the
 * stopper thread, early_init_mmu_secondary) run kernel code only.
 */
export function tlbielAll(p: Ppc, k: ArchKernel, cpu: number): void {
  const st = p.st;
  for (let id = 1; id < st.idCap; id++) st.tlbMm[st.slot(cpu, id)] = NO_MM;
  const loaded = st.cpuId[cpu]!;
  st.cpuPrtbCached[cpu] = p.radix && loaded !== 0 ? st.idPrtbValid[loaded]! : 0;
  if (p.radix) populate(p, k, cpu);
  k.cost[costs.C_TLB_FLUSH_LOCAL]! += 1;
  if (k.tracer !== null) k.tracer.ev(cpu, 'tlbiel_all', `CPU${cpu}: whole TLB${p.radix ? ', PWC and process-table cache' : ''}`);
}

/** tlbie: broadcast invalidation of `id`, reaching every CPU's TLB (no code runs on them). */
export function tlbie(p: Ppc, k: ArchKernel, cpu: number, id: number, ric2: boolean): void {
  if (id !== 0) for (let c = 0; c < k.ncpu; c++) invalidate(p, k, c, id, ric2);
  k.cost[costs.C_TLB_FLUSH_LOCAL]! += 1;
  k.cost[costs.C_TLB_FLUSH_REMOTE]! += 1;
  if (k.tracer !== null) k.tracer.ev(cpu, 'tlbie', `PID ${id}${ric2 ? ' RIC=2' : ''} (all CPUs)`);
}

/**
 * I2: may `cpu` hold translations of `mm` that were valid before unmap generation `gen`?
 * Entries under an id the CPU has not loaded count too (loading it again does not flush),
 * except on an offline CPU that has left the id (idle_task_exit): it runs nothing until
 * start_secondary(), whose early_init_mmu_secondary() does tlbiel_all() (cpu_up, hotplug.ts)
 * before any id is loaded again.
 */
export function tlbMayHold(p: Ppc, k: ArchKernel, cpu: number, mm: number, gen: number): boolean {
  if (mm <= INIT_MM) return false;
  const st = p.st;
  const id = st.mmIdEver[mm]!;
  if (id === 0) return false;
  if (k.cpuOnline[cpu] === 0 && st.cpuId[cpu] !== id) return false;
  const s = st.slot(cpu, id);
  return st.tlbMm[s] === mm && st.tlbClean[s]! < gen;
}
