/**
 * Draws a run's tasks and programs from its PRNG into the Kernel's arrays. Everything is
 * finite: each program is a bounded list of ops ending in OP_EXIT, forks and clones only
 * start tasks the generator created, and io workers are started by an io_uring_setup op.
 */
import {
  INIT_MM,
  MUNMAP_ALL,
  OP_CPU_DOWN,
  OP_CPU_UP,
  OP_CPUHP,
  MUNMAP_FREED_TABLES,
  NO_MM,
  NO_TASK,
  OP_CLONE_THREAD,
  OP_EXEC,
  OP_EXIT,
  OP_FORK,
  OP_USE_MM_SETUP,
  OP_KERNEL_EXECVE,
  OP_KWORK,
  OP_MIGRATE,
  OP_MUNMAP,
  OP_RUN,
  OP_SHIFT,
  OP_SLEEP,
  OP_UNUSE_MM,
  OP_USE_MM,
  OP_YIELD,
  TASK_IDLE,
  TASK_KTHREAD,
  TASK_USER,
  TS_RUNNING,
  TS_UNSTARTED,
  OP_IO_URING_SETUP,
  OP_IO_RING_EXIT,
  OP_PAIR_SHIFT,
  OP_MREMAP,
  OP_MEMBARRIER_REGISTER,
  MEMBARRIER_AND_COMMAND,
  OP_TEXT_POKE,
  OP_KHUGEPAGED,
  OP_RECLAIM,
  OP_SUSPEND,
} from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { __khugepaged_enter } from '../model/khugepaged.js';
import { allocMm } from '../model/mm-alloc.js';
import { enqueue } from '../model/sched.js';
import type { Sfc32 } from '../prng/sfc32.js';
import type { WorkloadParams } from './params.js';

/** Upper bounds of a run's size for these parameters (arrays are sized once per cell). */
export function workloadBounds(p: WorkloadParams, ncpu: number): { tasks: number; mms: number; progWords: number } {
  const perProcess = p.threadsPerProcess + p.forksPerProcess;
  const hotplugTasks = (p.hotplugs ?? 0) > 0 ? 1 + p.hotplugs! : 0; // the control thread + one cpuhp/N per cycle
  const daemons = (p.khugepagedScans > 0 ? 1 : 0) + (p.reclaims > 0 ? 1 : 0) + (p.suspends > 0 ? 1 : 0); // khugepaged, kswapd, the suspend kworker
  const tasks = ncpu + p.processes * perProcess + p.kthreads + p.useMmWorkers + 2 * p.ioUring + p.usermodehelpers + hotplugTasks + daemons;
  const mms = 1 + p.processes * (1 + 2 * p.forksPerProcess) + 2 * p.usermodehelpers;
  const progWords = tasks * (p.opsPerTask + perProcess + 4 * p.useMmRounds + 8) + 2 * (p.khugepagedScans + p.reclaims + p.suspends) + 16;
  return { tasks, mms, progWords };
}

const BODY_KINDS = 10;

/**
 * Swarm testing (params.ts `swarm`): bits of WorkloadGenerator.swarmKept. Bits 0..9 are the
 * body op kinds in OpWeights order (run, munmap, munmapFreeTables, munmapAll, sleep, yield,
 * migrate, mremap, membarrier, textPoke); the feature classes follow from bit 16, in the
 * order they are drawn.
 */
export const SWARM_KIND_BITS = (1 << BODY_KINDS) - 1;
export const SWARM_THREADS = 1 << 16;
export const SWARM_FORKS = 1 << 17;
export const SWARM_EXEC = 1 << 18;
export const SWARM_KTHREADS = 1 << 19;
export const SWARM_USE_MM_WORKERS = 1 << 20;
export const SWARM_USERMODEHELPERS = 1 << 21;
export const SWARM_TICKS = 1 << 22;
export const SWARM_VCPU = 1 << 23;
export const SWARM_IO_URING = 1 << 24;
export const SWARM_DEEP_IDLES = 1 << 25;
export const SWARM_KHUGEPAGED = 1 << 26;
export const SWARM_RECLAIMS = 1 << 27;
export const SWARM_SUSPENDS = 1 << 28;
export const SWARM_FEATURE_BITS = 0x1fff0000;
export const SWARM_FEATURE_NAMES = [
  'threads',
  'forks',
  'exec',
  'kthreads',
  'useMmWorkers',
  'usermodehelpers',
  'tickPreemptions',
  'vcpuPreemptions',
  'ioUring',
  'deepIdles',
  'khugepagedScans',
  'reclaims',
  'suspends',
] as const;

export class WorkloadGenerator {
  private readonly cum = new Float64Array(BODY_KINDS);
  /** mm ids of this run's initial processes (khugepaged and kswapd work on them). */
  private readonly procMm = new Int32Array(8);
  private readonly vcpuAt = new Int32Array(64);
  private readonly vcpuFor = new Int32Array(64);
  // Swarm: the base weights, the run's cumulative weights over its kept kinds, the run's
  // parameters (one object, rewritten per run) and what emitBody draws from.
  private readonly weights = new Float64Array(BODY_KINDS);
  private readonly swarmCum = new Float64Array(BODY_KINDS);
  private readonly swarmP: WorkloadParams | null;
  private curCum: Float64Array;
  private curTotal: number;
  /** Swarm: op kinds and feature classes (SWARM_* bits) the last run kept; all bits when swarm is off. */
  swarmKept = SWARM_KIND_BITS | SWARM_FEATURE_BITS;

  constructor(private readonly p: WorkloadParams) {
    const w = p.ops;
    const ws = [w.run, w.munmap, w.munmapFreeTables, w.munmapAll, w.sleep, w.yield, w.migrate, w.mremap, w.membarrier, w.textPoke];
    let acc = 0;
    for (let i = 0; i < BODY_KINDS; i++) {
      acc += ws[i]!;
      this.cum[i] = acc;
      this.weights[i] = ws[i]!;
    }
    this.curCum = this.cum;
    this.curTotal = acc;
    this.swarmP = p.swarm === undefined ? null : { ...p };
  }

  /**
   * Fill `k` with the run's tasks and programs. Idle tasks are ids 0..ncpu-1 and run first;
   * initial processes get their mm here (as if created before the run). Returns the
   * estimated step count (PCT needs it).
   */
  generate(k: Kernel, rng: Sfc32): number {
    const p = this.swarmP === null ? this.p : this.drawSwarm(rng);
    const ncpu = k.ncpu;
    k.progLen = 0;
    k.ntasks = 0;
    for (let c = 0; c < ncpu; c++) {
      const t = this.newTask(k, TASK_IDLE, c);
      k.taskState[t] = TS_RUNNING;
      k.taskOnCpu[t] = 1;
      k.taskActiveMm[t] = INIT_MM; // init_task / secondary idle: active_mm = &init_mm
      k.cpuCurr[c] = t;
    }
    let ops = 0;
    for (let proc = 0; proc < p.processes; proc++) {
      const leader = this.newTask(k, TASK_USER, rng.int(ncpu));
      const mm = allocMm(k, k.taskCpu[leader]!);
      this.procMm[proc] = mm;
      k.taskMm[leader] = mm;
      k.taskActiveMm[leader] = mm;
      const threads = rng.range(1, p.threadsPerProcess) - 1;
      const forks = rng.range(0, p.forksPerProcess);
      // Create the children first so their ids are known to the leader's program.
      const firstChild = k.ntasks;
      for (let i = 0; i < threads; i++) this.newTask(k, TASK_USER, rng.int(ncpu));
      for (let i = 0; i < forks; i++) this.newTask(k, TASK_USER, rng.int(ncpu));
      // kthread_use_mm workers are spread over the processes round-robin: process i gets workers i, i+P, ...
      const workers = Math.floor(p.useMmWorkers / p.processes) + (proc < p.useMmWorkers % p.processes ? 1 : 0);
      const firstWorker = k.ntasks;
      for (let i = 0; i < workers; i++) this.newTask(k, TASK_KTHREAD, rng.int(ncpu));
      // io_uring: the first `ioUring` processes get a ring: an io-wq thread and the ring's exit kworker.
      const ring = proc < p.ioUring;
      const iowq = ring ? this.newTask(k, TASK_USER, rng.int(ncpu)) : NO_TASK;
      const ringExit = ring ? this.newTask(k, TASK_KTHREAD, rng.int(ncpu)) : NO_TASK;
      // Leader program: clones, the kthread_use_mm worker setup, the io_uring setup and forks
      // interleaved with body ops. A munmap of everything ends it (nothing can run after it);
      // the setups still due come before it.
      k.taskPc[leader] = k.progLen;
      const specials = threads + forks + workers + (ring ? 1 : 0);
      let body = rng.range(1, p.opsPerTask);
      let s = 0;
      let ended = false;
      const special = (): void => {
        if (s < threads) this.emit(k, OP_CLONE_THREAD, firstChild + s);
        else if (s < threads + forks) this.emit(k, OP_FORK, firstChild + s);
        else if (s < threads + forks + workers) this.emit(k, OP_USE_MM_SETUP, firstWorker + s - threads - forks);
        else this.emit(k, OP_IO_URING_SETUP, iowq | (ringExit << OP_PAIR_SHIFT));
        s++;
        ops++;
      };
      while (!ended && (s < specials || body > 0)) {
        if (s < specials && (body === 0 || rng.chance(0.5))) {
          special();
        } else {
          ended = this.emitBody(k, rng, true);
          body--;
          ops++;
        }
      }
      if (ended && s < specials) {
        const unmapAll = k.prog[--k.progLen]!;
        while (s < specials) special();
        k.prog[k.progLen++] = unmapAll;
      }
      this.emit(k, OP_EXIT, 0);
      k.taskEnd[leader] = k.progLen;
      enqueue(k, k.taskCpu[leader]!, leader);
      // Threads and forked children.
      for (let i = 0; i < threads + forks; i++) {
        const t = firstChild + i;
        k.taskPc[t] = k.progLen;
        if (i >= threads && rng.chance(p.execRate)) this.emit(k, OP_EXEC, 0);
        ops += this.emitBodies(k, rng, rng.range(1, p.opsPerTask), true);
        this.emit(k, OP_EXIT, 0);
        k.taskEnd[t] = k.progLen;
      }
      for (let i = 0; i < workers; i++) ops += this.useMmWorkerProgram(k, rng, firstWorker + i);
      if (ring) {
        // The io-wq worker (PF_IO_WORKER, CLONE_VM): handles requests, never returns to user space.
        k.taskPc[iowq] = k.progLen;
        const n = rng.range(1, 3);
        for (let i = 0; i < n; i++) this.emit(k, i % 2 === 0 ? OP_KWORK : OP_SLEEP, rng.int(ncpu));
        this.emit(k, OP_EXIT, 0);
        k.taskEnd[iowq] = k.progLen;
        k.taskPc[ringExit] = k.progLen;
        this.emit(k, OP_IO_RING_EXIT, 0);
        this.emit(k, OP_EXIT, 0);
        k.taskEnd[ringExit] = k.progLen;
        ops += n + 2;
      }
    }
    for (let i = 0; i < p.kthreads; i++) {
      const t = this.newTask(k, TASK_KTHREAD, rng.int(ncpu));
      k.taskPc[t] = k.progLen;
      ops += this.emitBodies(k, rng, rng.range(1, p.opsPerTask), false);
      this.emit(k, OP_EXIT, 0);
      k.taskEnd[t] = k.progLen;
      enqueue(k, k.taskCpu[t]!, t);
    }
    for (let i = 0; i < p.usermodehelpers; i++) {
      // call_usermodehelper: a kernel thread that kernel_execve()s into a user program.
      const t = this.newTask(k, TASK_KTHREAD, rng.int(ncpu));
      k.taskPc[t] = k.progLen;
      this.emit(k, OP_KWORK, 0);
      this.emit(k, OP_KERNEL_EXECVE, 0);
      ops += 2 + this.emitBodies(k, rng, rng.range(1, p.opsPerTask), true);
      this.emit(k, OP_EXIT, 0);
      k.taskEnd[t] = k.progLen;
      enqueue(k, k.taskCpu[t]!, t);
    }
    if (p.khugepagedScans > 0) {
      // khugepaged: every initial process's mm_slot holds an mmgrab (__khugepaged_enter); the
      // scans go round-robin over them, with sleeps (khugepaged_wait_work) between.
      for (let proc = 0; proc < p.processes; proc++) __khugepaged_enter(k, this.procMm[proc]!);
      const first = rng.int(p.processes);
      ops += this.daemon(k, rng, p.khugepagedScans, (i) => this.emit(k, OP_KHUGEPAGED, this.procMm[(first + i) % p.processes]!));
    }
    if (p.reclaims > 0) ops += this.daemon(k, rng, p.reclaims, () => this.emit(k, OP_RECLAIM, this.procMm[rng.int(p.processes)]!));
    if (p.suspends > 0) ops += this.daemon(k, rng, p.suspends, () => this.emit(k, OP_SUSPEND, 0));
    if ((p.hotplugs ?? 0) > 0 && ncpu >= 2) ops += this.hotplugPrograms(k, rng, p.hotplugs!);
    k.tickBudget = p.tickPreemptions;
    k.idleBudget = p.deepIdles;
    const est = 5 * (ops + k.ntasks) + 4 * ncpu + p.deepIdles;
    // vCPU preemptions become possible at steps drawn uniformly over the estimated run (sorted).
    const at = this.vcpuAt;
    const n = p.vcpuPreemptions;
    for (let i = 0; i < n; i++) {
      const v = rng.int(est);
      let j = i;
      for (; j > 0 && at[j - 1]! > v; j--) at[j] = at[j - 1]!;
      at[j] = v;
    }
    const lasts = this.vcpuFor;
    for (let i = 0; i < n; i++) lasts[i] = rng.int(p.vcpuPreemptSteps + 1);
    k.setVcpuPreemptions(n, at, lasts);
    return est;
  }

  /** A kernel thread doing `n` pieces of work (`emitOne(i)`), each followed by a sleep; returns the ops emitted. */
  private daemon(k: Kernel, rng: Sfc32, n: number, emitOne: (i: number) => void): number {
    const t = this.newTask(k, TASK_KTHREAD, rng.int(k.ncpu));
    k.taskPc[t] = k.progLen;
    for (let i = 0; i < n; i++) {
      emitOne(i);
      this.emit(k, OP_SLEEP, rng.int(k.ncpu));
    }
    this.emit(k, OP_EXIT, 0);
    k.taskEnd[t] = k.progLen;
    enqueue(k, k.taskCpu[t]!, t);
    return 2 * n;
  }

  private useMmWorkerProgram(k: Kernel, rng: Sfc32, t: number): number {
    k.taskPc[t] = k.progLen;
    for (let r = 0; r < this.p.useMmRounds; r++) {
      this.emit(k, OP_USE_MM, 0);
      this.emit(k, OP_KWORK, 0);
      this.emit(k, OP_UNUSE_MM, 0);
      this.emit(k, OP_SLEEP, rng.int(k.ncpu));
    }
    this.emit(k, OP_EXIT, 0);
    k.taskEnd[t] = k.progLen;
    return 4 * this.p.useMmRounds;
  }

  /**
   * CPU hotplug: a control thread pinned to one CPU takes another CPU down and back up
   * `cycles` times (echo 0/1 > /sys/devices/system/cpu/cpuN/online). Each cycle has its own
   * cpuhp/N thread on the target CPU, started by the cpu_down op. Returns the ops emitted.
   */
  private hotplugPrograms(k: Kernel, rng: Sfc32, cycles: number): number {
    const ncpu = k.ncpu;
    const bp = rng.int(ncpu);
    const target = (bp + 1 + rng.int(ncpu - 1)) % ncpu;
    const ctl = this.newTask(k, TASK_KTHREAD, bp);
    const first = k.ntasks;
    for (let i = 0; i < cycles; i++) {
      const hp = this.newTask(k, TASK_KTHREAD, target);
      k.taskPc[hp] = k.progLen;
      this.emit(k, OP_CPUHP, 0);
      k.taskEnd[hp] = k.progLen;
    }
    k.taskPc[ctl] = k.progLen;
    for (let i = 0; i < cycles; i++) {
      this.emit(k, OP_KWORK, 0);
      this.emit(k, OP_CPU_DOWN, first + i);
      this.emit(k, OP_KWORK, 0);
      this.emit(k, OP_CPU_UP, target);
    }
    this.emit(k, OP_EXIT, 0);
    k.taskEnd[ctl] = k.progLen;
    enqueue(k, bp, ctl);
    return 5 * cycles;
  }

  private newTask(k: Kernel, kind: number, cpu: number): number {
    const t = k.ntasks++;
    k.taskKind[t] = kind;
    k.taskState[t] = TS_UNSTARTED;
    k.taskMm[t] = NO_MM;
    k.taskActiveMm[t] = NO_MM;
    k.taskCpu[t] = cpu;
    k.taskOnCpu[t] = 0;
    k.taskPc[t] = 0;
    k.taskEnd[t] = 0;
    k.taskIoMm[t] = NO_MM;
    k.taskUsingMm[t] = 0;
    k.taskRingExit[t] = NO_TASK;
    return t;
  }

  private emit(k: Kernel, op: number, arg: number): void {
    k.prog[k.progLen++] = op | (arg << OP_SHIFT);
  }

  /** Up to `n` body ops; fewer when one of them ends the task (munmap of everything). Returns the ops emitted. */
  private emitBodies(k: Kernel, rng: Sfc32, n: number, user: boolean): number {
    for (let i = 0; i < n; i++) if (this.emitBody(k, rng, user)) return i + 1;
    return n;
  }

  /** One body op drawn by weight; true when the task can do nothing after it (munmap of everything: it exits). */
  private emitBody(k: Kernel, rng: Sfc32, user: boolean): boolean {
    const x = (rng.nextU32() / 4294967296) * this.curTotal;
    let kind = 0;
    while (kind < BODY_KINDS - 1 && x >= this.curCum[kind]!) kind++;
    const ncpu = k.ncpu;
    switch (kind) {
      case 0:
        this.emit(k, user ? OP_RUN : OP_KWORK, 0);
        return false;
      case 1:
        this.emit(k, user ? OP_MUNMAP : OP_KWORK, 0);
        return false;
      case 2:
        this.emit(k, user ? OP_MUNMAP : OP_KWORK, MUNMAP_FREED_TABLES);
        return false;
      case 3:
        this.emit(k, user ? OP_MUNMAP : OP_KWORK, MUNMAP_ALL);
        return user;
      case 4:
        this.emit(k, OP_SLEEP, rng.int(ncpu));
        return false;
      case 5:
        this.emit(k, OP_YIELD, 0);
        return false;
      case 6:
        this.emit(k, OP_MIGRATE, rng.int(ncpu));
        return false;
      case 7:
        this.emit(k, user ? OP_MREMAP : OP_KWORK, 0);
        return false;
      case 8:
        this.emit(k, user ? OP_MEMBARRIER_REGISTER : OP_KWORK, user ? MEMBARRIER_AND_COMMAND : 0);
        return false;
      default:
        this.emit(k, OP_TEXT_POKE, 0);
        return false;
    }
  }

  /**
   * Swarm testing: draw the run's kept op kinds and feature classes (params.ts `swarm`) and
   * return the run's parameters with the dropped classes set to their "none" values.
   */
  private drawSwarm(rng: Sfc32): WorkloadParams {
    const base = this.p;
    const keep = base.swarm!;
    const w = this.weights;
    let kinds = 0;
    let positive = 0;
    for (let i = 0; i < BODY_KINDS; i++) {
      if (w[i]! > 0) {
        positive++;
        if (rng.chance(keep)) kinds |= 1 << i;
      }
    }
    if (kinds === 0) {
      let pick = rng.int(positive); // at least one kind: one of the positive ones, uniformly
      for (let i = 0; i < BODY_KINDS && kinds === 0; i++) if (w[i]! > 0 && pick-- === 0) kinds = 1 << i;
    }
    let acc = 0;
    for (let i = 0; i < BODY_KINDS; i++) {
      if ((kinds & (1 << i)) !== 0) acc += w[i]!;
      this.swarmCum[i] = acc;
    }
    this.curCum = this.swarmCum;
    this.curTotal = acc;
    this.swarmKept = kinds;
    const q = this.swarmP!;
    q.threadsPerProcess = this.keepFeature(rng, keep, base.threadsPerProcess > 1, SWARM_THREADS) ? base.threadsPerProcess : 1;
    q.forksPerProcess = this.keepFeature(rng, keep, base.forksPerProcess > 0, SWARM_FORKS) ? base.forksPerProcess : 0;
    q.execRate = this.keepFeature(rng, keep, base.execRate > 0, SWARM_EXEC) ? base.execRate : 0;
    q.kthreads = this.keepFeature(rng, keep, base.kthreads > 0, SWARM_KTHREADS) ? base.kthreads : 0;
    q.useMmWorkers = this.keepFeature(rng, keep, base.useMmWorkers > 0, SWARM_USE_MM_WORKERS) ? base.useMmWorkers : 0;
    q.usermodehelpers = this.keepFeature(rng, keep, base.usermodehelpers > 0, SWARM_USERMODEHELPERS) ? base.usermodehelpers : 0;
    q.tickPreemptions = this.keepFeature(rng, keep, base.tickPreemptions > 0, SWARM_TICKS) ? base.tickPreemptions : 0;
    q.vcpuPreemptions = this.keepFeature(rng, keep, base.vcpuPreemptions > 0, SWARM_VCPU) ? base.vcpuPreemptions : 0;
    q.ioUring = this.keepFeature(rng, keep, base.ioUring > 0, SWARM_IO_URING) ? base.ioUring : 0;
    q.deepIdles = this.keepFeature(rng, keep, base.deepIdles > 0, SWARM_DEEP_IDLES) ? base.deepIdles : 0;
    q.khugepagedScans = this.keepFeature(rng, keep, base.khugepagedScans > 0, SWARM_KHUGEPAGED) ? base.khugepagedScans : 0;
    q.reclaims = this.keepFeature(rng, keep, base.reclaims > 0, SWARM_RECLAIMS) ? base.reclaims : 0;
    q.suspends = this.keepFeature(rng, keep, base.suspends > 0, SWARM_SUSPENDS) ? base.suspends : 0;
    return q;
  }

  /** A feature class that is on in the parameters is kept with probability `keep` (one draw); one that is off draws nothing. */
  private keepFeature(rng: Sfc32, keep: number, on: boolean, bit: number): boolean {
    if (!on || !rng.chance(keep)) return false;
    this.swarmKept |= bit;
    return true;
  }
}
