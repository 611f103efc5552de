/**
 * Membarrier state (kernel/sched/membarrier.c, kernel/sched/sched.h): mm->membarrier_state and
 * the per-runqueue copy rq->membarrier_state that membarrier's expedited commands read to
 * decide which CPUs to IPI. The scheduler keeps the copy in sync on every switch to a user
 * mm (membarrier_switch_mm), which compares `prev->active_mm` — a lazy pointer when prev is
 * a kernel thread — with next->mm: one of the use sites of a dangling active_mm (§12.2).
 */
import { IPI_MEMBARRIER, NO_MM, REASON_ARCH } from '../machine/constants.js';
import { ret } from './frames.js';
import type { Kernel } from './kernel.js';

/** MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY | MEMBARRIER_STATE_PRIVATE_EXPEDITED. */
export const MEMBARRIER_PRIVATE_EXPEDITED = 3;
/** MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY: set last by registration (R4); the command needs it (C0). */
export const MEMBARRIER_PRIVATE_EXPEDITED_READY = 1;

/**
 * membarrier_switch_mm(rq, prev_mm, next_mm), in context_switch() before switch_mm_irqs_off():
 * `if (prev_mm == next_mm) return; state = atomic_read(&next_mm->membarrier_state);
 * if (READ_ONCE(rq->membarrier_state) == state) return; WRITE_ONCE(rq->membarrier_state, state)`.
 * With a stale prev_mm at next_mm's address the update is skipped: a finding (I14) when it
 * would have changed rq->membarrier_state.
 */
export function membarrier_switch_mm(k: Kernel, cpu: number, prevMm: number, nextMm: number): void {
  // A scheme that sanitises this use (SchemePlugin.patchedSites) drops the prev_mm == next_mm
  // shortcut for a stale prev_mm: the state is always taken from next_mm.
  if (k.ptrEq(prevMm, nextMm) && (prevMm === nextMm || k.sitePatchedMask === 0 || !k.sitePatched('membarrier_switch_mm'))) {
    if (prevMm !== nextMm && k.mmMembarrierState[nextMm] !== k.cpuMembarrierState[cpu]) {
      k.staleCompare(
        cpu,
        'membarrier_switch_mm',
        prevMm,
        nextMm,
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
  if (k.mmMembarrierState[mm] === MEMBARRIER_PRIVATE_EXPEDITED) return; // R0: already READY
  k.mmMembarrierState[mm] = MEMBARRIER_PRIVATE_EXPEDITED;
  if (k.mmUsers[mm] === 1) {
    k.cpuMembarrierState[cpu] = MEMBARRIER_PRIVATE_EXPEDITED;
  } else {
    for (let c = 0; c < k.ncpu; c++) {
      // after synchronize_rcu(): every CPU is past its IRQs-off regions, so each rq->curr is
      // read as its CPU last stored it (a CPU in the middle of a switch counts with its next)
      if (k.cpuOnline[c] !== 0 && k.taskMm[k.rqCurr[c]!] === mm) k.cpuMembarrierState[c] = MEMBARRIER_PRIVATE_EXPEDITED;
    }
  }
  if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `REGISTER_PRIVATE_EXPEDITED ${k.mmName(mm)}`);
}

/**
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) by the current task (mm `mm`), as the
 * kernel path P_MEMBARRIER (membarrier_private_expedited(), kernel/sched/membarrier.c @
 * gregkh/linux 55f3722f; /work/notes/membarrier.md §7). Registers: a = mm, b = the CPUs to IPI,
 * c = the next CPU to look at.
 *   pc 0  C0: -EPERM unless the mm is READY; C1: mm_users == 1 or one CPU online: return (no
 *         barrier); C2: smp_mb() (barrier a)
 *   pc 1  C4, one step per other online CPU: p = rcu_dereference(cpu_rq(cpu)->curr); p->mm == mm
 *         (remote loads of rq->curr and task->mm: from memory, so a buffered store is not seen)
 *   (end of pc 1) C5: smp_call_function_many(mask, ipi_mb, NULL, true): the IPIs (the path waits for them)
 *   pc 2  C6: smp_mb() (barrier c); return
 * I10 (membarrier-ordering), checked at C4: a CPU the loop does not see running the mm although
 * it is (its rq->curr / task->mm store still buffered) must not have run the mm's user code yet
 * since that store (with no full barrier in between, its user loads may have passed the store:
 * the forbidden outcome of the file's store-buffering litmus test). Needs tso to fail.
 */
export function stepMembarrier(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  switch (k.frPc[f]) {
    case 0: {
      if ((k.mmMembarrierState[mm]! & MEMBARRIER_PRIVATE_EXPEDITED_READY) === 0) {
        if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `PRIVATE_EXPEDITED: ${k.mmName(mm)} not registered: -EPERM`);
        ret(k, cpu);
        return;
      }
      let online = 0;
      for (let c = 0; c < k.ncpu; c++) online += k.cpuOnline[c]!;
      if (k.mmUsers[mm] === 1 || online === 1) {
        if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `PRIVATE_EXPEDITED: ${k.mmName(mm)} has one user: return`);
        ret(k, cpu);
        return;
      }
      k.smpMb(cpu); // barrier a
      k.frB[f] = 0;
      k.frC[f] = 0;
      k.frPc[f] = 1;
      if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `PRIVATE_EXPEDITED ${k.mmName(mm)}: smp_mb(); look at every CPU's rq->curr`);
      // fall through to the first CPU in the next step
      return;
    }
    case 1: {
      let c = k.frC[f]!;
      while (c < k.ncpu && (c === cpu || k.cpuOnline[c] === 0)) c++;
      if (c < k.ncpu) {
        const p = k.rqCurrMem[c]!;
        const seen = k.taskMmMem[p]! === mm;
        if (seen) k.frB[f]! |= 1 << c;
        else if (k.taskMm[k.rqCurr[c]!] === mm && k.cpuUnfencedUser[c] !== 0) {
          k.violate(
            'I10',
            c,
            `membarrier(PRIVATE_EXPEDITED) on CPU${cpu} reads CPU${c}'s rq->curr->mm from memory and misses ${k.mmName(mm)}: CPU${c}'s switch to ` +
              `${k.taskName(k.rqCurr[c]!)} is still in its store buffer, yet it already ran ${k.mmName(mm)}'s user code with no full barrier after that store (no IPI, no ordering)`,
          );
        }
        if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `CPU${c}: rq->curr ${k.taskName(p)} -> ${seen ? 'IPI' : 'skip'}`);
        k.frC[f] = c + 1;
        return;
      }
      k.frPc[f] = 2;
      membarrierIpis(k, cpu, mm, k.frB[f]!);
      return;
    }
    case 2:
      // smp_call_function_many() returned (every ipi_mb ran)
      k.smpMb(cpu); // barrier c
      ret(k, cpu);
      if (k.tracer !== null) k.tracer.ev(cpu, 'membarrier', `PRIVATE_EXPEDITED ${k.mmName(mm)}: smp_mb(); return 0`);
      return;
  }
}

function membarrierIpis(k: Kernel, cpu: number, mm: number, mask: number): void {
  for (let c = 0; c < k.ncpu; c++) if ((mask & (1 << c)) !== 0) k.sendIpi(cpu, c, IPI_MEMBARRIER, mm, 0, true, REASON_ARCH);
}

/** ipi_mb(): smp_mb() on the target (the IRET that ends the interrupt would drain it too). */
export function ipi_mb(k: Kernel, cpu: number): void {
  k.smpMb(cpu);
  if (k.tracer !== null) k.tracer.ev(cpu, 'ipi_mb', 'smp_mb()');
}
