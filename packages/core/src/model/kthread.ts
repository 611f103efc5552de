/**
 * kthread_use_mm() / kthread_unuse_mm() (kernel/kthread.c, after 6cad87b0d216), as used by
 * io_uring and vhost workers: the worker first takes mmget_not_zero() on the mm its ring
 * pinned with mmgrab(), and drops it with mmput() after kthread_unuse_mm().
 */
import { arch_enter_lazy_tlb, arch_switch_mm_irqs_off } from './arch-calls.js';
import { NO_MM, SWITCH_KTHREAD_USE_MM } from '../machine/constants.js';
import { membarrier_update_current_mm } from './membarrier.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { LAZY_KTHREAD_UNUSE_MM, LAZY_KTHREAD_USE_MM } from '../scheme/abi.js';
import { mmdrop, mmdrop_lazy_tlb, mmget_not_zero, mmgrab, mmgrab_lazy_tlb, mmput } from './refs.js';
import { checkLoadable } from './sched.js';
import { MUT_KTHREAD_USE_MM_IRQS_ON } from '../mutations/catalog.js';

/** Registers: a = mm, b = the previous (lazy) active_mm. */
export function stepUseMm(k: Kernel, cpu: number, f: number): void {
  const t = k.cpuCurr[cpu]!;
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0:
      if (!mmget_not_zero(k, cpu, mm)) {
        if (k.tracer !== null) k.tracer.ev(cpu, 'mmget_not_zero', `${k.mmName(mm)} has no users left: skip`);
        ret(k, cpu);
        return;
      }
      if (k.tracer !== null) k.tracer.ev(cpu, 'mmget_not_zero', `${k.mmName(mm)} mm_users -> ${k.mmUsers[mm]}`);
      k.frPc[f] = 1;
      return;
    case 1: {
      // mmgrab(mm); task_lock; local_irq_disable(); active_mm = tsk->active_mm; tsk->active_mm = mm;
      // tsk->mm = mm; membarrier_update_current_mm(mm); switch_mm_irqs_off(active_mm, mm, tsk);
      // local_irq_enable()
      mmgrab(k, cpu, mm);
      const active = k.taskActiveMm[t]!;
      k.frB[f] = active;
      k.smpMb(cpu); // task_lock(): a locked RMW
      k.setActiveMm(t, mm);
      k.setTaskMm(cpu, t, mm);
      k.taskUsingMm[t] = 1;
      k.mmGrabHolders[mm]! += 1;
      k.setLocalMm(cpu, active);
      membarrier_update_current_mm(k, cpu, mm);
      if ((k.mutations & MUT_KTHREAD_USE_MM_IRQS_ON) !== 0) {
        // Pre-38cf307c1f20: the stores ran under task_lock() only; switch_mm() comes in a later
        // step, so an interrupt in between sees active_mm == mm with the old MMU context loaded.
        k.frPc[f] = 3;
        if (k.tracer !== null)
          k.tracer.ev(cpu, 'kthread_use_mm', `${k.taskName(t)} active_mm=mm=${k.mmName(mm)} with IRQs on (mutation: switch_mm not yet done)`);
        return;
      }
      checkLoadable(k, cpu, mm, active);
      arch_switch_mm_irqs_off(k, cpu, active, mm, t, SWITCH_KTHREAD_USE_MM);
      k.frPc[f] = 2;
      if (k.tracer !== null) k.tracer.ev(cpu, 'kthread_use_mm', `${k.taskName(t)} mm=${k.mmName(mm)} (was lazy on ${k.mmName(active)})`);
      return;
    }
    case 3: {
      // (mutation) switch_mm(active_mm, mm, tsk), after the stores, IRQs on until now
      const active = k.frB[f]!;
      checkLoadable(k, cpu, mm, active);
      arch_switch_mm_irqs_off(k, cpu, active, mm, t, SWITCH_KTHREAD_USE_MM);
      k.frPc[f] = 2;
      if (k.tracer !== null) k.tracer.ev(cpu, 'kthread_use_mm', `switch_mm(${k.mmName(active)}, ${k.mmName(mm)})`);
      return;
    }
    default: {
      const active = k.frB[f]!;
      ret(k, cpu);
      k.setLocalMm(cpu, NO_MM);
      if (k.tracer !== null) k.tracer.ev(cpu, 'kthread_use_mm', `mmdrop_lazy_tlb(${k.mmName(active)})`);
      mmdrop_lazy_tlb(k, cpu, active, LAZY_KTHREAD_USE_MM);
    }
  }
}

/** Registers: a = mm. */
export function stepUnuseMm(k: Kernel, cpu: number, f: number): void {
  const t = k.cpuCurr[cpu]!;
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0:
      // task_lock; local_irq_disable(); tsk->mm = NULL; membarrier_update_current_mm(NULL);
      // mmgrab_lazy_tlb(mm); enter_lazy_tlb(mm, tsk)
      k.smpMb(cpu); // task_lock() + smp_mb__after_spinlock() (membarrier: barrier before tsk->mm = NULL)
      k.setTaskMm(cpu, t, NO_MM);
      k.touch(mm);
      membarrier_update_current_mm(k, cpu, NO_MM);
      mmgrab_lazy_tlb(k, cpu, mm, LAZY_KTHREAD_UNUSE_MM);
      arch_enter_lazy_tlb(k, cpu, mm, t);
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'kthread_unuse_mm', `${k.taskName(t)} mm=NULL, lazy on ${k.mmName(mm)}`);
      return;
    case 1:
      // mmdrop(mm): the real reference kthread_use_mm took
      k.frPc[f] = 2;
      k.taskUsingMm[t] = 0;
      k.mmGrabHolders[mm]! -= 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'kthread_unuse_mm', `mmdrop(${k.mmName(mm)})`);
      mmdrop(k, cpu, mm);
      return;
    default:
      // the worker's mmput() of its mmget_not_zero() reference: may be the last user
      ret(k, cpu);
      mmput(k, cpu, mm);
  }
}
