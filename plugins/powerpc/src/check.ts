/**
 * I13 for powerpc (kernel-reference §4 I7/I13), checked on a CPU after each of its steps:
 *
 * - ppc-context-matches-active-mm: with IRQs on, SPRN_PID (radix) / the paca context id
 *   (hash) is active_mm->context.id (0 for init_mm). Skipped once active_mm's context is
 *   destroyed (MMU_NO_CONTEXT): the core reports that as I3 at free_mm, the hardware side as I1.
 * - ppc-cpumask-covers-active-mm (I7-ppc): active_mm(c) == M  =>  c in mm_cpumask(M).
 * - ppc-active-cpus: M->context.active_cpus == |mm_cpumask(M)| (+1 while copros > 0, radix),
 *   less the CPUs inside switch_mm_irqs_off() between cpumask_set_cpu() and
 *   inc_mm_active_cpus() (two atomics, two steps: the kernel has the same window).
 *
 * The first two are checked on online CPUs only. An offline CPU (from take_cpu_down() until
 * cpu_up) runs nothing but its dying idle task, and the kernel lets its idle->active_mm lag:
 * without sched_force_init_mm() (before 21641bd9a7a7, the core mutations
 * hotplug-no-force-init-mm / idle-task-exit-mmdrop) it is still lazy on a user mm whose mask
 * clear_tasks_mm_cpumask() already cleared, and after idle_task_exit() switched the MMU to
 * init_mm its active_mm still names that mm until finish_cpu() on the control CPU (hotplug.ts).
 * Where that bites, the core says so (I7 at cleanup_lazy_tlbs, I3, I5). ppc-active-cpus holds
 * on every CPU (arch_clear_mm_cpumask_cpu decrements with the bit).
 */
import { INIT_MM, NO_MM, type ArchKernel, constants } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { activeCpusExpected } from './radix-flush.js';

export function checkCpu(p: Ppc, k: ArchKernel, cpu: number): void {
  if (k.cpuIrqsOff[cpu] !== 0) return;
  const st = p.st;
  const t = k.cpuCurr[cpu]!;
  const active = k.taskActiveMm[t]!;
  // Once active_mm's context is destroyed the core's I3 (free_mm) and I1 (hw_root) speak for it.
  if (active === NO_MM || (active > INIT_MM && k.mmStage[active]! >= constants.MM_CTX_DESTROYED)) return;
  const online = k.cpuOnline[cpu] !== 0;
  const want = active === INIT_MM ? 0 : st.mmId[active]!;
  if (online && st.cpuId[cpu] !== want) {
    k.violate(
      'I13',
      cpu,
      `${p.radix ? 'SPRN_PID' : 'paca context id'} is ${st.cpuId[cpu]} (loaded for ${k.mmName(st.cpuIdMm[cpu]!)}) but ${k.taskName(t)}'s active_mm ${k.mmName(active)} has context id ${want}`,
    );
    return;
  }
  if (online && (k.mmCpumask[active]! & (1 << cpu)) === 0) {
    k.violate('I13', cpu, `I7-ppc: ${k.taskName(t)}'s active_mm is ${k.mmName(active)} but CPU${cpu} is not in its mm_cpumask`);
    return;
  }
  const exp = activeCpusExpected(p, k, active);
  if (st.mmActiveCpus[active] !== exp) {
    k.violate(
      'I13',
      cpu,
      `active_cpus of ${k.mmName(active)} is ${st.mmActiveCpus[active]} but mm_cpumask has ${exp}${st.mmCopros[active]! > 0 ? ' (with copro)' : ''}`,
    );
  }
}
