/**
 * I13 for powerpc (kernel-reference §4 I7/I13), checked on a CPU after each of its steps:
 *
 * - ppc-context-matches-active-mm: with IRQs on, SPRN_PID (radix) / the paca context id
 *   (hash) is active_mm->context.id (0 for init_mm). Skipped once active_mm's context is
 *   destroyed (MMU_NO_CONTEXT): the core reports that as I3 at free_mm, the hardware side as I1.
 * - ppc-cpumask-covers-active-mm (I7-ppc): active_mm(c) == M  =>  c in mm_cpumask(M), for an
 *   online c (an offline CPU between cleanup_cpu_mmu_context and idle_task_exit is exempt,
 *   as in the kernel: hotplug.ts).
 * - ppc-active-cpus: M->context.active_cpus == |mm_cpumask(M)| (+1 while copros > 0, radix).
 */
import { INIT_MM, NO_MM, type Kernel, constants } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { activeCpusExpected } from './radix-flush.js';

export function checkCpu(p: Ppc, k: Kernel, cpu: number): void {
  if (k.cpuIrqsOff[cpu] !== 0) return;
  const st = p.st;
  const t = k.cpuCurr[cpu]!;
  const active = k.taskActiveMm[t]!;
  // Once active_mm's context is destroyed the core's I3 (free_mm) and I1 (hw_root) speak for it.
  if (active === NO_MM || (active > INIT_MM && k.mmStage[active]! >= constants.MM_CTX_DESTROYED)) return;
  const want = active === INIT_MM ? 0 : st.mmId[active]!;
  if (st.cpuId[cpu] !== want) {
    k.violate('I13', cpu, `${p.radix ? 'SPRN_PID' : 'paca context id'} is ${st.cpuId[cpu]} (loaded for ${k.mmName(st.cpuIdMm[cpu]!)}) but ${k.taskName(t)}'s active_mm ${k.mmName(active)} has context id ${want}`);
    return;
  }
  // An offline CPU may be lazy on an mm whose mask clear_tasks_mm_cpumask() already cleared
  // (until idle_task_exit(); only without sched_force_init_mm, see hotplug.ts): the kernel
  // tolerates that window, and I7 at cleanup_lazy_tlbs is where it bites.
  if ((k.mmCpumask[active]! & (1 << cpu)) === 0 && k.cpuOnline[cpu] !== 0) {
    k.violate('I13', cpu, `I7-ppc: ${k.taskName(t)}'s active_mm is ${k.mmName(active)} but CPU${cpu} is not in its mm_cpumask`);
    return;
  }
  const exp = activeCpusExpected(p, k, active);
  if (st.mmActiveCpus[active] !== exp) {
    k.violate('I13', cpu, `active_cpus of ${k.mmName(active)} is ${st.mmActiveCpus[active]} but mm_cpumask has ${exp}${st.mmCopros[active]! > 0 ? ' (with copro)' : ''}`);
  }
}
