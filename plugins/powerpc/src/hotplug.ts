/**
 * CPU hotplug, the powerpc 64s parts (the core runs the generic offline / online sequence,
 * kernel-reference §2.7, and calls these hooks):
 *
 * - cpu_disable = __cpu_disable() -> smp_ops->cpu_disable (pseries_cpu_disable,
 *   pnv_smp_cpu_disable, smp_core99_cpu_disable) -> cleanup_cpu_mmu_context()
 *   (arch/powerpc/mm/book3s64/mmu_context.c, 01b0f0eae081 "powerpc/64s: Trim offlined CPUs from
 *   mm_cpumasks", v5.11): clear_tasks_mm_cpumask(cpu), then tlbiel_all(). On the dying CPU inside
 *   take_cpu_down() (stop_machine, IRQs off). clear_tasks_mm_cpumask() (kernel/cpu.c) walks
 *   every process with a live thread (find_lock_task_mm) and calls the arch override
 *   arch_clear_mm_cpumask_cpu(cpu, mm) (book3s/64/mmu.h, same series):
 *       if (cpumask_test_cpu(cpu, mm_cpumask(mm))) { atomic_dec(&mm->context.active_cpus);
 *                                                    cpumask_clear_cpu(cpu, mm_cpumask(mm)); }
 *   so active_cpus follows the mask exactly, on radix and hash alike. The core's
 *   k.clearTasksMmCpumask(cpu) clears the bits (mms a live task still uses); this hook does
 *   the atomic_dec for every bit the core cleared. mms without a live task (exiting, or only
 *   kept by an io_uring worker's mmget) keep the dying CPU's bit and its active_cpus count:
 *   their flushes stay global (tlbie reaches the offline CPU too), and its bit goes when it
 *   is next trimmed or the mm is freed. init_mm is no process's mm: its bit stays until
 *   __cpu_die() (below).
 * - cpu_up = the secondary's bring-up, modelled as on pseries (RTAS stop-self / start-cpu:
 *   the thread restarts at generic_secondary_smp_init -> __secondary_start):
 *   early_setup_secondary() -> early_init_mmu_secondary() (radix: radix__switch_mmu_context(NULL,
 *   &init_mm); tlbiel_all(); hash: SLB reinitialised, tlbiel_all()), then start_secondary():
 *   mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm (the core did both);
 *   VM_WARN_ON(cpumask_test_cpu(cpu, mm_cpumask(&init_mm))); cpumask_set_cpu(cpu,
 *   mm_cpumask(&init_mm)); inc_mm_active_cpus(&init_mm). The matching clear +
 *   dec_mm_active_cpus(&init_mm) is in __cpu_die() on the control CPU, which has no hook: the
 *   model keeps the init_mm bit across the offline period (nothing reads init_mm's mask while
 *   the CPU is offline: kernel flushes are not modelled), so the pair is a no-op here.
 *   (powernv's offline CPU instead resumes in start_secondary_resume without
 *   early_init_mmu_secondary; cleanup_cpu_mmu_context's tlbiel_all is what protects it.)
 *   Because of that flush, an offline CPU that has left an id (idle_task_exit) cannot use its
 *   old entries again: tlb_may_hold ignores them (tlb.ts).
 *
 * What the I13 checks tolerate (check.ts): between cleanup_cpu_mmu_context() and
 * idle_task_exit() an offline CPU may still be lazy on a user mm whose mask no longer has it
 * (only without sched_force_init_mm(), i.e. before 21641bd9a7a7: the core mutation
 * hotplug-no-force-init-mm, whose finding is I7 at cleanup_lazy_tlbs). The kernel tolerates that
 * window (idle_task_exit only VM_WARNs on it, the 177255afb405 warning of linuxppc/issues#469),
 * so ppc-cpumask-covers-active-mm skips offline CPUs. active_cpus == |mm_cpumask| keeps holding.
 */
import { INIT_MM, type ArchKernel } from '@lazytlb/core';
import type { Ppc } from './ctx.js';
import { tlbielAll } from './tlb.js';

/** cleanup_cpu_mmu_context(): clear_tasks_mm_cpumask(cpu) with arch_clear_mm_cpumask_cpu(), then tlbiel_all(). */
export function cpuDisable(p: Ppc, k: ArchKernel, cpu: number): void {
  const st = p.st;
  const bit = 1 << cpu;
  const had = st.scratchMm;
  for (let mm = INIT_MM + 1; mm < k.nmm; mm++) had[mm] = (k.mmCpumask[mm]! & bit) !== 0 ? 1 : 0;
  k.clearTasksMmCpumask(cpu);
  let cleared = 0;
  for (let mm = INIT_MM + 1; mm < k.nmm; mm++) {
    if (had[mm] === 0 || (k.mmCpumask[mm]! & bit) !== 0) continue;
    st.mmActiveCpus[mm]! -= 1; // arch_clear_mm_cpumask_cpu(): atomic_dec(&mm->context.active_cpus)
    cleared++;
    if (k.tracer !== null) k.tracer.ev(cpu, 'clear_tasks_mm_cpumask', `CPU${cpu} leaves mm_cpumask(${k.mmName(mm)}), active_cpus -> ${st.mmActiveCpus[mm]}`);
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'cleanup_cpu_mmu_context', `CPU${cpu}: cleared from ${cleared} mm_cpumask(s)`);
  tlbielAll(p, k, cpu);
}

/** start_secondary()'s MMU part (see the module comment). */
export function cpuUp(p: Ppc, k: ArchKernel, cpu: number): void {
  const st = p.st;
  const bit = 1 << cpu;
  if ((k.mmCpumask[INIT_MM]! & bit) === 0) {
    // Only if a core ever cleared it (the model has no __cpu_die hook): set it and count it.
    k.mmCpumask[INIT_MM]! |= bit;
    st.mmActiveCpus[INIT_MM]! += 1; // inc_mm_active_cpus(&init_mm)
  }
  // early_init_mmu_secondary(): radix__switch_mmu_context(NULL, &init_mm); tlbiel_all()
  // (hash__early_init_mmu_secondary: SLB reinitialised, tlbiel_all())
  st.cpuId[cpu] = 0;
  st.cpuIdMm[cpu] = INIT_MM;
  st.cpuPrtbCached[cpu] = 0;
  if (k.tracer !== null)
    k.tracer.ev(cpu, 'start_secondary', `CPU${cpu}: init_mm (mm_cpumask bit, active_cpus), ${p.radix ? 'SPRN_PID = 0' : 'no user context'}`);
  tlbielAll(p, k, cpu);
}
