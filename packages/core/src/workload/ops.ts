/**
 * Workload program ops in structured form. An explicit workload writes its programs as op
 * strings ('run', 'munmap freed-tables', 'sleep 1', 'fork T5', ...: the grammar of
 * explicit.ts), and those strings stay the serialisation in artifacts and workload files; the
 * kernel runs op bytecode words (machine/constants.ts OP_*). WorkloadOp is the form a tool
 * edits: one variant per op of the grammar, its arguments typed (CPUs as numbers, tasks and
 * mms by name).
 *
 *   string --parseOp--> WorkloadOp --formatOp--> string (canonical)
 *   WorkloadOp --encodeOp(refs)--> word --decodeOp(names)--> WorkloadOp
 *
 * parseOp accepts exactly the strings the explicit-workload loader accepts as far as they can
 * be judged without the workload (op word, arguments, their syntax; whether a named task or mm
 * exists, and what kind of task may run the op, is the loader's business), including its
 * leniencies: surrounding and repeated whitespace, words past the op's arguments (ignored) and
 * any CPU number JavaScript's Number() reads as a non-negative integer. formatOp writes the
 * canonical string, which parses back to the same op.
 */
import {
  MAX_CPUS,
  MEMBARRIER_AND_COMMAND,
  MUNMAP_ALL,
  MUNMAP_FREED_TABLES,
  OP_CLONE_THREAD,
  OP_CPU_DOWN,
  OP_CPU_UP,
  OP_CPUHP,
  OP_EXEC,
  OP_EXIT,
  OP_FORK,
  OP_IO_RING_EXIT,
  OP_IO_URING_SETUP,
  OP_KERNEL_EXECVE,
  OP_KHUGEPAGED,
  OP_KWORK,
  OP_MASK,
  OP_MEMBARRIER,
  OP_MEMBARRIER_REGISTER,
  OP_MIGRATE,
  OP_MREMAP,
  OP_MUNMAP,
  OP_PAIR_MASK,
  OP_PAIR_SHIFT,
  OP_RECLAIM,
  OP_RUN,
  OP_SHIFT,
  OP_SLEEP,
  OP_SUSPEND,
  OP_TEXT_POKE,
  OP_UNUSE_MM,
  OP_USE_MM,
  OP_USE_MM_SETUP,
  OP_YIELD,
} from '../machine/constants.js';
import { NAME_PATTERN, WorkloadError } from './explicit.js';

/** One program op. Task and mm arguments are names (as in the explicit workload), CPUs numbers. */
export type WorkloadOp =
  | { readonly op: 'run' }
  | { readonly op: 'kwork' }
  | { readonly op: 'yield' }
  | { readonly op: 'exec' }
  | { readonly op: 'kernel_execve' }
  | { readonly op: 'exit' }
  | { readonly op: 'kthread_use_mm' }
  | { readonly op: 'kthread_unuse_mm' }
  /** 'munmap' | 'munmap freed-tables' | 'munmap all' (the flags are MUNMAP_* bits; both set has no string form). */
  | { readonly op: 'munmap'; readonly freedTables?: boolean; readonly all?: boolean }
  | { readonly op: 'mremap' }
  /**
   * 'membarrier_register': membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED). `andCommand`:
   * then MEMBARRIER_CMD_PRIVATE_EXPEDITED in the same op (a library that registers on first use:
   * generated workloads' membarrier op), written 'membarrier_register_and_command'.
   */
  | { readonly op: 'membarrier_register'; readonly andCommand?: boolean }
  | { readonly op: 'membarrier' }
  | { readonly op: 'text_poke' }
  /** 'sleep <cpu>': the wakeup enqueues the task on `cpu`; bare 'sleep' (no cpu): on the task's own CPU. */
  | { readonly op: 'sleep'; readonly cpu?: number }
  | { readonly op: 'migrate'; readonly cpu: number }
  | { readonly op: 'clone'; readonly task: string }
  | { readonly op: 'fork'; readonly task: string }
  | { readonly op: 'use_mm_setup'; readonly task: string }
  /** 'io_uring_setup <io-wq thread> <exit kworker>'. */
  | { readonly op: 'io_uring_setup'; readonly ioWorker: string; readonly exitWorker: string }
  | { readonly op: 'io_ring_exit' }
  | { readonly op: 'khugepaged'; readonly mm: string }
  | { readonly op: 'reclaim'; readonly mm: string }
  | { readonly op: 'suspend' }
  /** 'cpu_down <cpuhp task>': takes down the CPU that cpuhp task sits on. */
  | { readonly op: 'cpu_down'; readonly task: string }
  | { readonly op: 'cpu_up'; readonly cpu: number }
  | { readonly op: 'cpuhp' };

export type OpName = WorkloadOp['op'];

/**
 * The first word of an op string: an op name, or 'membarrier_register_and_command' (the op
 * membarrier_register with `andCommand`).
 */
export type OpWord = OpName | 'membarrier_register_and_command';

/** Every op word of the grammar, in the order the loader's error message lists them. */
export const OP_WORDS: readonly OpWord[] = [
  'run',
  'kwork',
  'yield',
  'exec',
  'kernel_execve',
  'exit',
  'kthread_use_mm',
  'kthread_unuse_mm',
  'munmap',
  'mremap',
  'membarrier_register',
  'membarrier_register_and_command',
  'membarrier',
  'text_poke',
  'sleep',
  'migrate',
  'clone',
  'fork',
  'use_mm_setup',
  'io_uring_setup',
  'io_ring_exit',
  'khugepaged',
  'reclaim',
  'suspend',
  'cpu_down',
  'cpu_up',
  'cpuhp',
];

const ALLOWED =
  'run, kwork, yield, exec, kernel_execve, exit, kthread_use_mm, kthread_unuse_mm, munmap [freed-tables|all], mremap, membarrier_register, ' +
  'membarrier_register_and_command, membarrier, text_poke, sleep <cpu>, migrate <cpu>, clone <task>, fork <task>, use_mm_setup <worker>, ' +
  'io_uring_setup <io-wq thread> <exit kworker>, io_ring_exit, khugepaged <mm>, reclaim <mm>, suspend, cpu_down <cpuhp task>, cpu_up <cpu>, cpuhp';

function cpuArg(word: string, ref: string | undefined): number {
  const c = Number(ref);
  if (ref === undefined || !Number.isInteger(c) || c < 0 || c >= MAX_CPUS) throw new WorkloadError(`"${word}" needs a CPU number (0..${MAX_CPUS - 1})`);
  return c + 0; // -0 is CPU 0
}

function nameArg(word: string, ref: string | undefined, what: string): string {
  if (ref === undefined || !NAME_PATTERN.test(ref)) throw new WorkloadError(`"${word}" needs the name of ${what}`);
  return ref;
}

/** Parse one op string (see the module comment for what is accepted); throws WorkloadError. */
export function parseOp(text: string): WorkloadOp {
  const word = text.trim();
  const [op, arg, arg2] = word.split(/\s+/);
  switch (op) {
    case 'run':
    case 'kwork':
    case 'yield':
    case 'exec':
    case 'kernel_execve':
    case 'exit':
    case 'kthread_use_mm':
    case 'kthread_unuse_mm':
    case 'mremap':
    case 'membarrier_register':
    case 'membarrier':
    case 'text_poke':
    case 'io_ring_exit':
    case 'suspend':
    case 'cpuhp':
      return { op };
    case 'membarrier_register_and_command':
      return { op: 'membarrier_register', andCommand: true };
    case 'munmap':
      if (arg === undefined) return { op };
      if (arg === 'freed-tables') return { op, freedTables: true };
      if (arg === 'all') return { op, all: true };
      throw new WorkloadError(`"${word}": munmap takes nothing, "freed-tables" or "all"`);
    case 'sleep':
      return arg === undefined ? { op } : { op, cpu: cpuArg(word, arg) };
    case 'migrate':
    case 'cpu_up':
      return { op, cpu: cpuArg(word, arg) };
    case 'clone':
    case 'fork':
    case 'use_mm_setup':
    case 'cpu_down':
      return { op, task: nameArg(word, arg, 'a task') };
    case 'io_uring_setup':
      return { op, ioWorker: nameArg(word, arg, 'the io-wq thread'), exitWorker: nameArg(word, arg2, 'the exit kworker') };
    case 'khugepaged':
    case 'reclaim':
      return { op, mm: nameArg(word, arg, 'an mm') };
    default:
      throw new WorkloadError(`unknown op "${word}". Allowed: ${ALLOWED}`);
  }
}

export interface FormatOpOptions {
  /**
   * The op with no string form (munmap with both flags) is refused unless `lossy`: then it is
   * written 'munmap all' (the same run: all implies freed tables in the model).
   */
  readonly lossy?: boolean;
}

function checkCpu(op: WorkloadOp, c: number): number {
  if (!Number.isInteger(c) || c < 0 || c >= MAX_CPUS) throw new WorkloadError(`op ${JSON.stringify(op)}: cpu must be an integer in 0..${MAX_CPUS - 1}`);
  return c;
}

function checkName(op: WorkloadOp, name: string): string {
  if (!NAME_PATTERN.test(name)) throw new WorkloadError(`op ${JSON.stringify(op)}: "${name}" is not a task or mm name (letters, digits, "_" and ".")`);
  return name;
}

/** The canonical string of an op (parseOp reads it back as the same op). */
export function formatOp(op: WorkloadOp, opts: FormatOpOptions = {}): string {
  switch (op.op) {
    case 'munmap':
      if (op.all === true && op.freedTables === true && opts.lossy !== true) {
        throw new WorkloadError('munmap with both freed-tables and all has no string form (format it lossy: "munmap all", the same run)');
      }
      return op.all === true ? 'munmap all' : op.freedTables === true ? 'munmap freed-tables' : 'munmap';
    case 'membarrier_register':
      return op.andCommand === true ? 'membarrier_register_and_command' : 'membarrier_register';
    case 'sleep':
      return op.cpu === undefined ? 'sleep' : `sleep ${checkCpu(op, op.cpu)}`;
    case 'migrate':
    case 'cpu_up':
      return `${op.op} ${checkCpu(op, op.cpu)}`;
    case 'clone':
    case 'fork':
    case 'use_mm_setup':
    case 'cpu_down':
      return `${op.op} ${checkName(op, op.task)}`;
    case 'io_uring_setup':
      return `io_uring_setup ${checkName(op, op.ioWorker)} ${checkName(op, op.exitWorker)}`;
    case 'khugepaged':
    case 'reclaim':
      return `${op.op} ${checkName(op, op.mm)}`;
    default:
      return op.op;
  }
}

/** Resolves an op's names to the ids its bytecode word carries. */
export interface OpRefs {
  /** The CPU of the task running the op (a bare 'sleep' wakes there). */
  readonly cpu: number;
  /** Task id of a task name. */
  taskId(name: string): number;
  /** mm id of an mm name. */
  mmId(name: string): number;
}

/** Names of the ids an op word carries. */
export interface OpNames {
  task(id: number): string;
  mm(id: number): string;
}

const SIMPLE: Partial<Record<OpName, number>> = {
  run: OP_RUN,
  kwork: OP_KWORK,
  yield: OP_YIELD,
  exec: OP_EXEC,
  kernel_execve: OP_KERNEL_EXECVE,
  exit: OP_EXIT,
  kthread_use_mm: OP_USE_MM,
  kthread_unuse_mm: OP_UNUSE_MM,
  mremap: OP_MREMAP,
  membarrier: OP_MEMBARRIER,
  text_poke: OP_TEXT_POKE,
  io_ring_exit: OP_IO_RING_EXIT,
  suspend: OP_SUSPEND,
  cpuhp: OP_CPUHP,
};

/**
 * The bytecode word of an op (what the explicit-workload loader puts in a task's program,
 * with its mm arguments resolved). Checks only that ids fit the word.
 */
export function encodeOp(op: WorkloadOp, refs: OpRefs): number {
  const word = (code: number, arg: number): number => {
    if (!Number.isInteger(arg) || arg < 0 || arg >= 1 << (31 - OP_SHIFT))
      throw new WorkloadError(`op ${JSON.stringify(op)}: argument ${arg} does not fit an op word`);
    return code | (arg << OP_SHIFT);
  };
  const pairId = (name: string): number => {
    const id = refs.taskId(name);
    if (!Number.isInteger(id) || id < 0 || id > OP_PAIR_MASK)
      throw new WorkloadError(`op ${JSON.stringify(op)}: task id ${id} does not fit io_uring_setup's pair`);
    return id;
  };
  switch (op.op) {
    case 'munmap':
      return word(OP_MUNMAP, (op.freedTables === true ? MUNMAP_FREED_TABLES : 0) | (op.all === true ? MUNMAP_ALL : 0));
    case 'membarrier_register':
      return word(OP_MEMBARRIER_REGISTER, op.andCommand === true ? MEMBARRIER_AND_COMMAND : 0);
    case 'sleep':
      return word(OP_SLEEP, op.cpu ?? refs.cpu);
    case 'migrate':
      return word(OP_MIGRATE, op.cpu);
    case 'cpu_up':
      return word(OP_CPU_UP, op.cpu);
    case 'clone':
      return word(OP_CLONE_THREAD, refs.taskId(op.task));
    case 'fork':
      return word(OP_FORK, refs.taskId(op.task));
    case 'use_mm_setup':
      return word(OP_USE_MM_SETUP, refs.taskId(op.task));
    case 'cpu_down':
      return word(OP_CPU_DOWN, refs.taskId(op.task));
    case 'io_uring_setup':
      return word(OP_IO_URING_SETUP, pairId(op.ioWorker) | (pairId(op.exitWorker) << OP_PAIR_SHIFT));
    case 'khugepaged':
      return word(OP_KHUGEPAGED, refs.mmId(op.mm));
    case 'reclaim':
      return word(OP_RECLAIM, refs.mmId(op.mm));
    default: {
      const code = SIMPLE[op.op];
      if (code === undefined) throw new WorkloadError(`unknown op ${JSON.stringify(op)}`);
      return code;
    }
  }
}

/**
 * The op of a bytecode word. Argument bits the model never reads are ignored (generated
 * workloads leave some in kwork words); canonicalOpWord clears them.
 */
export function decodeOp(word: number, names: OpNames): WorkloadOp {
  const arg = word >> OP_SHIFT;
  switch (word & OP_MASK) {
    case OP_RUN:
      return { op: 'run' };
    case OP_KWORK:
      return { op: 'kwork' };
    case OP_YIELD:
      return { op: 'yield' };
    case OP_EXEC:
      return { op: 'exec' };
    case OP_KERNEL_EXECVE:
      return { op: 'kernel_execve' };
    case OP_EXIT:
      return { op: 'exit' };
    case OP_USE_MM:
      return { op: 'kthread_use_mm' };
    case OP_UNUSE_MM:
      return { op: 'kthread_unuse_mm' };
    case OP_MUNMAP: {
      const ft = (arg & MUNMAP_FREED_TABLES) !== 0;
      const all = (arg & MUNMAP_ALL) !== 0;
      return { op: 'munmap', ...(ft ? { freedTables: true } : {}), ...(all ? { all: true } : {}) };
    }
    case OP_MREMAP:
      return { op: 'mremap' };
    case OP_MEMBARRIER_REGISTER:
      return (arg & MEMBARRIER_AND_COMMAND) !== 0 ? { op: 'membarrier_register', andCommand: true } : { op: 'membarrier_register' };
    case OP_MEMBARRIER:
      return { op: 'membarrier' };
    case OP_TEXT_POKE:
      return { op: 'text_poke' };
    case OP_SLEEP:
      return { op: 'sleep', cpu: arg };
    case OP_MIGRATE:
      return { op: 'migrate', cpu: arg };
    case OP_CLONE_THREAD:
      return { op: 'clone', task: names.task(arg) };
    case OP_FORK:
      return { op: 'fork', task: names.task(arg) };
    case OP_USE_MM_SETUP:
      return { op: 'use_mm_setup', task: names.task(arg) };
    case OP_IO_URING_SETUP:
      return { op: 'io_uring_setup', ioWorker: names.task(arg & OP_PAIR_MASK), exitWorker: names.task((arg >> OP_PAIR_SHIFT) & OP_PAIR_MASK) };
    case OP_IO_RING_EXIT:
      return { op: 'io_ring_exit' };
    case OP_KHUGEPAGED:
      return { op: 'khugepaged', mm: names.mm(arg) };
    case OP_RECLAIM:
      return { op: 'reclaim', mm: names.mm(arg) };
    case OP_SUSPEND:
      return { op: 'suspend' };
    case OP_CPU_DOWN:
      return { op: 'cpu_down', task: names.task(arg) };
    case OP_CPU_UP:
      return { op: 'cpu_up', cpu: arg };
    case OP_CPUHP:
      return { op: 'cpuhp' };
    default:
      throw new WorkloadError(`op word ${word}: unknown opcode ${word & OP_MASK}`);
  }
}

/** `word` with the argument bits the model never reads cleared (what encodeOp(decodeOp(word)) gives). */
export function canonicalOpWord(word: number): number {
  const code = word & OP_MASK;
  const arg = word >> OP_SHIFT;
  switch (code) {
    case OP_MUNMAP:
      return code | ((arg & (MUNMAP_FREED_TABLES | MUNMAP_ALL)) << OP_SHIFT);
    case OP_MEMBARRIER_REGISTER:
      return code | ((arg & MEMBARRIER_AND_COMMAND) << OP_SHIFT);
    case OP_IO_URING_SETUP:
      return code | ((arg & (OP_PAIR_MASK | (OP_PAIR_MASK << OP_PAIR_SHIFT))) << OP_SHIFT);
    case OP_SLEEP:
    case OP_MIGRATE:
    case OP_CPU_UP:
    case OP_CLONE_THREAD:
    case OP_FORK:
    case OP_USE_MM_SETUP:
    case OP_CPU_DOWN:
    case OP_KHUGEPAGED:
    case OP_RECLAIM:
      return word;
    default:
      return code;
  }
}
