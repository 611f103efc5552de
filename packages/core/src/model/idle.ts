/**
 * The idle loop's deep C-states: an idle CPU with nothing to run may enter one
 * (do_idle -> cpuidle_idle_call -> cpuidle_enter_state), as many times per run as the
 * workload's `deepIdles` allows. What that does to the lazy mm is the arch's business
 * (hook cpu_idle_deep): x86 leave_mm() for states flagged CPUIDLE_FLAG_TLB_FLUSHED
 * (intel_idle C3 and deeper), arm64 cpu_suspend() whose resume path reinstalls
 * current->active_mm (cpu_uninstall_idmap).
 */
import { arch_cpu_idle_deep } from './arch-calls.js';
import type { Kernel } from './kernel.js';

export function cpuidle_enter_state(k: Kernel, cpu: number): void {
  if (--k.idleBudget === 0) k.dirtyCpus = -1; // no idle CPU may enter a deep state any more
  if (k.tracer !== null) k.tracer.ev(cpu, 'cpuidle_enter_state', `deep C-state (lazy on ${k.mmName(k.taskActiveMm[k.cpuCurr[cpu]!]!)})`);
  arch_cpu_idle_deep(k, cpu);
}
