/**
 * Draws a run's tasks and programs from its PRNG into the Kernel's arrays. Everything is
 * finite: each program is a bounded list of ops ending in OP_EXIT, forks and clones only
 * start tasks the generator created, and io workers are started by an io_uring_setup op.
 */
import {
  INIT_MM, MUNMAP_ALL, MUNMAP_FREED_TABLES, NO_MM, OP_CLONE_THREAD, OP_EXEC, OP_EXIT, OP_FORK, OP_IOURING_SETUP,
  OP_KERNEL_EXECVE, OP_KWORK, OP_MIGRATE, OP_MUNMAP, OP_RUN, OP_SHIFT, OP_SLEEP, OP_UNUSE_MM, OP_USE_MM, OP_YIELD,
  TASK_IDLE, TASK_KTHREAD, TASK_USER, TS_RUNNING, TS_UNSTARTED,
} from '../model/constants.js';
import type { Kernel } from '../model/kernel.js';
import { allocMm } from '../model/mm-alloc.js';
import { enqueue } from '../model/sched.js';
import type { Sfc32 } from '../prng/sfc32.js';
import type { WorkloadParams } from './params.js';

/** Upper bounds of a run's size for these parameters (arrays are sized once per cell). */
export function workloadBounds(p: WorkloadParams, ncpu: number): { tasks: number; mms: number; progWords: number } {
  const perProcess = p.threadsPerProcess + p.forksPerProcess;
  const tasks = ncpu + p.processes * perProcess + p.kthreads + p.ioWorkers + p.usermodehelpers;
  const mms = 1 + p.processes * (1 + 2 * p.forksPerProcess) + 2 * p.usermodehelpers;
  const progWords = tasks * (p.opsPerTask + perProcess + 4 * p.useMmRounds + 8) + 16;
  return { tasks, mms, progWords };
}

const BODY_KINDS = 7;

export class WorkloadGenerator {
  private readonly cum = new Float64Array(BODY_KINDS);
  private readonly vcpuAt = new Int32Array(64);
  private readonly vcpuFor = new Int32Array(64);
  private total = 0;

  constructor(private readonly p: WorkloadParams) {
    const w = p.ops;
    const ws = [w.run, w.munmap, w.munmapFreeTables, w.munmapAll, w.sleep, w.yield, w.migrate];
    let acc = 0;
    for (let i = 0; i < BODY_KINDS; i++) {
      acc += ws[i]!;
      this.cum[i] = acc;
    }
    this.total = acc;
  }

  /**
   * Fill `k` with the run's tasks and programs. Idle tasks are ids 0..ncpu-1 and run first;
   * initial processes get their mm here (as if created before the run). Returns the
   * estimated step count (PCT needs it).
   */
  generate(k: Kernel, rng: Sfc32): number {
    const p = this.p;
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
      const mm = allocMm(k, 0);
      k.taskMm[leader] = mm;
      k.taskActiveMm[leader] = mm;
      const threads = rng.range(1, p.threadsPerProcess) - 1;
      const forks = rng.range(0, p.forksPerProcess);
      // Create the children first so their ids are known to the leader's program.
      const firstChild = k.ntasks;
      for (let i = 0; i < threads; i++) this.newTask(k, TASK_USER, rng.int(ncpu));
      for (let i = 0; i < forks; i++) this.newTask(k, TASK_USER, rng.int(ncpu));
      // io workers are spread over the processes round-robin: process i gets workers i, i+P, ...
      const workers = Math.floor(p.ioWorkers / p.processes) + (proc < p.ioWorkers % p.processes ? 1 : 0);
      const firstWorker = k.ntasks;
      for (let i = 0; i < workers; i++) this.newTask(k, TASK_KTHREAD, rng.int(ncpu));
      // Leader program: clones, the io_uring setup and forks interleaved with body ops.
      k.taskPc[leader] = k.progLen;
      const specials = threads + forks + workers;
      let body = rng.range(1, p.opsPerTask);
      let s = 0;
      while (s < specials || body > 0) {
        if (s < specials && (body === 0 || rng.chance(0.5))) {
          if (s < threads) this.emit(k, OP_CLONE_THREAD, firstChild + s);
          else if (s < threads + forks) this.emit(k, OP_FORK, firstChild + s);
          else this.emit(k, OP_IOURING_SETUP, firstWorker + s - threads - forks);
          s++;
        } else {
          this.emitBody(k, rng, true);
          body--;
        }
        ops++;
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
      for (let i = 0; i < workers; i++) ops += this.ioWorkerProgram(k, rng, firstWorker + i);
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
    k.tickBudget = p.tickPreemptions;
    const est = 5 * (ops + k.ntasks) + 4 * ncpu;
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

  private ioWorkerProgram(k: Kernel, rng: Sfc32, t: number): number {
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
    return t;
  }

  private emit(k: Kernel, op: number, arg: number): void {
    k.prog[k.progLen++] = op | (arg << OP_SHIFT);
  }

  private emitBodies(k: Kernel, rng: Sfc32, n: number, user: boolean): number {
    for (let i = 0; i < n; i++) this.emitBody(k, rng, user);
    return n;
  }

  private emitBody(k: Kernel, rng: Sfc32, user: boolean): void {
    const x = (rng.nextU32() / 4294967296) * this.total;
    let kind = 0;
    while (kind < BODY_KINDS - 1 && x >= this.cum[kind]!) kind++;
    const ncpu = k.ncpu;
    switch (kind) {
      case 0: this.emit(k, user ? OP_RUN : OP_KWORK, 0); return;
      case 1: this.emit(k, user ? OP_MUNMAP : OP_KWORK, 0); return;
      case 2: this.emit(k, user ? OP_MUNMAP : OP_KWORK, MUNMAP_FREED_TABLES); return;
      case 3: this.emit(k, user ? OP_MUNMAP : OP_KWORK, MUNMAP_ALL); return;
      case 4: this.emit(k, OP_SLEEP, rng.int(ncpu)); return;
      case 5: this.emit(k, OP_YIELD, 0); return;
      default: this.emit(k, OP_MIGRATE, rng.int(ncpu));
    }
  }
}
