/**
 * Task declarations of a directed scenario, and their translation to core's explicit
 * workload (`workload: { explicit: { tasks } }`).
 *
 * A scenario names its tasks the way an LKML interleaving does ("T0 and T1 are threads of
 * P", "K is a kworker on CPU1"). Every task maps 1:1 to a core `ExplicitTask`:
 *
 * - a **user thread** of a process: `{ cpu, mm: 'P' }`. Tasks with the same `mm` name share
 *   one mm that exists before the run (as if the threads were cloned earlier: mm_users is
 *   the thread count, mm_count is 1 — the reference that mm_users > 0 stands for);
 * - a **kernel thread**: `{ cpu, kthread: true }` (PF_KTHREAD, `mm == NULL`; it borrows the
 *   previous task's `active_mm` at its first context_switch, kernel/sched/core.c);
 * - an **unstarted child**: `{ cpu, unstarted: true }` — a user task that another task's
 *   `clone <name>` (CLONE_VM: mmget) or `fork <name>` (dup_mm) op creates on `cpu`;
 * - a **kthread_use_mm worker**: `{ cpu, kthread: true, unstarted: true }` — started by another
 *   task's `use_mm_setup <name>` (the driver's mmgrab(current->mm): amdkfd, USB gadget ffs,
 *   vhost in kthread mode), then uses that mm with `kthread_use_mm` / `kthread_unuse_mm`;
 * - an **io_uring ring**: `io_uring_setup <io-wq thread> <exit kworker>` starts an unstarted
 *   user task (the io-wq thread, CLONE_VM) and names an unstarted kthread whose program is
 *   `io_ring_exit` (queued when the owner exits: io_ring_ctx_free -> mmdrop(ctx->mm_account)).
 *
 * Tasks that start runnable are queued on their CPU's runqueue in declaration order.
 * Programs are lists of core's explicit-workload op words (a string is split on `;`, `,`
 * and newlines); core appends `exit` when the program does not end with it.
 */
import { WorkloadError, type ExplicitWorkloadInput } from '@lazytlb/core';

/** One task of a scenario. See the module comment for the four kinds. */
export interface TaskSpec {
  /** CPU whose runqueue the task starts on (or is created on, when unstarted). */
  readonly cpu: number;
  /** User threads: the process (mm name) the thread belongs to. */
  readonly mm?: string;
  /** A kernel thread (PF_KTHREAD): no mm of its own. */
  readonly kthread?: boolean;
  /** Created later by a clone/fork/use_mm_setup/io_uring_setup/cpu_down op of another task. */
  readonly unstarted?: boolean;
  /**
   * Op words: run, kwork, yield, exec, kernel_execve, exit, kthread_use_mm,
   * kthread_unuse_mm, munmap [freed-tables|all], mremap, membarrier_register,
   * membarrier_register_and_command, text_poke,
   * sleep <cpu>, migrate <cpu>, clone <task>, fork <task>, use_mm_setup <task>,
   * io_uring_setup <io-wq task> <exit kworker>, io_ring_exit; kernel threads: khugepaged <mm>,
   * reclaim <mm>, suspend; CPU hotplug: cpu_down <cpuhp task>, cpu_up <cpu> (a control kthread)
   * and cpuhp (the program of an unstarted cpuhp/N kthread on the CPU to take down).
   */
  readonly program?: string | readonly string[];
}

/** A user thread of process `mm` on `cpu`. */
export function thread(mm: string, cpu: number, ...program: string[]): TaskSpec {
  return { cpu, mm, program };
}

/** A kernel thread on `cpu` (kworker-like; `kernel_execve` turns it into a user task). */
export function kthread(cpu: number, ...program: string[]): TaskSpec {
  return { cpu, kthread: true, program };
}

/** A user task created later by another task's `clone <name>` or `fork <name>`. */
export function child(cpu: number, ...program: string[]): TaskSpec {
  return { cpu, unstarted: true, program };
}

/** A kthread_use_mm worker kthread started by another task's `use_mm_setup <name>`. */
export function useMmWorker(cpu: number, ...program: string[]): TaskSpec {
  return { cpu, kthread: true, unstarted: true, program };
}

/** @deprecated renamed useMmWorker (io_uring no longer uses kthread_use_mm since 5.12). */
export const ioWorker = useMmWorker;

/** The exit kworker of an io_uring ring (`io_uring_setup <io-wq> <name>`): runs io_ring_exit_work when the owner exits. */
export function ringExitWorker(cpu: number): TaskSpec {
  return { cpu, kthread: true, unstarted: true, program: ['io_ring_exit'] };
}

/** Split a program given as one string ("run; munmap freed-tables; exit") into op words. */
export function programWords(program: string | readonly string[] | undefined): string[] {
  if (program === undefined) return [];
  const parts = typeof program === 'string' ? [program] : program;
  return parts
    .flatMap((p) => p.split(/[;,\n]/))
    .map((w) => w.trim().replace(/\s+/g, ' '))
    .filter((w) => w.length > 0);
}

export interface WorkloadExtras {
  readonly tickPreemptions?: number;
  readonly vcpuPreemptions?: number;
  /** Deep C-state entries idle CPUs may make. */
  readonly deepIdles?: number;
}

interface StartTarget {
  readonly kind: 'user' | 'kthread';
  /** The helper that declares such a target (for messages). */
  readonly helper: string;
  /** The target is a ring's exit kworker (program io_ring_exit). */
  readonly ringExit?: boolean;
}

/** Ops that start tasks: each target in argument order. */
const STARTERS: Readonly<Record<string, readonly StartTarget[]>> = {
  clone: [{ kind: 'user', helper: 'child()' }],
  fork: [{ kind: 'user', helper: 'child()' }],
  use_mm_setup: [{ kind: 'kthread', helper: 'useMmWorker()' }],
  cpu_down: [{ kind: 'kthread', helper: "kthread(cpu, 'cpuhp') with unstarted: true" }],
  io_uring_setup: [
    { kind: 'user', helper: 'child()' },
    { kind: 'kthread', helper: 'ringExitWorker()', ringExit: true },
  ],
};
/** Ops that start a task without needing current->mm (cpu_down kicks the cpuhp/N kthread). */
const NO_MM_STARTERS = new Set(['cpu_down']);

const isRingExitWorker = (t: TaskSpec): boolean => programWords(t.program)[0] === 'io_ring_exit';

/**
 * Start consistency: each unstarted task is started by exactly one clone/fork/use_mm_setup/
 * io_uring_setup/cpu_down of the right kind, and no task is started twice (a second enqueue
 * would corrupt the runqueue). Core's loader checks the latter too; checking here first gives
 * messages that name the helpers. Checks of the kit's own: an unstarted task nobody starts (it
 * would silently never run), an issuer without an mm (copy_mm, io_ring_ctx_alloc and the
 * drivers' mmgrab take current->mm; a kernel thread has none until kernel_execve), and a ring
 * exit kworker (ringExitWorker()) named anywhere but as io_uring_setup's second task.
 */
function checkStarts(tasks: Readonly<Record<string, TaskSpec>>): void {
  const startedBy = new Map<string, string>();
  for (const [name, t] of Object.entries(tasks)) {
    let hasMm = t.kthread !== true;
    for (const word of programWords(t.program)) {
      const [op, ...targets] = word.split(' ');
      if (op === 'kernel_execve' || op === 'exec') hasMm = true;
      const wanted = op !== undefined ? STARTERS[op] : undefined;
      if (wanted === undefined) continue;
      wanted.forEach((want, i) => {
        const target = targets[i];
        if (target === undefined) return;
        const spec = tasks[target];
        if (spec === undefined) return; // core names the unknown task
        if (!hasMm && !NO_MM_STARTERS.has(op!))
          throw new WorkloadError(`task "${name}": "${word}" needs current->mm, but ${name} is a kernel thread (kernel_execve first)`);
        if (spec.unstarted !== true) {
          throw new WorkloadError(`task "${name}": "${word}" starts ${target}, which is already runnable at the start: declare it unstarted (${want.helper})`);
        }
        if ((spec.kthread === true ? 'kthread' : 'user') !== want.kind) {
          throw new WorkloadError(
            `task "${name}": "${word}": ${op} starts a ${want.kind === 'user' ? 'user task' : 'kernel thread'} (${want.helper}) there, but ${target} is ${spec.kthread === true ? 'a kernel thread' : 'a user task'}`,
          );
        }
        if (want.ringExit === true && !isRingExitWorker(spec)) {
          throw new WorkloadError(`task "${name}": "${word}": ${target} must be the ring's exit kworker, whose program is io_ring_exit (ringExitWorker())`);
        }
        if (want.ringExit !== true && want.kind === 'kthread' && isRingExitWorker(spec)) {
          throw new WorkloadError(`task "${name}": "${word}": ${target} is a ring exit kworker (io_ring_exit): only io_uring_setup's second task may name it`);
        }
        const prev = startedBy.get(target);
        if (prev !== undefined) throw new WorkloadError(`task "${target}" is started twice ("${prev}" and "${name}: ${word}")`);
        startedBy.set(target, `${name}: ${word}`);
      });
    }
  }
  for (const [name, t] of Object.entries(tasks)) {
    if (t.unstarted === true && !startedBy.has(name)) {
      throw new WorkloadError(`task "${name}" is unstarted but no clone/fork/use_mm_setup/io_uring_setup/cpu_down op starts it`);
    }
  }
}

/** Translate scenario tasks (in declaration order) to core's explicit workload input. */
export function toExplicitWorkload(tasks: Readonly<Record<string, TaskSpec>>, extras: WorkloadExtras = {}): ExplicitWorkloadInput {
  checkStarts(tasks);
  const out = Object.entries(tasks).map(([name, t]) => {
    if (t.kthread === true && t.mm !== undefined) {
      throw new WorkloadError(`task "${name}": a kernel thread has no mm of its own (drop mm: '${t.mm}', or make it a user thread)`);
    }
    if (t.unstarted === true && t.mm !== undefined) {
      throw new WorkloadError(`task "${name}": an unstarted child gets its mm from the clone/fork that creates it; drop mm: '${t.mm}'`);
    }
    return {
      name,
      kind: t.kthread === true ? ('kthread' as const) : ('user' as const),
      cpu: t.cpu,
      ...(t.mm !== undefined ? { mm: t.mm } : {}),
      unstarted: t.unstarted === true,
      program: programWords(t.program),
    };
  });
  return {
    tasks: out,
    ...(extras.tickPreemptions !== undefined ? { tickPreemptions: extras.tickPreemptions } : {}),
    ...(extras.vcpuPreemptions !== undefined ? { vcpuPreemptions: extras.vcpuPreemptions } : {}),
    ...(extras.deepIdles !== undefined ? { deepIdles: extras.deepIdles } : {}),
  };
}
