/**
 * The scheduler side (kernel/sched/core.c): __schedule -> context_switch ->
 * finish_task_switch, with the four user/kernel transitions and rq->prev_mm; wakeups
 * (try_to_wake_up), tick preemption and migration.
 */
import { C_CS_KERNEL_KERNEL, C_CS_KERNEL_USER, C_CS_USER_KERNEL, C_CS_USER_USER, C_WAKEUPS, EVENT_SWITCH } from '../cost/counters.js';
import { checkSwitchedOut } from './invariant-checks.js';
import { arch_enter_lazy_tlb, arch_switch_mm_irqs_off } from './arch-calls.js';
import {
  MM_EXITING,
  MM_FREED,
  MM_PGD_FREED,
  MM_TABLES_FREED,
  NO_MM,
  SWITCH_CONTEXT_SWITCH,
  TASK_IDLE,
  TS_BLOCKED,
  TS_PARKED,
  TS_RUNNABLE,
  TS_RUNNING,
} from '../machine/constants.js';
import { call, P_FINISH_SWITCH, P_LAZY_GRAB_STORE, P_SWITCH_TAIL, ret } from './frames.js';
import { SH_RQ_CURR } from '../machine/store-buffer.js';
import { FRAME_DEPTH, type Kernel, ModelError } from './kernel.js';
import { membarrier_switch_mm } from './membarrier.js';
import { LAZY_CONTEXT_SWITCH, LAZY_FINISH_TASK_SWITCH } from '../scheme/abi.js';
import { HAS_FINISH, HAS_TO_USER, scheme_context_switch_to_user, scheme_finish_task_switch } from './scheme-calls.js';
import { lazyGrabLoad, lazyGrabStore, mmdrop_lazy_tlb, mmgrab_lazy_tlb } from './refs.js';
import { MUT_MMGRAB_LAZY_NONATOMIC } from '../mutations/catalog.js';

/**
 * Enqueue `t` on `cpu`'s runqueue, or on an active CPU if `cpu` is going down (balance_push).
 * A task still being switched out somewhere (task->on_cpu: its CPU is inside a context switch
 * whose switch_mm takes several steps) cannot be enqueued yet: try_to_wake_up() hands such a
 * wakeup to the task's CPU (ttwu_queue_wakelist), which delivers it as an interrupt once the
 * switch is over.
 */
export function enqueue(k: Kernel, cpu: number, t: number): void {
  if (k.taskOnCpu[t] !== 0) {
    const w = k.taskCpu[t]!;
    const len = k.wakeLen[w]!;
    k.wakeQ[w * k.taskCapacity + ((k.wakeHead[w]! + len) % k.taskCapacity)] = t;
    k.wakeLen[w] = len + 1;
    k.dirtyCpus |= 1 << w;
    return;
  }
  enqueueOn(k, k.cpuActive[cpu] !== 0 ? cpu : k.activeCpu(cpu), t);
}

/** Enqueue on exactly `cpu` (the cpuhp thread of a dying CPU). */
export function enqueueOn(k: Kernel, cpu: number, t: number): void {
  const len = k.rqLen[cpu]!;
  k.rq[cpu * k.taskCapacity + ((k.rqHead[cpu]! + len) % k.taskCapacity)] = t;
  k.rqLen[cpu] = len + 1;
  k.taskState[t] = TS_RUNNABLE;
  k.taskCpu[t] = cpu;
  k.dirtyCpus |= 1 << cpu;
}

function dequeue(k: Kernel, cpu: number): number {
  const head = k.rqHead[cpu]!;
  const t = k.rq[cpu * k.taskCapacity + head]!;
  k.rqHead[cpu] = (head + 1) % k.taskCapacity;
  k.rqLen[cpu]! -= 1;
  return t;
}

/** Does `cpu` have to call schedule() before running anything else? */
export function needsSwitch(k: Kernel, cpu: number): boolean {
  const t = k.cpuCurr[cpu]!;
  if (k.taskState[t] !== TS_RUNNING || k.cpuNeedResched[cpu] !== 0) return true;
  return k.taskKind[t] === TASK_IDLE && k.rqLen[cpu]! > 0;
}

/**
 * __schedule(): pick the next task (runqueue FIFO, else the idle task) and switch. The
 * whole of context_switch() up to finish_task_switch()'s `rq->prev_mm = NULL` is one
 * atomic step (IRQs off, rq lock held); the k->u mmdrop_lazy_tlb_sched() after IRQs are
 * re-enabled is the next step of this CPU (P_FINISH_SWITCH).
 */
export function schedule(k: Kernel, cpu: number): void {
  const prev = k.cpuCurr[cpu]!;
  k.cpuNeedResched[cpu] = 0;
  const prevState = k.taskState[prev]!;
  let next: number;
  if (k.rqLen[cpu]! > 0) {
    next = dequeue(k, cpu);
  } else if (prevState === TS_RUNNING || (prevState === TS_RUNNABLE && k.taskCpu[prev] === cpu)) {
    // Nothing else to run: keep running prev (a yield with an empty runqueue).
    k.taskState[prev] = TS_RUNNING;
    if (k.tracer !== null) k.tracer.ev(cpu, '__schedule', `${k.taskName(prev)} keeps running (runqueue empty)`);
    restoreSavedFrame(k, cpu, prev);
    return;
  } else {
    next = cpu; // the idle task of CPU c has task id c
  }
  if (next === prev) {
    k.taskState[prev] = TS_RUNNING;
    restoreSavedFrame(k, cpu, prev);
    return;
  }
  context_switch(k, cpu, prev, next);
}

/**
 * __schedule() from rq_lock() on + context_switch() + finish_task_switch() up to
 * finish_lock_switch() (kernel/sched/core.c). `rq_lock(rq); smp_mb__after_spinlock();` is a
 * full barrier; `RCU_INIT_POINTER(rq->curr, next)` is a plain store membarrier reads
 * remotely, made before switch_mm (whose CR3 write, on x86, is the barrier membarrier needs
 * after it). When the arch's switch_mm_irqs_off is a sequence (ABI v2), the rest of the switch
 * (context_switch_tail) runs when the sequence ends, fused with its last step: it is local
 * bookkeeping (rq->prev_mm, prev->active_mm, `current`) plus prev's release to other CPUs,
 * which no modelled reader orders against the switch's own stores.
 */
export function context_switch(k: Kernel, cpu: number, prev: number, next: number): void {
  k.setCostEvent(EVENT_SWITCH); // costs by event: whoever called schedule() (a path waiting inside)
  k.smpMb(cpu); // rq_lock() + smp_mb__after_spinlock()
  // next was released by the CPU it last ran on (its on_cpu = 0 store): what that CPU stored
  // before is visible now (x86-TSO: stores become visible in order).
  const rc = k.taskReleaseCpu[next]!;
  if (rc >= 0 && rc !== cpu && k.sb.busy !== 0 && k.sb.len[rc] !== 0) {
    k.sb.drainUpTo(rc, k.taskReleaseMark[next]!);
    k.dirtyCpus |= 1 << rc; // its drain actor may have nothing left
  }
  k.sb.store(cpu, SH_RQ_CURR, cpu, next);
  k.cpuUnfencedUser[cpu] = 0;
  const prevActive = k.taskActiveMm[prev]!;
  const prevMm = k.taskMm[prev]!;
  const nextMm = k.taskMm[next]!;
  if (nextMm === NO_MM) {
    // to kernel: enter_lazy_tlb(prev->active_mm, next); next->active_mm = prev->active_mm
    arch_enter_lazy_tlb(k, cpu, prevActive, next);
    k.setActiveMm(next, prevActive);
    if (prevMm !== NO_MM) {
      // user -> kernel: lazy + mmgrab_lazy_tlb(prev->active_mm)
      k.cost[C_CS_USER_KERNEL]! += 1;
      if ((k.mutations & MUT_MMGRAB_LAZY_NONATOMIC) !== 0) {
        lazyGrabSplit(k, cpu, prev, next, prevActive);
        return;
      }
      mmgrab_lazy_tlb(k, cpu, prevActive, LAZY_CONTEXT_SWITCH);
    } else {
      // kernel -> kernel: transfer the lazy reference, no atomic
      k.cost[C_CS_KERNEL_KERNEL]! += 1;
      k.setActiveMm(prev, NO_MM);
    }
  } else {
    // to user: membarrier_switch_mm(rq, prev->active_mm, next->mm);
    // switch_mm_irqs_off(prev->active_mm, next->mm, next)
    checkLoadable(k, cpu, nextMm, prevActive);
    membarrier_switch_mm(k, cpu, prevActive, nextMm);
    // The tail goes under the arch's sequence frame (if it pushes one) and runs when it ends.
    call(k, cpu, P_SWITCH_TAIL, prev, next, 0, false);
    if (arch_switch_mm_irqs_off(k, cpu, prevActive, nextMm, next, SWITCH_CONTEXT_SWITCH)) {
      // The sequence frame holds IRQs off (rq lock held) until its last step, where the tail runs.
      if (k.tracer !== null)
        k.tracer.ev(
          cpu,
          'context_switch',
          `${k.taskName(prev)} -> ${k.taskName(next)}: switch_mm_irqs_off(${k.mmName(prevActive)}, ${k.mmName(nextMm)}) begins`,
        );
      return;
    }
    ret(k, cpu);
  }
  context_switch_tail(k, cpu, prev, next);
}

/**
 * (mutation mmgrab-lazy-nonatomic) context_switch() user -> kernel with the lazy grab split: the
 * switch reads prev->active_mm's mm_count, and its store (+ 1) is the CPU's next step
 * (P_LAZY_GRAB_STORE), with IRQs kept off in between (the rq lock is held) so nothing else runs on
 * this CPU first. Until the store, I4 counts the pending grab (invariant-checks.ts).
 */
function lazyGrabSplit(k: Kernel, cpu: number, prev: number, next: number, mm: number): void {
  const loaded = lazyGrabLoad(k, cpu, mm, LAZY_CONTEXT_SWITCH);
  context_switch_tail(k, cpu, prev, next);
  if (loaded >= 0) {
    k.irqsOff(cpu);
    call(k, cpu, P_LAZY_GRAB_STORE, mm, loaded, 0, false);
  }
}

/** (mutation mmgrab-lazy-nonatomic) The store half of lazyGrabSplit(), IRQs back on after it. */
export function stepLazyGrabStore(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  const loaded = k.frB[f]!;
  ret(k, cpu);
  k.irqsOn(cpu);
  lazyGrabStore(k, cpu, mm, loaded);
}

/** context_switch() after switch_mm_irqs_off(): rq->prev_mm, switch_to(), finish_task_switch() up to finish_lock_switch(). */
export function context_switch_tail(k: Kernel, cpu: number, prev: number, next: number): void {
  k.setCostEvent(EVENT_SWITCH); // the frames it ran under may be gone (an arch sequence's frame, the tail's)
  const prevActive = k.taskActiveMm[prev]!;
  const prevMm = k.taskMm[prev]!;
  const nextMm = k.taskMm[next]!;
  if (nextMm !== NO_MM) {
    if (prevMm === NO_MM) {
      // kernel -> user: rq->prev_mm = prev->active_mm; prev->active_mm = NULL
      k.cost[C_CS_KERNEL_USER]! += 1;
      if (!k.noPrevMm) k.cpuPrevMm[cpu] = prevActive;
      k.setActiveMm(prev, NO_MM);
      if ((k.schemeHas & HAS_TO_USER) !== 0) {
        k.cpuPreemptCount[cpu]! += 1; // context_switch() runs preempt-off (an __mmdrop it causes knows)
        scheme_context_switch_to_user(k, cpu, prevActive);
        k.cpuPreemptCount[cpu]! -= 1;
      }
    } else {
      k.cost[C_CS_USER_USER]! += 1;
    }
  }
  k.cpuCurr[cpu] = next;
  k.taskOnCpu[prev] = 0; // smp_store_release(&prev->on_cpu, 0)
  k.taskReleaseCpu[prev] = cpu;
  k.taskReleaseMark[prev] = k.sb.pushed[cpu]!;
  k.taskOnCpu[next] = 1;
  k.taskState[next] = TS_RUNNING;
  k.taskCpu[next] = cpu;
  if (k.tracer !== null) {
    k.tracer.ev(
      cpu,
      'context_switch',
      `${k.taskName(prev)} -> ${k.taskName(next)}` +
        (nextMm === NO_MM ? ` (lazy on ${k.mmName(k.taskActiveMm[next]!)})` : ` switch_mm_irqs_off(${k.mmName(prevActive)}, ${k.mmName(nextMm)})`),
    );
  }

  // finish_task_switch(): mm = rq->prev_mm; rq->prev_mm = NULL; ... finish_lock_switch() (IRQs on)
  const mm = k.cpuPrevMm[cpu]!;
  k.cpuPrevMm[cpu] = NO_MM;
  const prevState = k.taskState[prev]!;
  if (prevState === TS_RUNNABLE) {
    enqueue(k, k.taskCpu[prev]!, prev);
  } else if (prevState === TS_BLOCKED) {
    // The wakeup will come as an interrupt on the CPU it is enqueued on (an active one).
    const w = k.activeCpu(k.taskCpu[prev]!);
    k.taskCpu[prev] = w;
    const len = k.wakeLen[w]!;
    k.wakeQ[w * k.taskCapacity + ((k.wakeHead[w]! + len) % k.taskCapacity)] = prev;
    k.wakeLen[w] = len + 1;
    k.dirtyCpus |= 1 << w;
  }
  checkSwitchedOut(k, cpu, prev);
  // A task preempted inside a kernel path resumes it after finish_task_switch().
  restoreSavedFrame(k, cpu, next);
  if (mm !== NO_MM) {
    k.setLocalMm(cpu, mm);
    call(k, cpu, P_FINISH_SWITCH, mm, 0, 0, false); // after IRQs are back on: the CPU's next step
  }
  // The scheme's part of every finish_task_switch() (no step of its own: the model's switch
  // step ends there).
  if ((k.schemeHas & HAS_FINISH) !== 0) {
    k.cpuPreemptCount[cpu]! += 1; // finish_task_switch() runs preempt-off
    scheme_finish_task_switch(k, cpu);
    k.cpuPreemptCount[cpu]! -= 1;
  }
}

/** I11: once mm_users is 0, nothing may newly load the mm (unless this CPU already has it as active_mm). */
export function checkLoadable(k: Kernel, cpu: number, next: number, prevActive: number): void {
  if (next === prevActive || next <= 0) return;
  const stage = k.mmStage[next]!;
  if (stage === MM_FREED) {
    k.useMm(cpu, next, 'switch_mm_irqs_off');
  } else if (k.mmUsers[next]! <= 0 || stage === MM_EXITING || stage === MM_TABLES_FREED || stage >= MM_PGD_FREED) {
    k.violate('I11', cpu, `switch_mm to ${k.mmName(next)} after its mm_users reached 0`);
  }
}

/** finish_task_switch() after finish_lock_switch(): if (mm) mmdrop_lazy_tlb_sched(mm). */
export function stepFinishSwitch(k: Kernel, cpu: number, f: number): void {
  const mm = k.frA[f]!;
  ret(k, cpu);
  k.setLocalMm(cpu, NO_MM);
  if (k.tracer !== null) k.tracer.ev(cpu, 'finish_task_switch', `mmdrop_lazy_tlb_sched(${k.mmName(mm)})`);
  // finish_task_switch() runs with preemption disabled (the scheduler's preempt_count).
  k.cpuPreemptCount[cpu]! += 1;
  mmdrop_lazy_tlb(k, cpu, mm, LAZY_FINISH_TASK_SWITCH);
  k.cpuPreemptCount[cpu]! -= 1;
}

/** try_to_wake_up() of the first task whose wakeup this CPU delivers (an interrupt step). */
export function wakeOne(k: Kernel, cpu: number): void {
  const head = k.wakeHead[cpu]!;
  const t = k.wakeQ[cpu * k.taskCapacity + head]!;
  k.wakeHead[cpu] = (head + 1) % k.taskCapacity;
  k.wakeLen[cpu]! -= 1;
  k.cost[C_WAKEUPS]! += 1;
  enqueue(k, cpu, t);
  if (k.tracer !== null) k.tracer.ev(cpu, 'try_to_wake_up', `${k.taskName(t)} enqueued`);
}

/** scheduler_tick() -> resched_curr(): preempt the current task at its next step (others are queued). */
export function tickPreempt(k: Kernel, cpu: number): void {
  if (--k.tickBudget === 0) k.dirtyCpus = -1; // no CPU can be tick-preempted any more
  k.cpuNeedResched[cpu] = 1;
  const t = k.cpuCurr[cpu]!;
  k.taskState[t] = TS_RUNNABLE;
  k.taskCpu[t] = cpu;
  if (k.tracer !== null) k.tracer.ev(cpu, 'scheduler_tick', `resched_curr: preempt ${k.taskName(t)}`);
}

/**
 * preempt_schedule_irq() / cond_resched() at a preemption point inside a kernel path: the task
 * keeps its path (saved with the task, the model's CPU frames being per CPU) and is switched
 * out. The load balancer may move it meanwhile: it is queued on a CPU chosen in the step
 * (k.choose: drawn from the run's in-step PRNG, or enumerated by an exhaustive search; any
 * active CPU, its own included), so it can resume the path on another CPU, lazy on whatever mm
 * that CPU has.
 */
export function preemptInPath(k: Kernel, cpu: number): void {
  const t = saveFrame(k, cpu, 'preemption');
  k.cpuPreemptPoint[cpu] = 0;
  const to = k.activeCpu(k.choose(k.ncpu));
  k.taskCpu[t] = to;
  if (k.tracer !== null)
    k.tracer.ev(cpu, 'preempt_schedule_irq', `${k.taskName(t)} preempted inside a kernel path${to !== cpu ? `; load balance moves it to CPU${to}` : ''}`);
  schedule(k, cpu);
}

/**
 * A sleep inside a kernel path (wait_for_completion, an rwsem): the task sleeps (TS_PARKED, on
 * no queue) with its path saved, and whoever completes it enqueues it; it resumes the path
 * when switched in.
 */
export function waitInPath(k: Kernel, cpu: number): void {
  const t = saveFrame(k, cpu, 'wait_for_completion');
  k.taskState[t] = TS_PARKED;
  schedule(k, cpu);
}

/** Move the current task's kernel path frames from the CPU to the task. */
function saveFrame(k: Kernel, cpu: number, why: string): number {
  const t = k.cpuCurr[cpu]!;
  const sp = k.cpuSp[cpu]!;
  if (sp === 0) throw new ModelError(`${why} outside a kernel path on CPU${cpu}`);
  // A lazy reference held in a path's local would leave the CPU with the task: the model only
  // switches tasks out where no such local is live.
  if (k.cpuLocalMm[cpu] !== NO_MM) throw new ModelError(`${why} on CPU${cpu} while a kernel path holds ${k.mmName(k.cpuLocalMm[cpu]!)} in a local`);
  const f = cpu * FRAME_DEPTH;
  const g = t * FRAME_DEPTH;
  for (let i = 0; i < sp; i++) {
    k.taskSavedPath[g + i] = k.frPath[f + i]!;
    k.taskSavedPc[g + i] = k.frPc[f + i]!;
    k.taskSavedA[g + i] = k.frA[f + i]!;
    k.taskSavedB[g + i] = k.frB[f + i]!;
    k.taskSavedC[g + i] = k.frC[f + i]!;
  }
  k.taskSavedSp[t] = sp;
  k.cpuSp[cpu] = 0;
  return t;
}

function restoreSavedFrame(k: Kernel, cpu: number, t: number): void {
  const sp = k.taskSavedSp[t]!;
  if (sp === 0) return;
  k.taskSavedSp[t] = 0;
  const g = t * FRAME_DEPTH;
  for (let i = 0; i < sp; i++) {
    call(k, cpu, k.taskSavedPath[g + i]!, k.taskSavedA[g + i]!, k.taskSavedB[g + i]!, k.taskSavedC[g + i]!, false);
    k.frPc[k.top(cpu)] = k.taskSavedPc[g + i]!;
  }
}

/**
 * balance_push for a CPU going down: its queued tasks and the wakeups it would deliver move
 * to active CPUs (in queue order, so the move is deterministic).
 */
export function moveQueuedTasks(k: Kernel, cpu: number): void {
  while (k.rqLen[cpu]! > 0) {
    const t = dequeue(k, cpu);
    enqueue(k, k.activeCpu(cpu), t);
  }
  while (k.wakeLen[cpu]! > 0) {
    const head = k.wakeHead[cpu]!;
    const t = k.wakeQ[cpu * k.taskCapacity + head]!;
    k.wakeHead[cpu] = (head + 1) % k.taskCapacity;
    k.wakeLen[cpu]! -= 1;
    const w = k.activeCpu(cpu);
    k.taskCpu[t] = w;
    const len = k.wakeLen[w]!;
    k.wakeQ[w * k.taskCapacity + ((k.wakeHead[w]! + len) % k.taskCapacity)] = t;
    k.wakeLen[w] = len + 1;
    k.dirtyCpus |= 1 << w;
  }
  k.dirtyCpus |= 1 << cpu;
}
