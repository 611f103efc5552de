/**
 * A suspend/resume cycle started from a kernel thread (the autosleep kworker,
 * pm_wq's try_to_suspend): the CPU saves and restores its processor state, and the resume
 * path of the arch may use current->active_mm (x86 fix_processor_context():
 * load_mm_ldt(current->active_mm)). The model runs it as one step on the kworker's CPU and
 * does not take the other CPUs offline (freeze_secondary_cpus) around it.
 */
import { arch_suspend_resume } from './arch-calls.js';
import type { Kernel } from './kernel.js';

export function suspend_resume(k: Kernel, cpu: number, task: number): void {
  if (k.tracer !== null) k.tracer.ev(cpu, 'suspend_devices_and_enter', `${k.taskName(task)} (lazy on ${k.mmName(k.taskActiveMm[task]!)}): suspend and resume`);
  arch_suspend_resume(k, cpu, task);
}
