/**
 * One atomic step of one actor. Actors per CPU (model-spec §3): the CPU's task/kernel-path
 * step, its interrupt (an IPI, a wakeup it delivers, a scheduler tick), and — for arches
 * that run as guests — the hypervisor preempting or resuming it.
 */
import {
  C_IPI_HANDLED_ARCH,
  C_IPI_HANDLED_FLUSH,
  C_IPI_HANDLED_SHOOTDOWN,
  C_VCPU_PREEMPTIONS,
  EVENT_EXIT,
  EVENT_MMDROP,
  EVENT_SWITCH,
} from '../cost/counters.js';
import { arch_continue, arch_handle_ipi, arch_resume, arch_shoot_lazies_mask, HOOK_IDS } from './arch-calls.js';
import {
  IPI_CHECK_LAZY,
  IPI_SHOOT_LAZY,
  NO_MM,
  OP_CLONE_THREAD,
  OP_CPU_DOWN,
  OP_CPU_UP,
  OP_CPUHP,
  OP_EXEC,
  OP_EXIT,
  OP_FORK,
  OP_USE_MM_SETUP,
  OP_KERNEL_EXECVE,
  OP_KWORK,
  OP_MASK,
  OP_MIGRATE,
  OP_MUNMAP,
  OP_NAMES,
  OP_RUN,
  OP_SHIFT,
  OP_SLEEP,
  OP_UNUSE_MM,
  OP_USE_MM,
  OP_YIELD,
  REASON_FLUSH,
  REASON_SHOOTDOWN,
  ACTORS_PER_CPU,
  TASK_IDLE,
  TS_BLOCKED,
  TS_RUNNABLE,
  TS_RUNNING,
  OP_IO_URING_SETUP,
  OP_IO_RING_EXIT,
  OP_MREMAP,
  OP_KHUGEPAGED,
  OP_TEXT_POKE,
  OP_SUSPEND,
  OP_MEMBARRIER_REGISTER,
  OP_RECLAIM,
  OP_PAIR_MASK,
  OP_PAIR_SHIFT,
  OP_MEMBARRIER,
  MEMBARRIER_AND_COMMAND,
  IPI_MEMBARRIER,
} from '../machine/constants.js';
import { checkMaskCoverage, checkTlbUse } from './invariant-checks.js';
import { cpuidle_enter_state } from './idle.js';
import { io_ring_exit_work, io_uring_setup } from './io-uring.js';
import { stepKhugepaged } from './khugepaged.js';
import { ipi_mb, membarrier_register, stepMembarrier } from './membarrier.js';
import { SH_RQ_CURR, SH_TASK_MM } from '../machine/store-buffer.js';
import { stepReclaim } from './reclaim.js';
import { suspend_resume } from './suspend.js';
import { text_poke } from './temporary-mm.js';
import { do_check_lazy_tlb, do_shoot_lazy_tlb, stepExit, stepMmdrop, stepMmput } from './exit.js';
import { cloneThread, stepFork } from './fork.js';
import { cpuUp, stepCpuDown, stepCpuhpAp, stepIdleDead } from './hotplug.js';
import {
  call,
  P_ARCH,
  P_CPU_DOWN,
  P_CPUHP_AP,
  P_IDLE_DEAD,
  P_EXEC,
  P_EXIT,
  P_FINISH_SWITCH,
  P_LAZY_GRAB_STORE,
  P_FORK,
  P_KHUGEPAGED,
  P_MMDROP,
  P_MMPUT,
  P_MUNMAP,
  P_RECLAIM,
  P_MEMBARRIER,
  P_SEQ_FLUSH,
  P_SEQ_SCHEME,
  P_SEQ_SWITCH,
  P_SEQ_TLBBATCH,
  P_SWITCH_TAIL,
  P_UNUSE_MM,
  P_USE_MM,
  ret,
} from './frames.js';
import { stepExec } from './exec.js';
import { FRAME_DEPTH, IPI_QUEUE, type Kernel, ModelError } from './kernel.js';
import { stepUnuseMm, stepUseMm } from './kthread.js';
import { mremap, stepMunmap } from './munmap.js';
import { decCount, incCount, mmdrop_lazy_tlb, mmgrab, mmgrab_lazy_tlb } from './refs.js';
import { LAZY_ARCH } from '../scheme/abi.js';
import { scheme_lazy_kick, scheme_resume, SEQ_SCHEME_MMPUT } from './scheme-calls.js';
import { context_switch_tail, enqueue, needsSwitch, preemptInPath, schedule, stepFinishSwitch, stepLazyGrabStore, tickPreempt, wakeOne } from './sched.js';

/**
 * The lazy-mm event whose code `c` runs (cost/counters.ts EVENT_*): from the frame the stepper
 * dispatched this step (Kernel.dispatchFrame; it may have returned already: its slot still holds
 * it, or the callee it pushed in its place) down, the nearest frame that is a context switch's
 * tail, __mmput or __mmdrop (or a scheme sequence of theirs).
 */
function costEventOf(k: Kernel, c: number): number {
  const base = c * FRAME_DEPTH;
  const top = k.dispatchFrame;
  if (top < base || top >= base + FRAME_DEPTH) return -1;
  for (let f = top; f >= base; f--) {
    switch (k.frPath[f]) {
      case P_FINISH_SWITCH:
      case P_SWITCH_TAIL:
      case P_LAZY_GRAB_STORE:
        return EVENT_SWITCH;
      case P_MMPUT:
        return EVENT_EXIT;
      case P_MMDROP:
        return EVENT_MMDROP;
      case P_SEQ_SCHEME:
        return k.frB[f] === SEQ_SCHEME_MMPUT ? EVENT_EXIT : EVENT_MMDROP;
      default:
    }
  }
  return -1;
}

export class Stepper {
  constructor(
    private readonly k: Kernel,
    private readonly irqsOffActivateMm: boolean,
    private readonly vcpuPreemption: boolean,
  ) {
    k.runIpiFn = (cpu, fn, mm, arg, from) => this.runIpiFn(cpu, fn, mm, arg, from);
    k.mmgrabLazyTlb = (cpu, mm) => mmgrab_lazy_tlb(k, cpu, mm, LAZY_ARCH);
    k.pushArch = (cpu, fn, mm, arg) => call(k, cpu, P_ARCH, fn, mm, arg, false);
    k.mmdropLazyTlb = (cpu, mm) => mmdrop_lazy_tlb(k, cpu, mm, LAZY_ARCH);
    k.schemeMmgrab = (cpu, mm, what, n = 1) => incCount(k, cpu, mm, what, n);
    k.schemeMmdrop = (cpu, mm, what, n = 1) => decCount(k, cpu, mm, what, n);
    k.lazyKick = (cpu, mm) => {
      scheme_lazy_kick(k, cpu, mm);
    };
    k.checkMaskCoverage = (cpu, mm, mask) => checkMaskCoverage(k, cpu, mm, mask);
    k.shootLaziesMask = (mm) => arch_shoot_lazies_mask(k, mm);
    k.shootLazies = (cpu, mask, mm) => {
      if (k.tracer !== null)
        k.tracer.ev(cpu, 'cleanup_lazy_tlbs', `on_each_cpu_mask(0x${(mask >>> 0).toString(16)}, do_shoot_lazy_tlb, ${k.mmName(mm)}, wait=1)`);
      k.onEachCpuMask(cpu, mask, IPI_SHOOT_LAZY, mm, 0, true, REASON_SHOOTDOWN);
    };
    k.checkLazies = (cpu, mask, mm) => {
      if (k.tracer !== null)
        k.tracer.ev(cpu, 'cleanup_lazy_tlbs', `on_each_cpu_mask(0x${(mask >>> 0).toString(16)}, do_check_lazy_tlb, ${k.mmName(mm)}, wait=1)`);
      k.onEachCpuMask(cpu, mask, IPI_CHECK_LAZY, mm, 0, true, REASON_SHOOTDOWN);
    };
    k.flushIpiQueue = (cpu) => this.flushIpiQueue(cpu);
    k.eventOf = (cpu) => costEventOf(k, cpu);
  }

  /** Enabled-actor bits per CPU (bit 0 task, 1 irq, 2 hypervisor), valid for CPUs not in k.dirtyCpus. */
  private bits = new Uint8Array(0);

  /**
   * The enabled-actor bits of CPU `c`, computed from scratch. This is the hottest code of a
   * sweep, so the enabling rules are spelled out inline:
   * - task actor: online, not a preempted vCPU, not spinning in smp_call_function's wait or
   *   on a page-table lock another CPU holds across a flush,
   *   and either a kernel path is in progress, a switch is due (current task blocked, dead,
   *   runnable or need_resched; or idle with a non-empty runqueue), the task has ops left, or
   *   the CPU is idle with deep-idle entries left in the run (cpuidle_enter_state);
   * - irq actor: IRQs on and an IPI pending, a wakeup to deliver, or a tick preemption possible;
   * - hypervisor actor: the vCPU is preempted and its time slice is over (resume; any
   *   preempted vCPU may resume when nothing else can run), or a preemption is left and its
   *   step (Kernel.vcpuNextAt) has come.
   */
  actorBits(c: number): number {
    const k = this.k;
    // drain actor (tso): a buffered store of this CPU may become visible
    const d = k.sb.busy !== 0 && k.sb.len[c] !== 0 ? 8 : 0;
    if (k.cpuOnline[c] === 0) return (k.cpuDying[c] !== 0 ? 1 : 0) | d; // a dying CPU's idle still runs idle_task_exit
    if (k.cpuPreempted[c] !== 0) return (this.vcpuPreemption && k.step >= k.cpuResumeAt[c]! ? 4 : 0) | d;
    const t = k.cpuCurr[c]!;
    const running = k.taskState[t] === TS_RUNNING && k.cpuNeedResched[c] === 0;
    const idle = k.taskKind[t] === TASK_IDLE;
    const inPath = k.cpuSp[c]! > 0;
    const queued = k.rqLen[c]! > 0;
    let b = 0;
    const ptWait = k.cpuPtWait[c]!;
    if (
      (k.cpuWait[c] === 0 || k.cpuIpiBatch[c] !== 0) &&
      (k.cpuStopMachine[c] === 0 || !k.otherIrqsOff(c)) &&
      (ptWait < 0 || k.mmPtBusy[ptWait] === 0) &&
      (inPath || !running || (idle ? queued || k.idleBudget > 0 : k.taskPc[t]! < k.taskEnd[t]!))
    )
      b = 1;
    if (
      k.cpuIrqsOff[c] === 0 &&
      (k.ipiLen[c]! > 0 || k.wakeLen[c]! > 0 || (k.tickBudget > 0 && queued && running && (!inPath || k.cpuPreemptPoint[c] !== 0) && !idle))
    )
      b |= 2;
    if (this.vcpuPreemption && k.vcpuBudget > 0 && k.step >= k.vcpuNextAt) b |= 4;
    return b | d;
  }

  /**
   * Write the enabled actors (ascending ids) into `en`; returns how many. Only CPUs whose
   * state changed since the last call are recomputed: the acting CPU, and CPUs another CPU
   * touched (an IPI queued or acknowledged, a task enqueued, a wakeup queued), which the
   * Kernel records in `dirtyCpus`.
   */
  collectEnabled(en: Uint8Array): number {
    const k = this.k;
    const ncpu = k.ncpu;
    if (this.bits.length < ncpu) this.bits = new Uint8Array(ncpu);
    const bits = this.bits;
    let dirty = k.dirtyCpus;
    if (dirty !== 0) {
      for (let c = 0; c < ncpu && dirty !== 0; c++, dirty >>>= 1) if ((dirty & 1) !== 0) bits[c] = this.actorBits(c);
      k.dirtyCpus = 0;
    }
    let n = 0;
    for (let c = 0, base = 0; c < ncpu; c++, base += ACTORS_PER_CPU) {
      const b = bits[c]!;
      if (b === 0) continue;
      if ((b & 1) !== 0) en[n++] = base;
      if ((b & 2) !== 0) en[n++] = base + 1;
      if ((b & 4) !== 0) en[n++] = base + 2;
      if ((b & 8) !== 0) en[n++] = base + 3;
    }
    if (n === 0 && this.vcpuPreemption) {
      // Nothing else can run: time passes until the preempted vCPUs' slices are over.
      for (let c = 0; c < ncpu; c++) if (k.cpuPreempted[c] !== 0) en[n++] = c * ACTORS_PER_CPU + 2;
    }
    return n;
  }

  /**
   * The enabled actors recomputed for every CPU, ignoring `dirtyCpus`: what collectEnabled()
   * must agree with. Allocates; for tests that cross-check the incremental set, never the run loop.
   */
  enabledFromScratch(): number[] {
    const k = this.k;
    const out: number[] = [];
    for (let c = 0; c < k.ncpu; c++) {
      const b = this.actorBits(c);
      for (let kind = 0; kind < ACTORS_PER_CPU; kind++) if ((b & (1 << kind)) !== 0) out.push(c * ACTORS_PER_CPU + kind);
    }
    // nothing else can run: preempted vCPUs may resume before their slice is over
    if (out.length === 0 && this.vcpuPreemption) for (let c = 0; c < k.ncpu; c++) if (k.cpuPreempted[c] !== 0) out.push(c * ACTORS_PER_CPU + 2); // the hypervisor actor
    return out;
  }

  /**
   * The CPU's own step: continue its kernel path (or, at a live preemption point with a
   * reschedule pending, switch out with it), else schedule if needed, else the idle task's
   * deep-idle entry, else start the next op.
   */
  taskStep(c: number): void {
    const k = this.k;
    if (k.cpuSp[c]! > 0) {
      if (k.cpuPreemptPoint[c] !== 0 && k.cpuNeedResched[c] !== 0) preemptInPath(k, c);
      else this.runFrame(c);
    } else if (needsSwitch(k, c)) {
      schedule(k, c);
    } else if (k.taskKind[k.cpuCurr[c]!] === TASK_IDLE) {
      cpuidle_enter_state(k, c);
    } else {
      this.startOp(c, k.cpuCurr[c]!);
    }
  }

  irqStep(c: number): void {
    const k = this.k;
    k.inIrq = true;
    if (k.ipiLen[c]! > 0) {
      this.handleIpi(c);
    } else if (k.wakeLen[c]! > 0) {
      wakeOne(k, c);
    } else {
      tickPreempt(k, c);
    }
    k.inIrq = false;
    k.smpMb(c); // IRET is serializing: the handler's stores (and the interrupted code's) drain
  }

  /** The drain actor of `c` (memory: tso): its oldest buffered store becomes visible to the other CPUs. */
  drainStep(c: number): void {
    const k = this.k;
    if (k.tracer !== null) k.tracer.ev(c, 'store buffer', `${k.sb.describe(c, 1)} becomes visible`);
    k.sb.drainOne(c);
  }

  /** Run the first IPI queued on `c` (generic_smp_call_function_single_interrupt) and acknowledge it. */
  private handleIpi(c: number): void {
    const k = this.k;
    {
      const slot = c * IPI_QUEUE + k.ipiHead[c]!;
      const fn = k.ipiFn[slot]!;
      const mm = k.ipiMm[slot]!;
      const arg = k.ipiArg[slot]!;
      const from = k.ipiFrom[slot]!;
      const wr = k.ipiWaitReason[slot]!;
      k.ipiHead[c] = (k.ipiHead[c]! + 1) % IPI_QUEUE;
      k.ipiLen[c]! -= 1;
      const reason = wr & 255;
      k.cost[reason === REASON_FLUSH ? C_IPI_HANDLED_FLUSH : reason === REASON_SHOOTDOWN ? C_IPI_HANDLED_SHOOTDOWN : C_IPI_HANDLED_ARCH]! += 1;
      if (k.tracer !== null) k.tracer.ipiRecv(c, from, fn, mm);
      this.runIpiFn(c, fn, mm, arg, from);
      if ((wr & 256) !== 0) {
        k.cpuWait[from]! -= 1;
        k.dirtyCpus |= 1 << from;
      }
    }
  }

  /** flush_smp_call_function_queue() on a dying CPU: run every queued IPI now. */
  private flushIpiQueue(c: number): void {
    const k = this.k;
    const was = k.inIrq;
    k.inIrq = true;
    while (k.ipiLen[c]! > 0) this.handleIpi(c);
    k.inIrq = was;
  }

  hypStep(c: number): void {
    const k = this.k;
    k.mmStateTouched = true; // the hypervisor may change the vCPU's hardware state
    if (k.cpuPreempted[c] !== 0) {
      k.resumeVcpu(c);
      if (k.tracer !== null) k.tracer.ev(c, 'vcpu_resume', `hypervisor resumes vCPU${c}`);
      const outer = k.hook;
      k.hook = HOOK_IDS.vcpu_resume;
      k.arch.vcpu_resume?.(k, c);
      k.hook = outer;
    } else {
      k.smpMb(c); // the VM exit is serializing: the guest's store buffer drains
      k.consumeVcpuPreemption(c);
      k.cost[C_VCPU_PREEMPTIONS]! += 1;
      if (k.tracer !== null) k.tracer.ev(c, 'vcpu_preempt', `hypervisor preempts vCPU${c}`);
      const outer = k.hook;
      k.hook = HOOK_IDS.vcpu_preempt;
      k.arch.vcpu_preempt?.(k, c);
      k.hook = outer;
    }
  }

  private runIpiFn(cpu: number, fn: number, mm: number, arg: number, from: number): void {
    const k = this.k;
    const wasIrq = k.inIrq;
    const wasSender = k.ipiSender;
    k.inIrq = true;
    k.ipiSender = from;
    if (fn === IPI_SHOOT_LAZY) do_shoot_lazy_tlb(k, cpu, mm);
    else if (fn === IPI_CHECK_LAZY) do_check_lazy_tlb(k, cpu, mm);
    else if (fn === IPI_MEMBARRIER) ipi_mb(k, cpu);
    else arch_handle_ipi(k, cpu, fn, mm, arg);
    k.inIrq = wasIrq;
    k.ipiSender = wasSender;
  }

  /**
   * Run the top frame's next step; if it called another path, also run the callee's first step.
   * A preemption point lasts until the path's next step: the step that stops at one sets it.
   */
  private runFrame(c: number): void {
    const k = this.k;
    k.cpuPreemptPoint[c] = 0;
    let calls = k.calls;
    this.dispatch(c);
    while (k.calls !== calls && k.cpuSp[c]! > 0) {
      calls = k.calls;
      this.dispatch(c);
    }
  }

  private dispatch(c: number): void {
    const k = this.k;
    const f = k.top(c);
    k.dispatchFrame = f;
    k.dispatchStep = k.step;
    k.costEvent = -1;
    switch (k.frPath[f]) {
      case P_FINISH_SWITCH:
        stepFinishSwitch(k, c, f);
        break;
      case P_MUNMAP:
        stepMunmap(k, c, f);
        break;
      case P_FORK:
        stepFork(k, c, f);
        break;
      case P_EXEC:
        stepExec(k, c, f, this.irqsOffActivateMm);
        break;
      case P_EXIT:
        stepExit(k, c, f);
        break;
      case P_MMPUT:
        stepMmput(k, c, f);
        break;
      case P_MMDROP:
        stepMmdrop(k, c, f);
        break;
      case P_USE_MM:
        stepUseMm(k, c, f);
        break;
      case P_UNUSE_MM:
        stepUnuseMm(k, c, f);
        break;
      case P_CPU_DOWN:
        stepCpuDown(k, c, f);
        break;
      case P_CPUHP_AP:
        stepCpuhpAp(k, c, f);
        break;
      case P_IDLE_DEAD:
        stepIdleDead(k, c);
        break;
      case P_KHUGEPAGED:
        stepKhugepaged(k, c, f);
        break;
      case P_RECLAIM:
        stepReclaim(k, c, f);
        break;
      case P_MEMBARRIER:
        stepMembarrier(k, c, f);
        break;
      case P_SEQ_SWITCH:
      case P_SEQ_FLUSH:
      case P_SEQ_TLBBATCH:
        if (arch_resume(k, c, f) && k.cpuSp[c]! > 0) {
          // The sequence ended: a context switch waiting for it finishes in the same step.
          const t = k.top(c);
          if (k.frPath[t] === P_SWITCH_TAIL) {
            const prev = k.frA[t]!,
              next = k.frB[t]!;
            ret(k, c);
            context_switch_tail(k, c, prev, next);
          }
        }
        break;
      case P_SEQ_SCHEME:
        scheme_resume(k, c, f);
        break;
      case P_LAZY_GRAB_STORE:
        stepLazyGrabStore(k, c, f);
        break;
      case P_ARCH: {
        const fn = k.frA[f]!,
          mm = k.frB[f]!,
          arg = k.frC[f]!;
        ret(k, c);
        arch_continue(k, c, fn, mm, arg);
        break;
      }
      default:
        throw new ModelError(`unknown kernel path ${k.frPath[f]} on CPU${c}`);
    }
  }

  /** Start the task's next program op; paths run their first step right away. */
  private startOp(c: number, t: number): void {
    const k = this.k;
    const word = k.prog[k.taskPc[t]!]!;
    k.taskPc[t]! += 1;
    const op = word & OP_MASK;
    const arg = word >> OP_SHIFT;
    const mm = k.taskMm[t]!;
    if (k.tracer !== null && op !== OP_EXIT && op !== OP_MUNMAP) k.tracer.ev(c, OP_NAMES[op] ?? '?', k.taskName(t));
    switch (op) {
      case OP_RUN:
        // User code runs; with no VMA left (after munmap of everything) it faults: SIGSEGV -> do_exit.
        if (mm !== NO_MM && k.mmHasVmas[mm] === 0) {
          if (k.tracer !== null) k.tracer.ev(c, 'do_exit', `${k.taskName(t)}: SIGSEGV (no VMA left)`);
          k.taskPc[t] = k.taskEnd[t]!;
          call(k, c, P_EXIT, 0, 0, 0);
          break;
        }
        if (mm !== NO_MM) {
          checkTlbUse(k, c, mm, t);
          // I10 bookkeeping: user code with this CPU's switch to it still buffered (tso only).
          if (k.sb.busy !== 0 && (k.sb.pending(c, SH_RQ_CURR, c) || k.sb.pending(c, SH_TASK_MM, t))) k.cpuUnfencedUser[c] = 1;
        }
        return;
      case OP_KWORK:
        // A kthread inside kthread_use_mm() accesses the mm's user memory (copy_from_user).
        if (mm !== NO_MM && k.taskUsingMm[t] !== 0) checkTlbUse(k, c, mm, t);
        return;
      case OP_MUNMAP:
        if (mm === NO_MM) return;
        call(k, c, P_MUNMAP, mm, 0, arg);
        break;
      case OP_SLEEP:
        k.taskState[t] = TS_BLOCKED;
        k.taskCpu[t] = arg;
        return;
      case OP_YIELD:
        if (k.rqLen[c]! > 0) {
          k.taskState[t] = TS_RUNNABLE;
          k.taskCpu[t] = c;
        }
        return;
      case OP_MIGRATE:
        if (arg !== c && k.cpuActive[arg] !== 0) {
          k.taskState[t] = TS_RUNNABLE;
          k.taskCpu[t] = arg;
        }
        return;
      case OP_CLONE_THREAD:
        cloneThread(k, c, t, arg);
        return;
      case OP_FORK:
        call(k, c, P_FORK, arg, 0, 0);
        break;
      case OP_EXEC:
      case OP_KERNEL_EXECVE:
        call(k, c, P_EXEC, 0, 0, 0);
        break;
      case OP_EXIT:
        call(k, c, P_EXIT, 0, 0, 0);
        break;
      case OP_USE_MM_SETUP:
        // A driver hands the task's mm to a kthread_use_mm worker (amdkfd: the process's
        // mmu_notifier mmgrab; USB gadget ffs, vhost in kthread mode): mmgrab(); the worker starts
        // and uses the mm with mmget_not_zero() + kthread_use_mm() around each piece of work.
        mmgrab(k, c, mm);
        k.taskIoMm[arg] = mm;
        k.mmGrabHolders[mm]! += 1;
        enqueue(k, k.taskCpu[arg]!, arg);
        if (k.tracer !== null) k.tracer.ev(c, 'use_mm_setup', `mmgrab(${k.mmName(mm)}) for kthread_use_mm worker ${k.taskName(arg)}`);
        return;
      case OP_USE_MM:
        if (k.taskIoMm[t] === NO_MM || k.taskUsingMm[t] !== 0) return;
        call(k, c, P_USE_MM, k.taskIoMm[t]!, 0, 0);
        break;
      case OP_UNUSE_MM:
        if (k.taskUsingMm[t] === 0) return;
        call(k, c, P_UNUSE_MM, mm, 0, 0);
        break;
      case OP_CPU_DOWN:
        call(k, c, P_CPU_DOWN, arg, 0, 0);
        break;
      case OP_CPU_UP:
        cpuUp(k, c, arg);
        return;
      case OP_CPUHP:
        call(k, c, P_CPUHP_AP, 0, 0, 0);
        break;
      case OP_IO_URING_SETUP:
        io_uring_setup(k, c, t, mm, arg & OP_PAIR_MASK, (arg >> OP_PAIR_SHIFT) & OP_PAIR_MASK);
        return;
      case OP_IO_RING_EXIT:
        io_ring_exit_work(k, c, t);
        break; // may be the final mmdrop: __mmdrop's first step runs in this step
      case OP_MREMAP:
        if (mm === NO_MM) return;
        mremap(k, c, mm);
        return;
      case OP_KHUGEPAGED:
        call(k, c, P_KHUGEPAGED, arg, 0, 0);
        break;
      case OP_RECLAIM:
        call(k, c, P_RECLAIM, arg, 0, 0);
        break;
      case OP_TEXT_POKE:
        text_poke(k, c, t);
        return;
      case OP_SUSPEND:
        suspend_resume(k, c, t);
        return;
      case OP_MEMBARRIER_REGISTER:
        if (mm === NO_MM) return;
        membarrier_register(k, c, mm);
        // a library that registers on first use, then issues the command (next step)
        if ((arg & MEMBARRIER_AND_COMMAND) !== 0) call(k, c, P_MEMBARRIER, mm, 0, 0, false);
        return;
      case OP_MEMBARRIER:
        if (mm === NO_MM) return;
        call(k, c, P_MEMBARRIER, mm, 0, 0);
        break;
      default:
        throw new ModelError(`unknown op ${op} in program of ${k.taskName(t)}`);
    }
    if (k.cpuSp[c]! > 0) this.runFrame(c);
  }
}
