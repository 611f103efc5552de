/**
 * fork/clone: copy_mm() (kernel/fork.c). CLONE_VM takes mmget(oldmm); otherwise dup_mm()
 * allocates a new mm (mm_init, init_new_context) and dup_mmap() ends with
 * flush_tlb_mm(oldmm) after write-protecting the parent's COW pages; the parent may be switched
 * out at a cond_resched() while copying.
 * Registers: a = child task, b = child mm.
 */
import { arch_flush_tlb_mm_range } from './arch-calls.js';
import { FLUSH_MM, PREEMPT_NONE } from '../machine/constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { allocMm } from './mm-alloc.js';
import { mmget } from './refs.js';
import { enqueue } from './sched.js';

/** CLONE_VM thread: one step (copy_mm takes mmget, wake_up_new_task enqueues the child). */
export function cloneThread(k: Kernel, cpu: number, parent: number, child: number): void {
  const mm = k.taskMm[parent]!;
  mmget(k, cpu, mm);
  k.setTaskMm(cpu, child, mm);
  k.smpMb(cpu); // wake_up_new_task(): raw_spin_lock_irqsave(&p->pi_lock), a locked RMW
  k.taskActiveMm[child] = mm;
  if (k.tracer !== null) k.tracer.ev(cpu, 'copy_mm', `CLONE_VM ${k.taskName(child)} shares ${k.mmName(mm)} (mm_users ${k.mmUsers[mm]})`);
  enqueue(k, k.taskCpu[child]!, child);
}

export function stepFork(k: Kernel, cpu: number, f: number): void {
  const child = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0: {
      // dup_mm(): allocate and set up the child's mm; dup_mmap() copies the VMAs
      // (copy_page_range's loops cond_resched()).
      const mm = allocMm(k, cpu);
      k.frB[f] = mm;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'dup_mm', `${k.taskName(child)} gets ${k.mmName(mm)}`);
      k.preemptPoint(cpu, PREEMPT_NONE);
      return;
    }
    case 1: {
      // end of dup_mmap(): flush_tlb_mm(oldmm) after write-protecting the parent's COW PTEs
      const oldmm = k.taskMm[k.cpuCurr[cpu]!]!;
      k.frPc[f] = 2;
      if (k.tracer !== null) k.tracer.ev(cpu, 'dup_mmap', `flush_tlb_mm(${k.mmName(oldmm)})`);
      k.mmUnmapGen[oldmm]! += 1; // COW write-protect of the parent's PTEs
      arch_flush_tlb_mm_range(k, cpu, oldmm, FLUSH_MM);
      return;
    }
  }
  ret(k, cpu);
  const mm = k.frB[f]!;
  k.setTaskMm(cpu, child, mm);
  k.smpMb(cpu); // wake_up_new_task(): raw_spin_lock_irqsave(&p->pi_lock), a locked RMW
  k.taskActiveMm[child] = mm;
  enqueue(k, k.taskCpu[child]!, child);
  if (k.tracer !== null) k.tracer.ev(cpu, 'wake_up_new_task', `${k.taskName(child)} on CPU${k.taskCpu[child]}`);
}
