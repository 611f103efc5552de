/**
 * Explicit workloads: tasks and programs written out by hand (directed scenarios, the
 * testkit DSL) instead of drawn from a profile. Tasks sharing an `mm` name are threads of
 * one process whose mm exists before the run; every task starts on its CPU's runqueue (in
 * the order given) unless it is `unstarted` (started later by a clone/fork/io_uring_setup op).
 *
 * Program ops are written as kernel-ish words:
 *   run | kwork | yield | exec | kernel_execve | exit | kthread_use_mm | kthread_unuse_mm
 *   munmap | munmap freed-tables | munmap all | mremap | text_poke
 *   membarrier_register | membarrier | membarrier_register_and_command (register, then the command, in one op)
 *   sleep <wake-cpu> | migrate <cpu> | clone <task> | fork <task> | use_mm_setup <worker>
 *   io_uring_setup <io-wq thread> <exit kworker> ; io_ring_exit (the program of that kworker)
 *   khugepaged <mm> | reclaim <mm> | suspend (kernel threads)
 *   cpu_down <cpuhp task> | cpu_up <cpu> (a control kthread) ; cpuhp (the program of a cpuhp/N thread)
 * Every mm named by a khugepaged op gets an mm_slot (an mmgrab) when the run starts.
 * The strings stay the serialisation; ops.ts gives them a structured form (parseOp, formatOp)
 * and run/decompile.ts reads a run's bytecode back into it.
 */
import { z } from 'zod';
import {
  MEMBARRIER_AND_COMMAND,
  MUNMAP_ALL,
  MUNMAP_FREED_TABLES,
  NO_MM,
  NO_TASK,
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
  INIT_MM,
  OP_IO_URING_SETUP,
  OP_IO_RING_EXIT,
  OP_PAIR_SHIFT,
  OP_MREMAP,
  OP_MEMBARRIER_REGISTER,
  OP_MEMBARRIER,
  OP_TEXT_POKE,
  OP_KHUGEPAGED,
  OP_RECLAIM,
  OP_SUSPEND,
} from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import { __khugepaged_enter } from '../model/khugepaged.js';
import { allocMm } from '../model/mm-alloc.js';
import { mmget } from '../model/refs.js';
import { enqueue } from '../model/sched.js';

/** Task and mm names: a letter or "_", then letters, digits, "_" and ".". */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const Name = z.string().regex(NAME_PATTERN, 'names are letters, digits, "_" and "."');

export const ExplicitTask = z
  .object({
    name: Name,
    kind: z.enum(['user', 'kthread']),
    cpu: z.number().int().min(0),
    /** user tasks: the mm (process) they belong to; tasks with the same name share it. */
    mm: Name.optional(),
    /** Started later by another task's clone/fork/use_mm_setup/io_uring_setup op (or queued by its owner's exit: io_ring_exit). */
    unstarted: z.boolean().default(false),
    program: z.array(z.string()).default([]),
  })
  .strict();

export const ExplicitWorkload = z
  .object({
    tasks: z.array(ExplicitTask).min(1),
    tickPreemptions: z.number().int().min(0).default(0),
    vcpuPreemptions: z.number().int().min(0).max(64).default(0),
    /** Deep C-state entries idle CPUs may make (cpuidle_enter_state). */
    deepIdles: z.number().int().min(0).max(64).default(0),
  })
  .strict();
export type ExplicitWorkload = z.infer<typeof ExplicitWorkload>;
export type ExplicitWorkloadInput = z.input<typeof ExplicitWorkload>;

export class WorkloadError extends Error {
  override name = 'WorkloadError';
}

interface Compiled {
  readonly words: Int32Array[];
  readonly mmOf: (string | null)[];
  /** Op words whose argument is an mm, resolved when the mms exist: [task index, word index, mm name]. */
  readonly mmArgs: [number, number, string][];
}

/** Loads an explicit workload into a Kernel; also resolves task and mm names for scenarios. */
export class ExplicitWorkloadLoader {
  readonly spec: ExplicitWorkload;
  private readonly compiled: Compiled;
  /** mm name -> mm id after load(). */
  readonly mmIds = new Map<string, number>();

  constructor(
    input: ExplicitWorkloadInput,
    readonly ncpu: number,
  ) {
    this.spec = ExplicitWorkload.parse(input);
    this.compiled = this.compile();
  }

  get taskCount(): number {
    return this.ncpu + this.spec.tasks.length;
  }

  get mmBound(): number {
    let forks = 0;
    for (const t of this.spec.tasks) for (const op of t.program) if (/^(fork|exec|kernel_execve)\b/.test(op.trim())) forks++;
    return 1 + new Set(this.spec.tasks.map((t) => t.mm).filter(Boolean)).size + forks;
  }

  get progWords(): number {
    return this.compiled.words.reduce((n, w) => n + w.length, 0) + 1;
  }

  /** Task id of a named task (idle tasks are 0..ncpu-1; named tasks follow in order). */
  taskId(name: string): number {
    const i = this.spec.tasks.findIndex((t) => t.name === name);
    if (i < 0) throw new WorkloadError(`no task named "${name}" (tasks: ${this.spec.tasks.map((t) => t.name).join(', ')})`);
    return this.ncpu + i;
  }

  private compile(): Compiled {
    const names = new Map<string, number>();
    this.spec.tasks.forEach((t, i) => {
      if (names.has(t.name)) throw new WorkloadError(`task "${t.name}" is defined twice`);
      names.set(t.name, i);
      if (t.cpu >= this.ncpu) throw new WorkloadError(`task "${t.name}": cpu ${t.cpu} does not exist (CPUs 0..${this.ncpu - 1})`);
      if (t.kind === 'user' && t.mm === undefined && !t.unstarted)
        throw new WorkloadError(`task "${t.name}": a user task needs an mm (or unstarted: true for a fork/clone child)`);
      if (t.kind === 'kthread' && t.mm !== undefined) throw new WorkloadError(`task "${t.name}": a kernel thread has no mm`);
    });
    const started = new Map<string, string>();
    const taskRef = (owner: string, word: string, ref: string | undefined, kind: 'user' | 'kthread'): number => {
      if (ref === undefined || !names.has(ref)) throw new WorkloadError(`task "${owner}": "${word}" names no task`);
      const target = this.spec.tasks[names.get(ref)!]!;
      // clone/fork/io_uring_setup start a task: it must be waiting to be started, and only once.
      if (!target.unstarted) throw new WorkloadError(`task "${owner}": "${word}" starts "${ref}", which is not marked unstarted: true`);
      if (target.kind !== kind) throw new WorkloadError(`task "${owner}": "${word}" needs a ${kind} task, "${ref}" is a ${target.kind}`);
      const by = started.get(ref);
      if (by !== undefined) throw new WorkloadError(`task "${owner}": "${word}": "${ref}" is already started by "${by}"`);
      started.set(ref, owner);
      return this.ncpu + names.get(ref)!;
    };
    const startedMms = new Set(this.spec.tasks.filter((t) => t.mm !== undefined && !t.unstarted).map((t) => t.mm!));
    const mmArgs: [number, number, string][] = [];
    const mmRef = (owner: string, word: string, ref: string | undefined, task: number, at: number): number => {
      if (ref === undefined || !startedMms.has(ref)) {
        throw new WorkloadError(
          `task "${owner}": "${word}" needs the name of an mm that exists when the run starts (mms: ${[...startedMms].join(', ') || 'none'})`,
        );
      }
      mmArgs.push([task, at, ref]);
      return 0; // resolved in generate()
    };
    const cpuRef = (owner: string, word: string, ref: string | undefined): number => {
      const c = Number(ref);
      if (!Number.isInteger(c) || c < 0 || c >= this.ncpu) throw new WorkloadError(`task "${owner}": "${word}" needs a CPU in 0..${this.ncpu - 1}`);
      return c;
    };
    const words = this.spec.tasks.map((t, ti) => {
      const out: number[] = [];
      let hasMm = t.kind === 'user'; // kernel threads get one by kernel_execve
      let using = false;
      const ops = t.program.length > 0 && t.program[t.program.length - 1]!.trim() === 'exit' ? t.program : [...t.program, 'exit'];
      for (const raw of ops) {
        const word = raw.trim();
        const [op, arg, arg2] = word.split(/\s+/);
        if (
          (op === 'clone' ||
            op === 'fork' ||
            op === 'use_mm_setup' ||
            op === 'io_uring_setup' ||
            op === 'exec' ||
            op === 'mremap' ||
            op === 'membarrier_register' ||
            op === 'membarrier_register_and_command' ||
            op === 'membarrier') &&
          !hasMm
        ) {
          throw new WorkloadError(`task "${t.name}": "${word}" needs a task with an mm (a user task, or a kernel thread after kernel_execve)`);
        }
        if (op === 'kthread_use_mm' || op === 'kthread_unuse_mm') {
          if (t.kind !== 'kthread' || hasMm)
            throw new WorkloadError(`task "${t.name}": "${word}" is for kernel threads (PF_KTHREAD without an mm of their own)`);
          using = op === 'kthread_use_mm';
        }
        if (op === 'kernel_execve') {
          if (t.kind !== 'kthread' || hasMm) throw new WorkloadError(`task "${t.name}": "${word}" is for kernel threads without an mm`);
          if (using) throw new WorkloadError(`task "${t.name}": "${word}" inside kthread_use_mm`);
          hasMm = true;
        }
        if (op === 'exit' && using) throw new WorkloadError(`task "${t.name}": exits inside kthread_use_mm (add kthread_unuse_mm before exit)`);
        switch (op) {
          case 'run':
            out.push(OP_RUN);
            break;
          case 'kwork':
            out.push(OP_KWORK);
            break;
          case 'yield':
            out.push(OP_YIELD);
            break;
          case 'exec':
            out.push(OP_EXEC);
            break;
          case 'kernel_execve':
            out.push(OP_KERNEL_EXECVE);
            break;
          case 'exit':
            out.push(OP_EXIT);
            break;
          case 'kthread_use_mm':
            out.push(OP_USE_MM);
            break;
          case 'kthread_unuse_mm':
            out.push(OP_UNUSE_MM);
            break;
          case 'munmap':
            if (arg === undefined) out.push(OP_MUNMAP);
            else if (arg === 'freed-tables') out.push(OP_MUNMAP | (MUNMAP_FREED_TABLES << OP_SHIFT));
            else if (arg === 'all') out.push(OP_MUNMAP | (MUNMAP_ALL << OP_SHIFT));
            else throw new WorkloadError(`task "${t.name}": "${word}": munmap takes nothing, "freed-tables" or "all"`);
            break;
          case 'sleep':
            out.push(OP_SLEEP | (cpuRef(t.name, word, arg ?? String(t.cpu)) << OP_SHIFT));
            break;
          case 'migrate':
            out.push(OP_MIGRATE | (cpuRef(t.name, word, arg) << OP_SHIFT));
            break;
          case 'clone':
            out.push(OP_CLONE_THREAD | (taskRef(t.name, word, arg, 'user') << OP_SHIFT));
            break;
          case 'fork':
            out.push(OP_FORK | (taskRef(t.name, word, arg, 'user') << OP_SHIFT));
            break;
          case 'use_mm_setup':
            out.push(OP_USE_MM_SETUP | (taskRef(t.name, word, arg, 'kthread') << OP_SHIFT));
            break;
          case 'io_uring_setup': {
            // io_uring_setup <io-wq thread (user, unstarted)> <exit kworker (kthread, unstarted, program: [io_ring_exit])>
            const iowq = taskRef(t.name, word, arg, 'user');
            const exitWorker = taskRef(t.name, word, arg2, 'kthread');
            const ew = this.spec.tasks[exitWorker - this.ncpu]!;
            if (ew.program.length === 0 || ew.program[0]!.trim() !== 'io_ring_exit') {
              throw new WorkloadError(`task "${t.name}": "${word}": "${arg2}" must be the ring's exit kworker (program starting with io_ring_exit)`);
            }
            out.push(OP_IO_URING_SETUP | ((iowq | (exitWorker << OP_PAIR_SHIFT)) << OP_SHIFT));
            break;
          }
          case 'io_ring_exit':
            if (t.kind !== 'kthread' || !t.unstarted)
              throw new WorkloadError(`task "${t.name}": "io_ring_exit" is the program of an unstarted kworker named by io_uring_setup`);
            out.push(OP_IO_RING_EXIT);
            break;
          case 'mremap':
            out.push(OP_MREMAP);
            break;
          case 'membarrier_register':
            out.push(OP_MEMBARRIER_REGISTER);
            break;
          // membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), then membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): a generated membarrier op
          case 'membarrier_register_and_command':
            out.push(OP_MEMBARRIER_REGISTER | (MEMBARRIER_AND_COMMAND << OP_SHIFT));
            break;
          case 'membarrier':
            out.push(OP_MEMBARRIER);
            break;
          case 'text_poke':
            out.push(OP_TEXT_POKE);
            break;
          case 'suspend':
            if (t.kind !== 'kthread') throw new WorkloadError(`task "${t.name}": "suspend" is run by a kworker (a kernel thread)`);
            out.push(OP_SUSPEND);
            break;
          case 'khugepaged':
          case 'reclaim':
            if (t.kind !== 'kthread' || hasMm) throw new WorkloadError(`task "${t.name}": "${word}" is run by a kernel thread (khugepaged, kswapd)`);
            out.push((op === 'khugepaged' ? OP_KHUGEPAGED : OP_RECLAIM) | (mmRef(t.name, word, arg, ti, out.length) << OP_SHIFT));
            break;
          case 'cpu_down': {
            // starts the cpuhp/N kthread named by arg; it must sit on the CPU to take down and run "cpuhp"
            if (t.kind !== 'kthread') throw new WorkloadError(`task "${t.name}": "${word}" is for the control kernel thread`);
            const hp = taskRef(t.name, word, arg, 'kthread');
            const hpSpec = this.spec.tasks[hp - this.ncpu]!;
            if (hpSpec.program.length !== 1 || hpSpec.program[0]!.trim() !== 'cpuhp') {
              throw new WorkloadError(`task "${t.name}": "${word}": "${arg}" must be a cpuhp thread (program: [cpuhp])`);
            }
            if (hpSpec.cpu === t.cpu) throw new WorkloadError(`task "${t.name}": "${word}" would take down the CPU it runs on (CPU${t.cpu})`);
            out.push(OP_CPU_DOWN | (hp << OP_SHIFT));
            break;
          }
          case 'cpu_up':
            out.push(OP_CPU_UP | (cpuRef(t.name, word, arg) << OP_SHIFT));
            break;
          case 'cpuhp':
            if (t.kind !== 'kthread' || !t.unstarted)
              throw new WorkloadError(`task "${t.name}": "cpuhp" is the program of an unstarted kernel thread started by cpu_down`);
            out.push(OP_CPUHP);
            break;
          default:
            throw new WorkloadError(
              `task "${t.name}": unknown op "${word}". Allowed: run, kwork, yield, exec, kernel_execve, exit, kthread_use_mm, ` +
                'kthread_unuse_mm, munmap [freed-tables|all], mremap, membarrier_register, membarrier_register_and_command, membarrier, text_poke, ' +
                'sleep <cpu>, migrate <cpu>, clone <task>, fork <task>, use_mm_setup <worker>, io_uring_setup <io-wq thread> <exit kworker>, ' +
                'io_ring_exit, khugepaged <mm>, reclaim <mm>, suspend, cpu_down <cpuhp task>, cpu_up <cpu>, cpuhp',
            );
        }
      }
      return Int32Array.from(out);
    });
    return { words, mmOf: this.spec.tasks.map((t) => t.mm ?? null), mmArgs };
  }

  /** Fill `k` (after resetState and the arch reset). Returns an estimated step count. */
  generate(k: Kernel): number {
    const ncpu = this.ncpu;
    k.progLen = 0;
    k.ntasks = 0;
    this.mmIds.clear();
    for (let c = 0; c < ncpu; c++) {
      k.taskKind[c] = TASK_IDLE;
      k.taskState[c] = TS_RUNNING;
      k.taskOnCpu[c] = 1;
      k.taskMm[c] = NO_MM;
      k.taskActiveMm[c] = INIT_MM;
      k.taskCpu[c] = c;
      k.taskPc[c] = 0;
      k.taskEnd[c] = 0;
      k.taskIoMm[c] = NO_MM;
      k.taskUsingMm[c] = 0;
      k.taskRingExit[c] = NO_TASK;
      k.cpuCurr[c] = c;
    }
    k.ntasks = ncpu;
    let ops = 0;
    this.spec.tasks.forEach((spec, i) => {
      const t = ncpu + i;
      k.ntasks++;
      k.taskKind[t] = spec.kind === 'user' ? TASK_USER : TASK_KTHREAD;
      k.taskState[t] = TS_UNSTARTED;
      k.taskOnCpu[t] = 0;
      k.taskCpu[t] = spec.cpu;
      k.taskIoMm[t] = NO_MM;
      k.taskUsingMm[t] = 0;
      k.taskRingExit[t] = NO_TASK;
      k.taskMm[t] = NO_MM;
      k.taskActiveMm[t] = NO_MM;
      const name = this.compiled.mmOf[i];
      if (name !== null && name !== undefined && !spec.unstarted) {
        let mm = this.mmIds.get(name);
        if (mm === undefined) {
          mm = allocMm(k, spec.cpu);
          this.mmIds.set(name, mm);
        } else {
          mmget(k, 0, mm);
        }
        k.taskMm[t] = mm;
        k.taskActiveMm[t] = mm;
      }
      const w = this.compiled.words[i]!;
      k.taskPc[t] = k.progLen;
      k.prog.set(w, k.progLen);
      k.progLen += w.length;
      k.taskEnd[t] = k.progLen;
      ops += w.length;
      if (!spec.unstarted) enqueue(k, spec.cpu, t);
    });
    // Ops naming an mm (khugepaged, reclaim): the ids now exist. khugepaged's mms get their mm_slot.
    const starts = this.spec.tasks.map((_, i) => k.taskPc[ncpu + i]!);
    for (const [ti, at, name] of this.compiled.mmArgs) {
      const mm = this.mmIds.get(name)!;
      const pc = starts[ti]! + at;
      k.prog[pc] = (k.prog[pc]! & 0xff) | (mm << OP_SHIFT);
      if ((k.prog[pc]! & 0xff) === OP_KHUGEPAGED && k.mmSlotHeld[mm] === 0) __khugepaged_enter(k, mm);
    }
    k.tickBudget = this.spec.tickPreemptions;
    k.idleBudget = this.spec.deepIdles;
    k.setVcpuPreemptions(this.spec.vcpuPreemptions, null, null); // a scenario decides when, and for how long
    return 5 * (ops + k.ntasks) + 4 * ncpu + this.spec.deepIdles;
  }
}
