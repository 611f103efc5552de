/**
 * Oracle for the decompiler: the sweep app's explicitFromRun and opWord, copied from
 * apps/sweep/src/shrink/explicit.ts at c60f4d2 with only the imports adapted (core must not
 * import apps/).
 */
import * as C from '../machine/constants.js';
import { NO_MM } from '../machine/constants.js';
import type { RunSeed } from '../prng/seed.js';
import type { Simulator } from '../run/simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';

type Task = { name: string; kind: 'user' | 'kthread'; cpu: number; mm?: string; unstarted?: boolean; program: string[] };

/** Name of task `t` as the trace prints it (T<n> user, K<n> kernel thread). */
function taskName(kind: number, t: number): string {
  return kind === C.TASK_USER ? `T${t}` : `K${t}`;
}

/** The explicit op word of a program word; `names` maps task ids to names. */
export function opWord(word: number, names: ReadonlyMap<number, string>): string {
  const op = word & C.OP_MASK;
  const arg = word >> C.OP_SHIFT;
  const task = (): string => {
    const n = names.get(arg);
    if (n === undefined) throw new Error(`op word ${word}: task ${arg} is not in the task table`);
    return n;
  };
  switch (op) {
    case C.OP_RUN:
      return 'run';
    case C.OP_MUNMAP:
      return (arg & C.MUNMAP_ALL) !== 0 ? 'munmap all' : (arg & C.MUNMAP_FREED_TABLES) !== 0 ? 'munmap freed-tables' : 'munmap';
    case C.OP_SLEEP:
      return `sleep ${arg}`;
    case C.OP_YIELD:
      return 'yield';
    case C.OP_MIGRATE:
      return `migrate ${arg}`;
    case C.OP_CLONE_THREAD:
      return `clone ${task()}`;
    case C.OP_FORK:
      return `fork ${task()}`;
    case C.OP_EXEC:
      return 'exec';
    case C.OP_EXIT:
      return 'exit';
    case C.OP_USE_MM_SETUP:
      return `use_mm_setup ${task()}`;
    case C.OP_IO_URING_SETUP: {
      const pair = (id: number): string => {
        const n = names.get(id);
        if (n === undefined) throw new Error(`op word ${word}: task ${id} is not in the task table`);
        return n;
      };
      return `io_uring_setup ${pair(arg & C.OP_PAIR_MASK)} ${pair((arg >> C.OP_PAIR_SHIFT) & C.OP_PAIR_MASK)}`;
    }
    case C.OP_IO_RING_EXIT:
      return 'io_ring_exit';
    case C.OP_MREMAP:
      return 'mremap';
    case C.OP_KHUGEPAGED:
      return `khugepaged mm${arg}`;
    case C.OP_RECLAIM:
      return `reclaim mm${arg}`;
    case C.OP_TEXT_POKE:
      return 'text_poke';
    case C.OP_SUSPEND:
      return 'suspend';
    case C.OP_MEMBARRIER_REGISTER:
      return 'membarrier_register';
    case C.OP_USE_MM:
      return 'kthread_use_mm';
    case C.OP_UNUSE_MM:
      return 'kthread_unuse_mm';
    case C.OP_KERNEL_EXECVE:
      return 'kernel_execve';
    case C.OP_KWORK:
      return 'kwork';
    case C.OP_CPU_DOWN:
      return `cpu_down ${task()}`;
    case C.OP_CPU_UP:
      return `cpu_up ${arg}`;
    case C.OP_CPUHP:
      return 'cpuhp';
    default:
      throw new Error(`op word ${word}: unknown opcode ${op}`);
  }
}

/** The workload `sim` draws for `seed`, as an explicit task list. */
export function explicitFromRun(sim: Simulator, seed: RunSeed): ExplicitWorkloadInput {
  sim.begin(seed);
  const k = sim.k;
  const names = new Map<number, string>();
  for (let t = k.ncpu; t < k.ntasks; t++) names.set(t, taskName(k.taskKind[t]!, t));
  const tasks: Task[] = [];
  for (let t = k.ncpu; t < k.ntasks; t++) {
    const kind = k.taskKind[t] === C.TASK_USER ? 'user' : 'kthread';
    const program: string[] = [];
    for (let pc = k.taskPc[t]!; pc < k.taskEnd[t]!; pc++) program.push(opWord(k.prog[pc]!, names));
    const task: Task = { name: names.get(t)!, kind, cpu: k.taskCpu[t]!, program };
    if (k.taskState[t] === C.TS_UNSTARTED) task.unstarted = true;
    else if (kind === 'user' && k.taskMm[t] !== NO_MM) task.mm = `mm${k.taskMm[t]}`;
    tasks.push(task);
  }
  const tickPreemptions = k.tickBudget;
  const deepIdles = k.idleBudget;
  sim.end();
  const params = 'params' in sim.cell.workload ? sim.cell.workload.params : null;
  return {
    tasks,
    tickPreemptions,
    vcpuPreemptions: sim.plugin.capabilities.vcpuPreemption && params !== null ? params.vcpuPreemptions : 0,
    deepIdles,
  };
}
