/**
 * Membarrier state (kernel/sched/membarrier.c, kernel/sched/sched.h): mm->membarrier_state and
 * the per-runqueue copy rq->membarrier_state that membarrier's expedited commands read to
 * decide which CPUs to IPI. The scheduler keeps the copy in sync on every switch to a user
 * mm (membarrier_switch_mm), which compares `prev->active_mm` — a lazy pointer when prev is
 * a kernel thread — with next->mm: one of the use sites of a dangling active_mm (§12.2).
 */
import { NO_MM } from './constants.js';
import type { Kernel } from './kernel.js';

/** MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY | MEMBARRIER_STATE_PRIVATE_EXPEDITED. */
export const MEMBARRIER_PRIVATE_EXPEDITED = 3;

/**
 * membarrier_switch_mm(rq, prev_mm, next_mm), in context_switch() before switch_mm_irqs_off():
 * `if (prev_mm == next_mm) return; state = atomic_read(&next_mm->membarrier_state);
 * if (READ_ONCE(rq->membarrier_state) == state) return; WRITE_ONCE(rq->membarrier_state, state)`.
 * With a stale prev_mm at next_mm's address the update is skipped: a finding (I14) when it
 * would have changed rq->membarrier_state.
 */
export function membarrier_switch_mm(k: Kernel, cpu: number, prevMm: number, nextMm: number): void {
  if (k.ptrEq(prevMm, nextMm)) {
    if (prevMm !== nextMm && k.mmMembarrierState[nextMm] !== k.cpuMembarrierState[cpu]) {
      k.staleCompare(
        cpu, 'membarrier_switch_mm', prevMm, nextMm,
        `rq->membarrier_state stays ${k.cpuMembarrierState[cpu]} instead of ${k.mmName(nextMm)}'s ${k.mmMembarrierState[nextMm]}`,
      );
    }
    return;
  }
  k.cpuMembarrierState[cpu] = k.mmMembarrierState[nextMm]!;
}

/** membarrier_update_current_mm(next_mm) (kthread_use_mm, kthread_unuse_mm and exit_mm): rq state from next_mm (0 for NULL). */
export function membarrier_update_current_mm(k: Kernel, cpu: number, nextMm: number): void {
  k.cpuMembarrierState[cpu] = nextMm === NO_MM ? 0 : k.mmMembarrierState[nextMm]!;
}

/** membarrier_exec_mmap(mm): the new mm and this runqueue start with no membarrier state. */
export function membarrier_exec_mmap(k: Kernel, cpu: number, mm: number): void {
  k.mmMembarrierState[mm] = 0;
  k.cpuMembarrierState[cpu] = 0;
}

/**
 * membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) by the current task (a user task with
 * mm `mm`): atomic_or() of the state into mm->membarrier_state, then
 * sync_runqueues_membarrier_state(): this runqueue when mm_users == 1, otherwise every online
 * CPU whose rq->curr->mm is mm (ipi_sync_rq_state with wait=1). The model takes the register,
 * the IPIs and the READY bit as one step (the IPIs only copy the state).
 */
export function membarrier_register(k: Kernel, cpu: number, mm: number): void {
  k.mmMembarrierState[mm] = MEMBARRIER_PRIVATE_EXPEDITED;
  if (k.mmUsers[mm] === 1) {
    k.cpuMembarrierState[cpu] = MEMBARRIER_PRIVATE_EXPEDITED;
  } else {
    for (let c = 0; c < k.ncpu; c++) {
      if (k.cpuOnline[c] !== 0 && k.taskMm[k.cpuCurr[c]!] === mm) k.cpuMembarrierState[c] = MEMBARRIER_PRIVATE_EXPEDITED;
    }
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `REGISTER_PRIVATE_EXPEDITED ${k.mmName(mm)}`);
}
