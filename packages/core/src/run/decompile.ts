/**
 * The decompiler: a run's workload (after Simulator.begin(seed), a generated or an explicit
 * one) read back from the kernel's task table and op bytecode as structured ops (workload/ops.ts), and
 * written as an explicit workload. A generated workload made explicit this way keeps its task
 * ids, mm ids and trace names: tasks are listed in id order, named as traces name them
 * (T<id> user, K<id> kernel thread), mms as `mm<id>`. An explicit workload keeps its own names.
 */
import { NO_MM, TASK_USER, TS_UNSTARTED } from '../machine/constants.js';
import type { Kernel } from '../model/kernel.js';
import type { RunSeed } from '../prng/seed.js';
import type { Simulator } from './simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { decodeOp, formatOp, type FormatOpOptions, type OpNames, type WorkloadOp } from '../workload/ops.js';

/** A task of a decompiled workload, as it stands before the run's first step. */
export interface DecompiledTask {
  /** Task id (the idle tasks are 0..ncpu-1 and not listed). */
  readonly id: number;
  readonly name: string;
  readonly kind: 'user' | 'kthread';
  /** The CPU it starts on (or, unstarted, is started on). */
  readonly cpu: number;
  /** Started later by another task's op (clone, fork, use_mm_setup, io_uring_setup, cpu_down). */
  readonly unstarted: boolean;
  /** A started user task's mm (by name). */
  readonly mm?: string;
  readonly program: readonly WorkloadOp[];
}

export interface DecompiledWorkload {
  readonly tasks: readonly DecompiledTask[];
  readonly tickPreemptions: number;
  readonly vcpuPreemptions: number;
  readonly deepIdles: number;
}

/** The ops of a program's words. */
export function decompileProgram(words: ArrayLike<number>, names: OpNames): WorkloadOp[] {
  return Array.from(words, (w) => decodeOp(w, names));
}

/** Trace names: T<id> / K<id> for tasks, mm<id> for mms. */
export function traceNames(k: Kernel): OpNames {
  return {
    task: (id) => {
      if (id < k.ncpu || id >= k.ntasks) throw new RangeError(`task ${id} is not in the task table (tasks ${k.ncpu}..${k.ntasks - 1})`);
      return k.taskName(id);
    },
    mm: (id) => `mm${id}`,
  };
}

/**
 * The task table of `k` with its programs, read right after Simulator.begin() (before any
 * step: programs are read from each task's current pc). `names` default to trace names.
 */
export function decompileTasks(k: Kernel, names: OpNames = traceNames(k)): DecompiledTask[] {
  const tasks: DecompiledTask[] = [];
  for (let t = k.ncpu; t < k.ntasks; t++) {
    const kind = k.taskKind[t] === TASK_USER ? 'user' : 'kthread';
    const unstarted = k.taskState[t] === TS_UNSTARTED;
    const mm = k.taskMm[t]!;
    tasks.push({
      id: t,
      name: names.task(t),
      kind,
      cpu: k.taskCpu[t]!,
      unstarted,
      ...(!unstarted && kind === 'user' && mm !== NO_MM ? { mm: names.mm(mm) } : {}),
      program: decompileProgram(k.prog.subarray(k.taskPc[t]!, k.taskEnd[t]!), names),
    });
  }
  return tasks;
}

/**
 * The workload of run `seed` of `sim` (begins the run, reads it, ends it). A generated
 * workload's tasks get trace names and its mms `mm<id>`; vcpuPreemptions is the run's when
 * the arch preempts vCPUs, else 0. An explicit workload's tasks and mms keep their names.
 */
export function decompileRun(sim: Simulator, seed: RunSeed): DecompiledWorkload {
  sim.begin(seed);
  const k = sim.k;
  const loader = sim.explicit;
  const trace = traceNames(k);
  let names = trace;
  if (loader !== null) {
    const mmNames = new Map([...loader.mmIds].map(([name, id]) => [id, name]));
    names = {
      task: (id) => loader.spec.tasks[id - k.ncpu]?.name ?? trace.task(id),
      mm: (id) => mmNames.get(id) ?? trace.mm(id),
    };
  }
  const tasks = decompileTasks(k, names);
  const w: DecompiledWorkload = {
    tasks,
    tickPreemptions: k.tickBudget,
    vcpuPreemptions: loader !== null ? loader.spec.vcpuPreemptions : sim.plugin.capabilities.vcpuPreemption ? k.vcpuBudget : 0,
    deepIdles: k.idleBudget,
  };
  sim.end();
  return w;
}

/**
 * A decompiled workload as explicit-workload input (op strings: formatOp; every op a run's
 * bytecode decodes to has one, so it compiles back to the same bytecode). Names and programs are kept as they are, but for a
 * cpuhp thread's: the loader wants exactly ['cpuhp'] and adds the exit itself (a generated
 * one has none; it never runs: the thread is dead once its CPU is down).
 */
export function explicitWorkloadOf(w: DecompiledWorkload, opts: FormatOpOptions = {}): ExplicitWorkloadInput {
  return {
    tasks: w.tasks.map((t) => {
      const ops = t.program.length === 2 && t.program[0]!.op === 'cpuhp' && t.program[1]!.op === 'exit' ? t.program.slice(0, 1) : t.program;
      const task: ExplicitWorkloadInput['tasks'][number] = { name: t.name, kind: t.kind, cpu: t.cpu, program: ops.map((op) => formatOp(op, opts)) };
      if (t.unstarted) task.unstarted = true;
      else if (t.mm !== undefined) task.mm = t.mm;
      return task;
    }),
    tickPreemptions: w.tickPreemptions,
    vcpuPreemptions: w.vcpuPreemptions,
    deepIdles: w.deepIdles,
  };
}
