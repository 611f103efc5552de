/**
 * The hardware view for the core's I1 (hw_root): which mm's translation structures the MMU of
 * a CPU may use right now.
 *
 * radix: SPRN_PID = id, loaded for mm L (switch_mmu_context).
 *   - id 0: the kernel's (init_mm).
 *   - id still owned by L: L, if process_tb[id] is valid or still in the CPU's process-table
 *     cache (after arch_exit_mmap zeroed prtb0 and a RIC=2 flush reached the CPU, the MMU has
 *     nothing to walk: init_mm);
 *   - id freed (destroy_context): harmless while the zeroed entry is not cached (init_mm),
 *     else L (its context is destroyed: I1);
 *   - id reassigned to another mm: L — the CPU walks another process's tree under a PID it
 *     loaded for a dead mm, outside that process's mm_cpumask (kernel-reference §4 I1-ppc
 *     "not free / not reassigned", §5.6-C).
 * hash: the paca/SLB context id, loaded for L. The hardware never walks Linux page tables,
 *   and a lazy kernel thread makes no user accesses, so a lazy CPU uses L only while L's
 *   context is live; a CPU running user code uses L whatever happened to it (a stale SLB after
 *   an ABA-skipped switch_slb: I1 when L's context is gone). A CPU in the middle of
 *   switch_mm_irqs_off (an ABI v2 sequence, IRQs off) counts as running kernel code: its task
 *   may have its new mm already, but it makes no user access before the switch ends.
 */
import { INIT_MM, NO_MM, type ArchKernel, constants } from '@lazytlb/core';
import type { Ppc } from './ctx.js';

export function hwRoot(p: Ppc, k: ArchKernel, cpu: number): number {
  const st = p.st;
  const id = st.cpuId[cpu]!;
  if (id === 0) return INIT_MM;
  const loadedFor = st.cpuIdMm[cpu]!;
  const owner = st.idOwner[id]!;
  if (p.radix) {
    if (owner === loadedFor) return st.idPrtbValid[id] !== 0 || st.cpuPrtbCached[cpu] !== 0 ? loadedFor : INIT_MM;
    if (owner === NO_MM) return st.cpuPrtbCached[cpu] !== 0 ? loadedFor : INIT_MM;
    return loadedFor;
  }
  // Mid-switch (switch_mm_irqs_off in progress, IRQs off) the CPU runs kernel code only, even
  // when its task has an mm already (kthread_use_mm / exec_mmap set it before the switch).
  const user = k.taskMm[k.cpuCurr[cpu]!] !== NO_MM && st.cpuSwBusy[cpu] === 0;
  if (user) return loadedFor;
  return owner === loadedFor && k.mmStage[loadedFor]! < constants.MM_PGD_FREED ? loadedFor : INIT_MM;
}
