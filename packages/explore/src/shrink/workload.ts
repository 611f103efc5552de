/**
 * The explicit workload as the shrinker edits it: core's ExplicitWorkloadInput with every
 * program as structured ops (core's WorkloadOp) instead of op strings. Edits (remove a task and
 * the ops that start it, renumber CPUs, rename tasks, drop an op, make an op simpler) work on ops
 * as data; strings appear only when a candidate is handed to the Simulator (explicitInput: core's
 * formatOp) and when an artifact's explicit workload is read (structuredWorkload: core's parseOp).
 *
 * Tasks and the workload keep their other fields, in their order, so a workload that is
 * read and written back unedited is the same input (with canonical op strings).
 */
import { type ExplicitWorkloadInput, type WorkloadOp, formatOp, parseOp } from '@lazytlb/core';

type TaskInput = ExplicitWorkloadInput['tasks'][number];

/** A task of a ShrinkWorkload: an explicit task whose program is structured. */
export type ShrinkTask = Omit<TaskInput, 'program'> & { readonly program: readonly WorkloadOp[] };

/** An explicit workload whose programs are structured ops. */
export type ShrinkWorkload = Omit<ExplicitWorkloadInput, 'tasks'> & { readonly tasks: readonly ShrinkTask[] };

/** Read an explicit workload's op strings (core's parseOp; throws core's WorkloadError on a string it refuses). */
export function structuredWorkload(w: ExplicitWorkloadInput): ShrinkWorkload {
  return { ...w, tasks: w.tasks.map((t) => ({ ...t, program: (t.program ?? []).map((op) => parseOp(op)) })) };
}

/** The explicit-workload input of a structured workload (canonical op strings: core's formatOp). */
export function explicitInput(w: ShrinkWorkload): ExplicitWorkloadInput {
  return { ...w, tasks: w.tasks.map((t) => ({ ...t, program: t.program.map((op) => formatOp(op)) })) };
}

/** Tasks, and program ops over all tasks. */
export function workloadCounts(w: { readonly tasks: readonly { readonly program?: readonly unknown[] | undefined }[] }): { tasks: number; ops: number } {
  return { tasks: w.tasks.length, ops: w.tasks.reduce((n, t) => n + (t.program?.length ?? 0), 0) };
}

/**
 * How much of an op can still be dropped without removing it: the variants of one op are
 * totally ordered by it, the simplest at 0.
 *
 * - munmap: 'munmap' 0 < 'munmap freed-tables' 1 < 'munmap all' 2 (the model's all frees tables
 *   too, and leaves no VMA) < both flags 3 (no string form; the same run as 'munmap all');
 * - membarrier_register: 'membarrier_register' 0 < 'membarrier_register_and_command' 1 (the
 *   register, then MEMBARRIER_CMD_PRIVATE_EXPEDITED and its IPIs);
 * - every other op 0: its arguments name what it acts on (a task, an mm, a CPU), and without one
 *   it is no op of the grammar. 'sleep <cpu>' keeps its CPU too: bare 'sleep' is no less to read
 *   (it wakes on the task's own CPU), and offering it on the identity battery made as many
 *   budget-bound shrinks bigger as smaller.
 */
export function opComplexity(op: WorkloadOp): number {
  switch (op.op) {
    case 'munmap':
      return op.all === true ? (op.freedTables === true ? 3 : 2) : op.freedTables === true ? 1 : 0;
    case 'membarrier_register':
      return op.andCommand === true ? 1 : 0;
    default:
      return 0;
  }
}

/** munmap's variants by opComplexity, 0 to 2. */
const MUNMAP_VARIANTS: readonly WorkloadOp[] = [{ op: 'munmap' }, { op: 'munmap', freedTables: true }, { op: 'munmap', all: true }];

/**
 * The variants of `op` of lower opComplexity, simplest first (the same op with flags dropped):
 * 'munmap all' -> 'munmap', 'munmap freed-tables'; 'munmap freed-tables' -> 'munmap';
 * 'membarrier_register_and_command' -> 'membarrier_register'; none for any other op.
 */
export function simplerOps(op: WorkloadOp): WorkloadOp[] {
  switch (op.op) {
    case 'munmap':
      return MUNMAP_VARIANTS.slice(0, opComplexity(op));
    case 'membarrier_register':
      return op.andCommand === true ? [{ op: 'membarrier_register' }] : [];
    default:
      return [];
  }
}

/** opComplexity summed over all ops (with the same tasks and ops, a smaller sum is a simpler workload). */
export function workloadOpComplexity(w: ShrinkWorkload): number {
  return w.tasks.reduce((n, t) => t.program.reduce((m, op) => m + opComplexity(op), n), 0);
}

/** Tick and vCPU preemptions plus deep-idle entries (a smaller sum is a simpler workload). */
export function workloadBudgets(w: ShrinkWorkload): number {
  return (w.tickPreemptions ?? 0) + (w.vcpuPreemptions ?? 0) + (w.deepIdles ?? 0);
}

/** The task an op starts (clone, fork, use_mm_setup, cpu_down), or null. */
function startedTask(op: WorkloadOp): string | null {
  return op.op === 'clone' || op.op === 'fork' || op.op === 'use_mm_setup' || op.op === 'cpu_down' ? op.task : null;
}

/** Renumber CPUs: task placement and the CPU arguments of sleep, migrate and cpu_up (a bare sleep wakes on its task's CPU). */
export function remapCpus(w: ShrinkWorkload, map: (cpu: number) => number): ShrinkWorkload {
  const remap = (op: WorkloadOp): WorkloadOp => {
    if (op.op === 'migrate' || op.op === 'cpu_up' || (op.op === 'sleep' && op.cpu !== undefined)) return { ...op, cpu: map(op.cpu!) };
    return op;
  };
  return { ...w, tasks: w.tasks.map((t) => ({ ...t, cpu: map(t.cpu), program: t.program.map(remap) })) };
}

/**
 * Remove task i and the ops that start it (clone, fork, use_mm_setup, cpu_down, and an
 * io_uring_setup naming it: the ring's other task is then never started). When no task left
 * starts with task i's mm, the khugepaged / reclaim ops naming that mm go too (an explicit
 * workload's mm ops must name an mm that exists when the run starts).
 */
export function removeTask(w: ShrinkWorkload, i: number): ShrinkWorkload {
  const gone = w.tasks[i]!;
  const name = gone.name;
  const starts = (op: WorkloadOp): boolean => startedTask(op) === name || (op.op === 'io_uring_setup' && (op.ioWorker === name || op.exitWorker === name));
  const rest = w.tasks.filter((_, j) => j !== i);
  const mm = gone.unstarted !== true ? gone.mm : undefined;
  const mmGone = mm !== undefined && !rest.some((t) => t.mm === mm && t.unstarted !== true);
  const usesMm = (op: WorkloadOp): boolean => mmGone && (op.op === 'khugepaged' || op.op === 'reclaim') && op.mm === mm;
  return { ...w, tasks: rest.map((t) => ({ ...t, program: t.program.filter((op) => !starts(op) && !usesMm(op)) })) };
}

/**
 * Remove task i and start the tasks it forks or clones at boot instead (a forked child with
 * an mm of its own, a cloned thread in task i's mm); null when task i starts none.
 */
export function removeTaskStartingChildren(w: ShrinkWorkload, i: number): ShrinkWorkload | null {
  const parent = w.tasks[i]!;
  const children = new Map<string, 'fork' | 'clone'>();
  for (const op of parent.program) if (op.op === 'clone' || op.op === 'fork') children.set(op.task, op.op);
  if (children.size === 0 || parent.kind !== 'user') return null;
  const used = new Set(w.tasks.flatMap((t) => (t.mm !== undefined ? [t.mm] : [])));
  const fresh = (base: string): string => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  };
  const mmName = (task: string): string => `mm_${task.replaceAll('.', '_')}`; // an mm name from a task name ("." is allowed in both)
  const parentMm = parent.mm ?? fresh(mmName(parent.name));
  return {
    ...w,
    tasks: w.tasks
      .filter((_, j) => j !== i)
      .map((t) => {
        const how = children.get(t.name);
        if (how === undefined || t.unstarted !== true || t.kind !== 'user') return t;
        const { unstarted: _u, ...rest } = t;
        return { ...rest, mm: how === 'clone' ? parentMm : fresh(mmName(t.name)) };
      }),
  };
}

/** Rename tasks to their trace names (T<id> user, K<id> kernel thread; ids start after the ncpu idle tasks), and the ops that name them. */
export function renameTasks(w: ShrinkWorkload, ncpu: number): ShrinkWorkload {
  const names = new Map(w.tasks.map((t, i) => [t.name, `${t.kind === 'user' ? 'T' : 'K'}${ncpu + i}`]));
  const rename = (op: WorkloadOp): WorkloadOp => {
    const started = startedTask(op);
    if (started !== null) return names.has(started) ? ({ ...op, task: names.get(started)! } as WorkloadOp) : op;
    if (op.op === 'io_uring_setup') return { ...op, ioWorker: names.get(op.ioWorker) ?? op.ioWorker, exitWorker: names.get(op.exitWorker) ?? op.exitWorker };
    return op;
  };
  return { ...w, tasks: w.tasks.map((t) => ({ ...t, name: names.get(t.name)!, program: t.program.map(rename) })) };
}

/** Op j of task i replaced by `op`. */
export function replaceOp(w: ShrinkWorkload, i: number, j: number, op: WorkloadOp): ShrinkWorkload {
  return { ...w, tasks: w.tasks.map((t, k) => (k === i ? { ...t, program: t.program.map((o, m) => (m === j ? op : o)) } : t)) };
}

/** Remove op j of task i. */
export function removeOp(w: ShrinkWorkload, i: number, j: number): ShrinkWorkload {
  return { ...w, tasks: w.tasks.map((t, k) => (k === i ? { ...t, program: t.program.filter((_, m) => m !== j) } : t)) };
}
