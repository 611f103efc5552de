/**
 * Process exit and mm teardown (kernel/exit.c, kernel/fork.c, mm/mmap.c):
 * do_exit -> exit_mm -> mmput -> __mmput -> exit_mmap -> mmdrop -> __mmdrop, and the
 * shoot-lazies IPI do_shoot_lazy_tlb used by cleanup_lazy_tlbs under SHOOTDOWN.
 *
 * Preemption points (Kernel.preemptPoint): between exit_mm() and mmput() (might_sleep:
 * voluntary), inside exit_mmap() between unmap_vmas() and the final flush (cond_resched() in
 * the zap loops: every model), and in __mmput() between exit_mmap() and its mmdrop()
 * (might_sleep: voluntary). A task switched out there keeps its path and resumes it when it
 * runs again, possibly on another CPU and lazy on another mm.
 */
import { C_MM_EXITS, C_MM_FREES } from '../cost/counters.js';
import { checkHwRootsAll, checkLazyPointers, checkStaleTlb } from './invariant-checks.js';
import { arch_destroy_context, arch_enter_lazy_tlb, arch_exit_mmap, arch_flush_tlb_mm_range, arch_switch_mm_irqs_off } from './arch-calls.js';
import {
  FLUSH_FREED_TABLES,
  FLUSH_FULLMM,
  INIT_MM,
  MM_CTX_DESTROYED,
  MM_EXITING,
  MM_FREED,
  MM_PGD_FREED,
  MM_TABLES_FREED,
  NO_MM,
  NO_TASK,
  PREEMPT_NONE,
  PREEMPT_VOLUNTARY,
  SWITCH_TO_INIT_MM,
  TS_DEAD,
} from '../machine/constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';
import { khugepaged_exit } from './khugepaged.js';
import { membarrier_update_current_mm } from './membarrier.js';
import { LAZY_EXIT_MM } from '../scheme/abi.js';
import { HAS_CLEANUP, HAS_MMPUT, scheme_cleanup_lazy_tlbs, scheme_mmput, scheme_shoot_lazy_tlb } from './scheme-calls.js';
import { lazyGrabLoad, lazyGrabStore, mmdrop, mmdropUsersRef, mmgrab_lazy_tlb, mmput } from './refs.js';
import { MUT_MMGRAB_LAZY_NONATOMIC } from '../mutations/catalog.js';
import { enqueue, waitInPath } from './sched.js';

/**
 * do_exit(): exit_mm() [one IRQs-off step], mmput(), the ring's mmdrop of a kthread_use_mm
 * worker (its owner's mm it pinned), exit_files() (io_uring_release queues the ring's
 * io_ring_exit_work), then do_task_dead(). Registers: a = the mm being left.
 */
export function stepExit(k: Kernel, cpu: number, f: number): void {
  const t = k.cpuCurr[cpu]!;
  switch (k.frPc[f]) {
    case 0: {
      const mm = k.taskMm[t]!;
      if (mm === NO_MM) {
        // A kernel thread: exit_mm() returns early.
        k.frPc[f] = 2;
        stepExit(k, cpu, f);
        return;
      }
      // exit_mm(): mmgrab_lazy_tlb(mm); task_lock; local_irq_disable(); current->mm = NULL;
      // membarrier_update_current_mm(NULL); enter_lazy_tlb(mm, current); local_irq_enable().
      // The exiting task is now a lazy holder.
      k.useMm(cpu, mm, 'exit_mm');
      if ((k.mutations & MUT_MMGRAB_LAZY_NONATOMIC) !== 0) {
        // (mutation) tmp = mm->mm_count here; mm->mm_count = tmp + 1 and the rest of exit_mm() next step
        const loaded = lazyGrabLoad(k, cpu, mm, LAZY_EXIT_MM);
        if (loaded >= 0) {
          k.frA[f] = mm;
          k.frB[f] = loaded;
          k.frPc[f] = 5;
          return;
        }
      } else {
        mmgrab_lazy_tlb(k, cpu, mm, LAZY_EXIT_MM);
      }
      exitMmRest(k, cpu, f, t, mm);
      return;
    }
    case 5: {
      // (mutation) the store of the non-atomic lazy grab, then the rest of exit_mm()
      const mm = k.frA[f]!;
      lazyGrabStore(k, cpu, mm, k.frB[f]!);
      exitMmRest(k, cpu, f, t, mm);
      return;
    }
    case 1:
      k.frPc[f] = 2;
      mmput(k, cpu, k.frA[f]!);
      return;
    case 2: {
      const io = k.taskIoMm[t]!;
      if (io !== NO_MM) {
        // The pin a kthread_use_mm worker's owner handed it (an mmgrab): dropped as the worker goes;
        // may be the final mmdrop of a dead process's mm.
        k.taskIoMm[t] = NO_MM;
        k.mmGrabHolders[io]! -= 1;
        k.frPc[f] = 3;
        if (k.tracer !== null) k.tracer.ev(cpu, 'do_exit', `mmdrop(${k.mmName(io)}) (the worker's pin)`);
        mmdrop(k, cpu, io);
        return;
      }
      k.frPc[f] = 3;
      stepExit(k, cpu, f);
      return;
    }
    case 3: {
      // exit_files() -> fput -> io_uring_release(): io_ring_ctx_wait_and_kill() queues the
      // ring's io_ring_exit_work on a kworker (which does the ring's final mmdrop).
      const w = k.taskRingExit[t]!;
      if (w !== NO_TASK) {
        k.taskRingExit[t] = NO_TASK;
        enqueue(k, k.taskCpu[w]!, w);
        if (k.tracer !== null) k.tracer.ev(cpu, 'io_uring_release', `queue io_ring_exit_work on ${k.taskName(w)}`);
      }
      doTaskDead(k, cpu, t);
      return;
    }
    default:
      doTaskDead(k, cpu, t);
  }
}

/** exit_mm() after mmgrab_lazy_tlb(mm): `t` stops using `mm` and stays lazy on it; mmput() is the next step. */
function exitMmRest(k: Kernel, cpu: number, f: number, t: number, mm: number): void {
  // task_lock() + smp_mb__after_spinlock() (5bc78502322a): membarrier needs a full barrier
  // after the task's user-space accesses, before tsk->mm is cleared.
  k.smpMb(cpu);
  k.setTaskMm(cpu, t, NO_MM);
  k.touch(mm);
  membarrier_update_current_mm(k, cpu, NO_MM);
  arch_enter_lazy_tlb(k, cpu, mm, t);
  if (k.tracer !== null) k.tracer.ev(cpu, 'exit_mm', `${k.taskName(t)}: mm=NULL, lazy on ${k.mmName(mm)}`);
  k.frA[f] = mm;
  k.frPc[f] = 1;
  k.preemptPoint(cpu, PREEMPT_VOLUNTARY); // task_unlock; mmap_read_unlock; mm_update_next_owner; mmput (might_sleep)
}

function doTaskDead(k: Kernel, cpu: number, t: number): void {
  ret(k, cpu);
  k.taskState[t] = TS_DEAD;
  if (k.tracer !== null) k.tracer.ev(cpu, 'do_task_dead', `${k.taskName(t)} TASK_DEAD`);
}

/**
 * mmput(): atomic_dec_and_test(&mm->mm_users); on the last user, __mmput -> khugepaged_exit,
 * exit_mmap (arch_exit_mmap, unmap_vmas, free_pgtables + the final fullmm flush with
 * freed_tables, then the batched table pages are freed) -> mmdrop(mm).
 * Registers: a = mm, b = unmap generation.
 */
export function stepMmput(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0: {
      k.useMm(cpu, mm, 'mmput');
      const users = k.mmUsers[mm]! - 1;
      k.mmUsers[mm] = users;
      k.smpMb(cpu); // atomic_dec_and_test: a locked RMW
      if (k.tracer !== null) k.tracer.ev(cpu, 'mmput', `${k.mmName(mm)} mm_users ${users + 1}->${users}`);
      if (users < 0) k.violate('I5', cpu, `mmput: mm_users of ${k.mmName(mm)} went negative`);
      if (users !== 0) {
        ret(k, cpu);
        return;
      }
      k.mmStage[mm] = MM_EXITING;
      k.adjustPinned(1, 0);
      k.cost[C_MM_EXITS]! += 1;
      k.frPc[f] = 1;
      return;
    }
    case 1:
      // __mmput(): khugepaged_exit(mm) first: drops the mm_slot's mmgrab, or (khugepaged is
      // collapsing this mm) sleeps in mmap_write_lock() until khugepaged lets go; b = 1 once woken.
      if (k.frB[f] === 0 && !khugepaged_exit(k, cpu, mm)) {
        k.frB[f] = 1;
        waitInPath(k, cpu);
        return;
      }
      k.frB[f] = 0;
      k.frPc[f] = 2;
      return;
    case 2:
      // exit_mmap(): arch_exit_mmap() first (Xen PV: xen_exit_mmap drops CR3 users).
      if (k.tracer !== null) k.tracer.ev(cpu, '__mmput', `exit_mmap(${k.mmName(mm)}): arch_exit_mmap`);
      k.frPc[f] = 3;
      arch_exit_mmap(k, cpu, mm);
      return;
    case 3:
      if (k.mmHasVmas[mm] === 0) {
        // exit_mmap(): no VMA left -> goto destroy: no mmu_gather, no final TLB flush.
        if (k.tracer !== null) k.tracer.ev(cpu, 'exit_mmap', `${k.mmName(mm)} has no VMA: no final flush`);
        k.frPc[f] = 6;
        return;
      }
      // unmap_vmas(): the PTEs go (pages stay in the mmu_gather until the flush). The zap takes
      // the page-table locks: it waits for a reclaim / khugepaged flush in progress on this mm.
      if (!k.takePtLock(cpu, mm)) return;
      k.mmHasVmas[mm] = 0;
      k.frB[f] = ++k.mmUnmapGen[mm]!;
      k.frPc[f] = 4;
      if (k.tracer !== null) k.tracer.ev(cpu, 'exit_mmap', `unmap_vmas ${k.mmName(mm)}`);
      k.preemptPoint(cpu, PREEMPT_NONE); // cond_resched() in zap_pte_range / unmap_vmas
      return;
    case 4:
      // free_pgtables(); tlb_finish_mmu -> flush_tlb_mm_range(fullmm, freed_tables).
      k.frPc[f] = 5;
      if (k.tracer !== null) k.tracer.ev(cpu, 'exit_mmap', `free_pgtables ${k.mmName(mm)}; tlb_finish_mmu -> flush_tlb_mm_range(freed_tables)`);
      arch_flush_tlb_mm_range(k, cpu, mm, FLUSH_FREED_TABLES | FLUSH_FULLMM);
      return;
    case 5:
      // tlb_finish_mmu(): after the flush, the batched page-table pages and pages are freed.
      k.mmStage[mm] = MM_TABLES_FREED;
      if (k.tracer !== null) k.tracer.ev(cpu, 'tlb_finish_mmu', `free page tables of ${k.mmName(mm)}`);
      checkStaleTlb(k, mm, k.frB[f]!, 'page tables', true);
      k.frPc[f] = 6;
      k.preemptPoint(cpu, PREEMPT_VOLUNTARY); // back in __mmput: set_mm_exe_file, ... (might_sleep) before mmdrop
      return;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: on purpose: without a scheme part of __mmput, case 6 runs the mmdrop (default) in the same step
    case 6:
      if ((k.schemeHas & HAS_MMPUT) !== 0) {
        // The scheme's part of __mmput (Andy's mm_unlazy_mm_count()): a step of its own, then the mmdrop.
        k.frPc[f] = 7;
        scheme_mmput(k, cpu, mm);
        return;
      }
    // fallthrough: no scheme part, the mmdrop is this step
    default:
      // __mmput's mmdrop(mm): the reference mm_users > 0 held on mm_count.
      ret(k, cpu);
      mmdropUsersRef(k, cpu, mm);
  }
}

/**
 * __mmdrop(): BUG_ON(init_mm); cleanup_lazy_tlbs() (SHOOTDOWN: on_each_cpu_mask with wait);
 * WARN_ON_ONCE(mm == current->active_mm); mm_free_pgd(); destroy_context(); free_mm() — each
 * its own step so others interleave.
 */
export function stepMmdrop(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0: {
      if (mm === INIT_MM) {
        k.violate('I5', cpu, '__mmdrop(&init_mm)');
        ret(k, cpu);
        return;
      }
      if (k.mmStage[mm] === MM_FREED) {
        k.violate('I5', cpu, `__mmdrop of ${k.mmName(mm)}, which is already freed (double free)`);
        ret(k, cpu);
        return;
      }
      const t = k.cpuCurr[cpu]!;
      if (k.taskMm[t] === mm) k.violate('I5', cpu, `__mmdrop(${k.mmName(mm)}) while it is current->mm of ${k.taskName(t)}`);
      k.frPc[f] = 1;
      // cleanup_lazy_tlbs(): the scheme's (SHOOTDOWN: IPI mm_cpumask(mm) with wait=1, lazy users
      // switch to init_mm in do_shoot_lazy_tlb; REFCOUNT: nothing, no lazy user is left).
      if ((k.schemeHas & HAS_CLEANUP) !== 0) scheme_cleanup_lazy_tlbs(k, cpu, mm);
      return;
    }
    case 1: {
      // WARN_ON_ONCE(mm == current->active_mm): the freeing CPU is still lazy on the mm.
      const t = k.cpuCurr[cpu]!;
      if (k.taskActiveMm[t] === mm) k.lazyWarn(cpu, '__mmdrop', mm, t);
      if (k.tracer !== null) k.tracer.ev(cpu, 'mm_free_pgd', k.mmName(mm));
      k.mmStage[mm] = MM_PGD_FREED;
      k.frPc[f] = 2;
      checkHwRootsAll(k);
      return;
    }
    case 2:
      if (k.tracer !== null) k.tracer.ev(cpu, 'destroy_context', k.mmName(mm));
      k.mmStage[mm] = MM_CTX_DESTROYED;
      k.frPc[f] = 3;
      arch_destroy_context(k, cpu, mm);
      checkHwRootsAll(k);
      return;
    default: {
      ret(k, cpu);
      // free_mm(): the struct goes back to mm_cachep on this CPU (SLUB: LIFO on its active slab).
      k.mmStage[mm] = MM_FREED;
      const pinned = k.mmLazyPinned[mm]!;
      k.mmLazyPinned[mm] = 0;
      k.adjustPinned(-1, -pinned);
      k.cost[C_MM_FREES]! += 1;
      k.slab.free(cpu, k.mmAddr[mm]!);
      if (k.tracer !== null) k.tracer.ev(cpu, 'free_mm', `${k.mmName(mm)} freed`);
      checkLazyPointers(k, mm);
    }
  }
}

/** do_check_lazy_tlb() (kernel/fork.c): WARN_ON_ONCE(current->active_mm == mm) after the shoot, by IPI. */
export function do_check_lazy_tlb(k: Kernel, cpu: number, mm: number): void {
  const t = k.cpuCurr[cpu]!;
  if (k.tracer !== null) k.tracer.ev(cpu, 'do_check_lazy_tlb', `${k.taskName(t)} active_mm ${k.mmName(k.taskActiveMm[t]!)}`);
  if (k.taskActiveMm[t] === mm) k.violate('I3', cpu, `WARN in do_check_lazy_tlb: ${k.taskName(t)} is still lazy on ${k.mmName(mm)} after the shoot IPI`);
}

/** do_shoot_lazy_tlb() (kernel/fork.c), run by IPI or locally with IRQs off. */
export function do_shoot_lazy_tlb(k: Kernel, cpu: number, mm: number): void {
  const t = k.cpuCurr[cpu]!;
  if (k.taskActiveMm[t] !== mm) return;
  if (k.taskMm[t] !== NO_MM) {
    // WARN_ON_ONCE(current->mm): a real user of an mm whose last reference is being dropped.
    k.violate('I11', cpu, `do_shoot_lazy_tlb: ${k.taskName(t)} really uses ${k.mmName(mm)} (current->mm) at its final mmdrop`);
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'do_shoot_lazy_tlb', `${k.taskName(t)} active_mm ${k.mmName(mm)} -> init_mm`);
  k.setActiveMm(t, INIT_MM);
  arch_switch_mm_irqs_off(k, cpu, mm, INIT_MM, t, SWITCH_TO_INIT_MM);
  scheme_shoot_lazy_tlb(k, cpu, mm);
}
