/**
 * exec: bprm_execve -> exec_mmap() (fs/exec.c), for a user task (old_mm != NULL: mmput it)
 * and for kernel_execve() from a kernel thread (old_mm == NULL: the lazy active_mm is
 * dropped with mmdrop_lazy_tlb). The IRQs-off block is one step; without
 * ARCH_WANT_IRQS_OFF_ACTIVATE_MM it is split at local_irq_enable() before activate_mm().
 * Registers: a = new mm, b = active_mm read in the block, c = old_mm.
 */
import { arch_switch_mm_irqs_off } from './arch-calls.js';
import { NO_MM, PREEMPT_RT, SWITCH_ACTIVATE_MM, TASK_USER } from '../machine/constants.js';
import { membarrier_exec_mmap } from './membarrier.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { allocMm } from './mm-alloc.js';
import { LAZY_EXEC_MMAP } from '../scheme/abi.js';
import { mmdrop_lazy_tlb, mmput } from './refs.js';
import { MUT_KERNEL_EXECVE_PREEMPT } from '../mutations/catalog.js';

export function stepExec(k: Kernel, cpu: number, f: number, irqsOffActivateMm: boolean): void {
  const t = k.cpuCurr[cpu]!;
  switch (k.frPc[f]) {
    case 0: {
      // bprm_mm_init -> mm_alloc(): the new mm (mm_users = mm_count = 1)
      const mm = allocMm(k, cpu);
      k.frA[f] = mm;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'bprm_mm_init', `mm_alloc -> ${k.mmName(mm)}`);
      return;
    }
    case 1: {
      if ((k.mutations & MUT_KERNEL_EXECVE_PREEMPT) !== 0 && k.taskMm[t] === NO_MM) {
        // Pre-d53c3dfb23c4 kernel_execve(): `active_mm = tsk->active_mm` is read with IRQs on,
        // under task_lock() (kernel-reference §11): preemptible only on PREEMPT_RT, where a tick
        // may switch the kthread out (the scheduler drops or hands over that lazy reference) and
        // back in (on another lazy mm) before the stores below.
        k.frB[f] = k.taskActiveMm[t]!;
        k.frPc[f] = 5;
        k.preemptPoint(cpu, PREEMPT_RT);
        if (k.tracer !== null) k.tracer.ev(cpu, 'exec_mmap', `active_mm = ${k.mmName(k.frB[f]!)} read with IRQs on (mutation: preemptible)`);
        return;
      }
      // exec_mmap(): membarrier_exec_mmap(mm); local_irq_disable(); active_mm = tsk->active_mm;
      // tsk->active_mm = mm; tsk->mm = mm;
      const mm = k.frA[f]!;
      membarrier_exec_mmap(k, cpu, mm);
      const oldMm = k.taskMm[t]!;
      const active = k.taskActiveMm[t]!;
      k.frB[f] = active;
      k.frC[f] = oldMm;
      k.smpMb(cpu); // task_lock(): a locked RMW
      k.setActiveMm(t, mm);
      k.setTaskMm(cpu, t, mm);
      k.taskKind[t] = TASK_USER;
      if (oldMm === NO_MM) k.setLocalMm(cpu, active); // the lazy reference now lives in a local
      if (irqsOffActivateMm) {
        arch_switch_mm_irqs_off(k, cpu, active, mm, t, SWITCH_ACTIVATE_MM); // activate_mm() with IRQs still off
        k.frPc[f] = 3;
      } else {
        k.frPc[f] = 2; // local_irq_enable() before activate_mm()
        k.cpuActivatePending[cpu] = 1;
      }
      if (k.tracer !== null)
        k.tracer.ev(
          cpu,
          'exec_mmap',
          `${k.taskName(t)} mm=${k.mmName(mm)} (was ${k.mmName(oldMm)}, active_mm ${k.mmName(active)})${irqsOffActivateMm ? '; activate_mm' : ''}`,
        );
      return;
    }
    case 2:
      // activate_mm(active_mm, mm) with IRQs on (!ARCH_WANT_IRQS_OFF_ACTIVATE_MM)
      k.cpuActivatePending[cpu] = 0;
      arch_switch_mm_irqs_off(k, cpu, k.frB[f]!, k.frA[f]!, t, SWITCH_ACTIVATE_MM);
      k.frPc[f] = 3;
      if (k.tracer !== null) k.tracer.ev(cpu, 'activate_mm', `${k.mmName(k.frB[f]!)} -> ${k.mmName(k.frA[f]!)}`);
      return;
    case 5: {
      // (mutation) tsk->mm = mm; tsk->active_mm = mm; activate_mm(active_mm, mm), with the
      // active_mm value read before the preemption point
      k.cpuPreemptPoint[cpu] = 0;
      const mm = k.frA[f]!;
      const active = k.frB[f]!;
      k.frC[f] = NO_MM;
      if (k.tracer !== null && k.taskActiveMm[t] !== active) {
        k.tracer.ev(cpu, 'exec_mmap', `active_mm is now ${k.mmName(k.taskActiveMm[t]!)}, but the stale ${k.mmName(active)} will be dropped`);
      }
      k.smpMb(cpu); // task_lock(): a locked RMW
      k.setActiveMm(t, mm);
      k.setTaskMm(cpu, t, mm);
      k.taskKind[t] = TASK_USER;
      k.setLocalMm(cpu, active);
      membarrier_exec_mmap(k, cpu, mm);
      arch_switch_mm_irqs_off(k, cpu, active, mm, t, SWITCH_ACTIVATE_MM);
      k.frPc[f] = 3;
      if (k.tracer !== null) k.tracer.ev(cpu, 'exec_mmap', `${k.taskName(t)} mm=${k.mmName(mm)}; activate_mm(${k.mmName(active)}, ${k.mmName(mm)})`);
      return;
    }
    default: {
      const oldMm = k.frC[f]!;
      const active = k.frB[f]!;
      ret(k, cpu);
      if (oldMm !== NO_MM) {
        if (k.tracer !== null) k.tracer.ev(cpu, 'exec_mmap', `mmput(old_mm ${k.mmName(oldMm)})`);
        mmput(k, cpu, oldMm);
      } else {
        k.setLocalMm(cpu, NO_MM);
        if (k.tracer !== null) k.tracer.ev(cpu, 'exec_mmap', `mmdrop_lazy_tlb(${k.mmName(active)})`);
        mmdrop_lazy_tlb(k, cpu, active, LAZY_EXEC_MMAP);
      }
    }
  }
}
