/**
 * The canonical workloads (issue 15): small explicit workloads, one per race of
 * kernel-reference §5 and §7, each small enough for an exhaustive search (2 CPUs where the race
 * allows, 2–3 tasks, a few ops) and each written so that the race happens on some schedule (a
 * CPU is lazy on the mm while another CPU exits / execs / unmaps / flushes / takes it down).
 *
 * A cell names one as `canonical:NAME` wherever a profile name is accepted
 * (SimulatorOptions.workload, a matrix file's `workload`, `--workload`); profiles keep their
 * plain names. `{ profile: "canonical:NAME" }` is the same (it takes no `params`).
 *
 * The cell records the resolved explicit workload (CellConfig.workload = { explicit }), not the
 * name: an artifact then replays without a lookup in this table, and by a core that no longer
 * has (or has changed) the definition, like a shrunk artifact's cell. The cost is that editing a
 * canonical workload changes the ids (and seeds) of the cells that name it. That is what a
 * profile edit does too (a profile cell records its resolved params), and it is right: another
 * workload is another cell, whose old results must not be merged with the new ones. A sweep's
 * results.json keeps the name as the user wrote it (its cell spec), for labels.
 *
 * Edit a workload here only knowing that; add a new one under a new name instead.
 */
import type { ExplicitWorkloadInput } from './explicit.js';
import { WorkloadError } from './explicit.js';

export interface CanonicalWorkload {
  /** One sentence, in kernel function names. */
  readonly description: string;
  /** Where the race is described: a kernel-reference section. */
  readonly source: string;
  /** The CPU count it is written for (its tasks use CPUs 0..cpus-1); a cell may have more. */
  readonly cpus: number;
  readonly workload: ExplicitWorkloadInput;
}

export const CANONICAL_PREFIX = 'canonical:';
/** How a cell names a canonical workload. */
export type CanonicalWorkloadRef = `canonical:${string}`;

export const CANONICAL_WORKLOADS = {
  'exit-while-lazy': {
    description:
      'The two threads of one process exit on two CPUs: the first do_exit() -> exit_mm() leaves its CPU lazy on the mm ' +
      '(enter_lazy_tlb), and the second exit_mm() -> mmput() -> __mmput() -> exit_mmap() -> mmdrop() runs while it still is.',
    source: 'kernel-reference §2.3, §2.8, §5.2 (C1)',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['run', 'exit'] },
        { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['run', 'exit'] },
      ],
    },
  },
  'exec-while-lazy': {
    description:
      'A thread of the mm execs (exec_mmap() -> mmput(old_mm)) while its sibling has exited on the other CPU, which is ' +
      'lazy on the old mm; a kernel thread there then kernel_execve()s, and exec_mmap() drops its lazy active_mm ' +
      '(mmdrop_lazy_tlb), with one tick preemption to place anywhere.',
    source: 'kernel-reference §2.2, §7.2 (d53c3dfb23c4)',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['exec', 'migrate 1', 'exit'] },
        { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['exit'] },
        { name: 'K', kind: 'kthread', cpu: 1, program: ['kernel_execve', 'exit'] },
      ],
      tickPreemptions: 1,
    },
  },
  'kthread-use-mm-vs-flush': {
    description:
      'A process starts a worker that kthread_use_mm()s its mm on the other CPU while the process munmap()s ' +
      '(flush_tlb_mm_range() IPIs mm_cpumask), then exits; the worker kthread_unuse_mm()s and stays lazy on the mm.',
    source: 'kernel-reference §2.6, §7.1 (38cf307c1f20), §7.3–7.4',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'P', kind: 'user', cpu: 0, mm: 'M', program: ['use_mm_setup W', 'munmap', 'exit'] },
        { name: 'W', kind: 'kthread', cpu: 1, unstarted: true, program: ['kthread_use_mm', 'kwork', 'kthread_unuse_mm', 'exit'] },
      ],
    },
  },
  'hotplug-vs-exit': {
    description:
      "A thread sleeps on CPU1 (CPU1's idle task lazy on its mm) and wakes on CPU0 to exit (the final mmput() -> " +
      '__mmdrop()) while a control thread on CPU0 takes CPU1 down (cpuhp: sched_cpu_wait_empty -> sched_force_init_mm, ' +
      'take_cpu_down -> clear_tasks_mm_cpumask, idle_task_exit, finish_cpu) and back up.',
    source: 'kernel-reference §2.7, §7.5 (bf2c59fce407), §7.7 (21641bd9a7a7)',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'A', kind: 'user', cpu: 1, mm: 'M', program: ['munmap all', 'sleep 0', 'exit'] },
        { name: 'C', kind: 'user', cpu: 0, mm: 'N', program: ['yield'] },
        { name: 'ctl', kind: 'kthread', cpu: 0, program: ['cpu_down hp', 'cpu_up 1'] },
        { name: 'hp', kind: 'kthread', cpu: 1, unstarted: true, program: ['cpuhp'] },
      ],
    },
  },
  'munmap-freed-tables-vs-lazy': {
    description:
      'A thread munmap()s a range whose page tables are freed (flush_tlb_mm_range(freed_tables=1): lazy CPUs leave_mm() ' +
      'to init_mm) while its sibling has exited and left the other CPU lazy on the mm, then munmap()s again and exits ' +
      '(__mmdrop -> cleanup_lazy_tlbs under shootdown).',
    source: 'kernel-reference §5.2 (B), §3.1.6, §7.8 (2ff6ddf19c0e)',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['munmap freed-tables', 'munmap', 'exit'] },
        { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['exit'] },
      ],
    },
  },
  'fork-racing-exit': {
    description:
      'A thread fork()s (copy_mm -> dup_mm) a child that runs on the other CPU while its sibling exits there and leaves ' +
      'that CPU lazy on the parent mm; the parent then exits (the final mmput), and the child exits on its own mm.',
    source: 'kernel-reference §2.1, §2.3, §2.8',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'A', kind: 'user', cpu: 0, mm: 'M', program: ['fork C', 'exit'] },
        { name: 'B', kind: 'user', cpu: 1, mm: 'M', program: ['exit'] },
        { name: 'C', kind: 'user', cpu: 1, unstarted: true, program: ['exit'] },
      ],
    },
  },
  'switch-vs-flush': {
    description:
      'CPU1 switches back and forth between two processes (switch_mm_irqs_off() to an mm whose mm_cpumask bit it may still ' +
      'have) while a sibling thread of one of them munmap()s on CPU0 (flush_tlb_mm_range() -> should_flush_tlb(): Stephen ' +
      "Dolan's reproducer's shape).",
    source: 'kernel-reference §7.9 (fea4e317f9e7, 83b0177a6c48), §3.1.5',
    cpus: 2,
    workload: {
      tasks: [
        { name: 'R', kind: 'user', cpu: 1, mm: 'P', program: ['yield', 'run'] },
        { name: 'Q', kind: 'user', cpu: 1, mm: 'Q', program: ['yield', 'run'] },
        { name: 'W', kind: 'user', cpu: 0, mm: 'P', program: ['munmap', 'run'] },
      ],
    },
  },
} as const satisfies Record<string, CanonicalWorkload>;

export type CanonicalName = keyof typeof CANONICAL_WORKLOADS;
export const CANONICAL_NAMES = Object.keys(CANONICAL_WORKLOADS) as CanonicalName[];

/** `canonical:exit-while-lazy, canonical:exec-while-lazy, ...` (for messages). */
export function canonicalRefsText(): string {
  return CANONICAL_NAMES.map((n) => CANONICAL_PREFIX + n).join(', ');
}

/** True for a string of the form `canonical:...` (known name or not). */
export function isCanonicalRef(v: unknown): v is CanonicalWorkloadRef {
  return typeof v === 'string' && v.startsWith(CANONICAL_PREFIX);
}

/** True for `canonical:NAME` with NAME in CANONICAL_WORKLOADS. */
export function isKnownCanonicalRef(v: unknown): v is CanonicalWorkloadRef {
  return isCanonicalRef(v) && Object.hasOwn(CANONICAL_WORKLOADS, v.slice(CANONICAL_PREFIX.length));
}

/** The canonical workload a `canonical:NAME` names; a WorkloadError listing the names if none. */
export function canonicalWorkload(ref: string): CanonicalWorkload {
  const name = ref.startsWith(CANONICAL_PREFIX) ? ref.slice(CANONICAL_PREFIX.length) : ref;
  if (!Object.hasOwn(CANONICAL_WORKLOADS, name)) {
    throw new WorkloadError(`unknown canonical workload "${ref}": allowed ${canonicalRefsText()}`);
  }
  return CANONICAL_WORKLOADS[name as CanonicalName];
}

/**
 * The explicit workload of a cell's `canonical:NAME` (a string, or `{ profile: "canonical:NAME" }`
 * without params) on `cpus` CPUs; null when `spec` names no canonical workload (a profile).
 * Throws a WorkloadError for an unknown name, params given, or too few CPUs.
 */
export function canonicalWorkloadFor(spec: unknown, cpus: number): ExplicitWorkloadInput | null {
  let ref: unknown = spec;
  if (typeof spec === 'object' && spec !== null && 'profile' in spec) {
    ref = (spec as { profile: unknown }).profile;
    const other = Object.keys(spec).filter((k) => k !== 'profile');
    if (isCanonicalRef(ref) && other.length > 0) {
      throw new WorkloadError(`workload "${ref}" is an explicit workload: it takes no ${other.join(', ')} (only { profile: "${ref}" })`);
    }
  }
  if (!isCanonicalRef(ref)) return null;
  const c = canonicalWorkload(ref);
  if (cpus < c.cpus) {
    throw new WorkloadError(`workload "${ref}" is written for ${c.cpus} CPUs (its tasks run on CPUs 0..${c.cpus - 1}); this cell has ${cpus}`);
  }
  return c.workload;
}
