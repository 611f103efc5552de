/**
 * CPU hotplug (kernel/cpu.c, kernel/sched/core.c, kernel-reference §2.7): taking a CPU
 * offline and bringing it back, as far as lazy mm references are concerned.
 *
 * Offline, in the kernel's order:
 * - the control CPU (cpu_down): sched_cpu_deactivate() clears cpu_active, balance_push moves
 *   the CPU's queued tasks away; the cpuhp/N thread is kicked on the dying CPU and the
 *   control task sleeps until it is dead (P_CPU_DOWN; its CPU runs other tasks meanwhile);
 * - cpuhp/N on the dying CPU (P_CPUHP_AP): sched_cpu_wait_empty() -> sched_force_init_mm()
 *   (21641bd9a7a7: if the thread is lazy on a user mm, switch to init_mm and drop it), then
 *   take_cpu_down() under stop_machine: pending IPIs are flushed, the arch __cpu_disable()
 *   (powerpc: clear_tasks_mm_cpumask) runs, the CPU is marked offline and switches to idle;
 * - the idle task (P_IDLE_DEAD): arch_cpu_idle_dead() -> idle_task_exit() switches the MMU
 *   to init_mm, then reports the CPU dead;
 * - the control CPU: finish_cpu() drops the idle task's active_mm (mmdrop_lazy_tlb).
 * Online (cpu_up): the idle task gets active_mm = &init_mm with mmgrab_lazy_tlb, the arch
 * enter_lazy_tlb(&init_mm) and bring-up hook run, and the CPU becomes online and active.
 *
 * Mutations restore the earlier forms: hotplug-no-force-init-mm (before 21641bd9a7a7: no
 * sched_force_init_mm, finish_cpu() drops whatever idle still holds) and idle-task-exit-mmdrop
 * (before bf2c59fce407: idle_task_exit() itself drops the lazy mm, on the offline CPU).
 */
import { MUT_HOTPLUG_NO_FORCE_INIT_MM, MUT_IDLE_TASK_EXIT_MMDROP } from '../mutations/catalog.js';
import { checkCpu } from './invariant-checks.js';
import { arch_cpu_disable, arch_cpu_up, arch_enter_lazy_tlb, arch_switch_mm_irqs_off } from './arch-calls.js';
import { INIT_MM, NO_MM, SWITCH_TO_INIT_MM, TS_DEAD } from '../machine/constants.js';
import { call, P_IDLE_DEAD, ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { LAZY_CPU_UP, LAZY_FINISH_CPU, LAZY_IDLE_TASK_EXIT, LAZY_SCHED_FORCE_INIT_MM } from '../scheme/abi.js';
import { mmdrop_lazy_tlb, mmgrab_lazy_tlb } from './refs.js';
import { context_switch, enqueue, enqueueOn, moveQueuedTasks, waitInPath } from './sched.js';

/** The pre-21641bd9a7a7 offline sequence (both hotplug mutations restore it). */
function noForceInitMm(k: Kernel): boolean {
  return (k.mutations & (MUT_HOTPLUG_NO_FORCE_INIT_MM | MUT_IDLE_TASK_EXIT_MMDROP)) !== 0;
}

/** cpu_down() on the control CPU. Registers: a = the cpuhp/N kthread, b = the dying CPU. */
export function stepCpuDown(k: Kernel, cpu: number, f: number): void {
  switch (k.frPc[f]) {
    case 0: {
      const hp = k.frA[f]!;
      const c = k.taskCpu[hp]!;
      k.frB[f] = c;
      // sched_cpu_deactivate(): set_cpu_active(c, false); balance_push moves its queued tasks
      // (and the wakeups it would deliver) to active CPUs.
      k.cpuActive[c] = 0;
      moveQueuedTasks(k, c);
      // cpuhp_kick_ap(): the cpuhp/N thread runs the AP states on the dying CPU.
      enqueueOn(k, c, hp);
      k.cpuDownWaiter[c] = k.cpuCurr[cpu]!;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_down', `CPU${c}: set_cpu_active(false), balance_push; kick ${k.taskName(hp)}; wait_for_ap_thread`);
      // wait_for_ap_thread(): sleep until the dying CPU reports dead (other tasks run here meanwhile)
      waitInPath(k, cpu);
      return;
    }
    default: {
      // finish_cpu(c) (CPUHP_BRINGUP_CPU teardown, on the control CPU)
      const c = k.frB[f]!;
      const idle = c;
      const mm = k.taskActiveMm[idle]!;
      ret(k, cpu);
      if ((k.mutations & MUT_IDLE_TASK_EXIT_MMDROP) !== 0) {
        // before bf2c59fce407 there was no finish_cpu(): idle_task_exit() already dropped it
        if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_down', `CPU${c} is dead (idle_task_exit dropped its lazy mm)`);
        return;
      }
      if (noForceInitMm(k)) {
        // finish_cpu() before 21641bd9a7a7: if (mm != &init_mm) idle->active_mm = &init_mm; mmdrop_lazy_tlb(mm)
        if (mm !== INIT_MM) k.setActiveMm(idle, INIT_MM);
      } else {
        // WARN_ON(mm != &init_mm): sched_force_init_mm() made sure of it
        k.setActiveMm(idle, NO_MM);
      }
      if (k.tracer !== null) k.tracer.ev(cpu, 'finish_cpu', `CPU${c}: idle->active_mm = ${k.mmName(k.taskActiveMm[idle]!)}; mmdrop_lazy_tlb(${k.mmName(mm)})`);
      mmdrop_lazy_tlb(k, cpu, mm, LAZY_FINISH_CPU);
    }
  }
}

/** cpuhp/N on the dying CPU. Registers: a = the lazy mm sched_force_init_mm() drops. */
export function stepCpuhpAp(k: Kernel, cpu: number, f: number): void {
  const t = k.cpuCurr[cpu]!;
  switch (k.frPc[f]) {
    case 0: {
      // sched_cpu_wait_empty(): balance_hotplug_wait(); cpu_down already pushed the queued
      // tasks away and enqueue() redirects new ones, so nothing else is queued here.
      const mm = k.taskActiveMm[t]!;
      if (noForceInitMm(k) || mm === INIT_MM) {
        k.frPc[f] = 2;
        k.cpuStopMachine[cpu] = 1;
        if (k.tracer !== null)
          k.tracer.ev(
            cpu,
            'sched_cpu_wait_empty',
            noForceInitMm(k) ? `stays lazy on ${k.mmName(mm)} (mutation: no sched_force_init_mm)` : 'already on init_mm',
          );
        return;
      }
      // sched_force_init_mm(): mmgrab_lazy_tlb(&init_mm); local_irq_disable();
      // current->active_mm = &init_mm; switch_mm_irqs_off(mm, &init_mm, current); local_irq_enable()
      mmgrab_lazy_tlb(k, cpu, INIT_MM, LAZY_SCHED_FORCE_INIT_MM);
      k.setActiveMm(t, INIT_MM);
      k.setLocalMm(cpu, mm);
      arch_switch_mm_irqs_off(k, cpu, mm, INIT_MM, t, SWITCH_TO_INIT_MM);
      k.frA[f] = mm;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'sched_force_init_mm', `${k.taskName(t)} lazy ${k.mmName(mm)} -> init_mm`);
      return;
    }
    case 1: {
      // finish_arch_post_lock_switch(); mmdrop_lazy_tlb(mm)
      const mm = k.frA[f]!;
      k.frPc[f] = 2;
      k.cpuStopMachine[cpu] = 1;
      k.setLocalMm(cpu, NO_MM);
      if (k.tracer !== null) k.tracer.ev(cpu, 'sched_force_init_mm', `mmdrop_lazy_tlb(${k.mmName(mm)})`);
      mmdrop_lazy_tlb(k, cpu, mm, LAZY_SCHED_FORCE_INIT_MM);
      return;
    }
    default: {
      // take_cpu_down() under stop_machine (IRQs off everywhere): flush_smp_call_function_queue,
      // __cpu_disable() (arch: e.g. clear_tasks_mm_cpumask), set_cpu_online(false); the CPU
      // then leaves the stopper for its idle task (k->k: the lazy active_mm goes to idle).
      ret(k, cpu);
      k.cpuStopMachine[cpu] = 0;
      k.flushIpiQueue(cpu);
      arch_cpu_disable(k, cpu);
      k.cpuOnline[cpu] = 0;
      k.cpuDying[cpu] = 1;
      moveQueuedTasks(k, cpu);
      k.dirtyCpus = -1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'take_cpu_down', `__cpu_disable; CPU${cpu} offline`);
      k.taskState[t] = TS_DEAD; // cpuhp/N parks; the model uses a fresh thread per cycle
      context_switch(k, cpu, t, cpu);
      call(k, cpu, P_IDLE_DEAD, 0, 0, 0, false);
    }
  }
}

/**
 * The dying CPU's idle task: arch_cpu_idle_dead(); cpuhp_report_idle_dead(). Mainline has no
 * idle_task_exit() any more: 21641bd9a7a7 moved its body (switch to init_mm) into
 * sched_force_init_mm(), which already ran. The two hotplug mutations restore the old body.
 */
export function stepIdleDead(k: Kernel, cpu: number): void {
  const idle = k.cpuCurr[cpu]!;
  const mm = k.taskActiveMm[idle]!;
  ret(k, cpu);
  if (noForceInitMm(k) && mm !== INIT_MM && mm !== NO_MM) {
    // idle_task_exit(): switch_mm(mm, &init_mm, current): the MMU leaves the lazy mm; active_mm is finish_cpu()'s
    arch_switch_mm_irqs_off(k, cpu, mm, INIT_MM, idle, SWITCH_TO_INIT_MM);
    if (k.tracer !== null) k.tracer.ev(cpu, 'idle_task_exit', `switch_mm(${k.mmName(mm)}, init_mm)`);
    if ((k.mutations & MUT_IDLE_TASK_EXIT_MMDROP) !== 0) {
      // before bf2c59fce407: current->active_mm = &init_mm; mmdrop(mm), on this offline CPU
      k.setActiveMm(idle, INIT_MM);
      if (k.tracer !== null) k.tracer.ev(cpu, 'idle_task_exit', `mmdrop(${k.mmName(mm)}) on offline CPU${cpu} (mutation)`);
      mmdrop_lazy_tlb(k, cpu, mm, LAZY_IDLE_TASK_EXIT);
    }
  }
  // cpuhp_report_idle_dead() -> complete(): the control task waiting in cpu_down() is woken
  k.cpuDying[cpu] = 0;
  const w = k.cpuDownWaiter[cpu]!;
  k.cpuDownWaiter[cpu] = -1;
  if (w >= 0) enqueue(k, k.taskCpu[w]!, w);
  if (k.tracer !== null) k.tracer.ev(cpu, 'cpuhp_report_idle_dead', `CPU${cpu} is dead`);
}

/** cpu_up(c) from the control CPU: bringup_cpu -> the AP's start_secondary, as one step. */
export function cpuUp(k: Kernel, cpu: number, c: number): void {
  if (k.cpuOnline[c] !== 0 || k.cpuDying[c] !== 0) return;
  const idle = c;
  // x86 cpu_init / powerpc start_secondary: mmgrab_lazy_tlb(&init_mm); current->active_mm = &init_mm;
  // enter_lazy_tlb(&init_mm, current)
  mmgrab_lazy_tlb(k, c, INIT_MM, LAZY_CPU_UP);
  k.setActiveMm(idle, INIT_MM);
  arch_enter_lazy_tlb(k, c, INIT_MM, idle);
  arch_cpu_up(k, c);
  k.cpuOnline[c] = 1;
  k.cpuActive[c] = 1;
  k.dirtyCpus = -1;
  if (k.tracer !== null) k.tracer.ev(cpu, 'cpu_up', `CPU${c} online, idle on init_mm`);
  checkCpu(k, c);
}
