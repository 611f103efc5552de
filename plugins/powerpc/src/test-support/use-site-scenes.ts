/**
 * Interleavings that bring a dangling lazy active_mm to each powerpc use site (test-only). Every
 * function runs one script for any scheme: under `none` the lazy pointer dangles and the site
 * fires; under `refcount` (and `shootdown`) the same steps are clean.
 *
 * The SLUB model hands a CPU's most recently freed mm_struct out first, from that CPU's active
 * slab, and the mms a scenario declares are allocated on the CPU of their first task. So an mm
 * freed on CPU0 is the next one CPU0 allocates (ABA), and the PID allocator (ida, lowest free
 * id) decides whether the new mm also gets the dead mm's PID:
 * - with a process R whose PID (1) is freed first and loaded nowhere any more, the new mm N
 *   gets P's address but R's PID: `prev == next` then leaves P's PID loaded (the harmful case);
 * - without R, N gets P's address and P's PID (the benign case on hash; on radix the PID
 *   handed out while a lazy CPU still has it loaded is I1 at the fork).
 */
import type { Scheme } from '@lazytlb/core';
import { child, kthread, scenario, thread, useMmWorker, type Scenario } from '@lazytlb/testkit';
import powerpc from '../index.js';
import { untilServingIpis } from './scenario-helpers.js';

export type Opts = Record<string, unknown>;

/** R0 (process R) runs and exits on CPU0, then T0 (P) runs on CPU0: R's PID is free and loaded nowhere. */
const R_FIRST = `
  CPU0: op                    # swapper/0 -> R0: SPRN_PID = R's (1)
  CPU0: op                    # run
  CPU0: until do_task_dead    # R0 exits: R's last user (none: free_mm(R) here, CPU0 lazy on it)
  CPU0: op                    # R0 -> T0: SPRN_PID = P's (2)
  CPU0: op                    # run
`;

/** T1 (P) runs and exits on CPU1; CPU1 ends lazy on P (swapper/1), SPRN_PID = P's. */
const T1_LAZY = `
  CPU1: op                    # swapper/1 -> T1: SPRN_PID = P's, bit 1 in mm_cpumask(P)
  CPU1: op                    # run
  CPU1: until do_task_dead    # T1 exits: mmput 2 -> 1
  CPU1: op                    # T1 -> swapper/1: lazy on P
`;

/**
 * context_switch: CPU1 is lazy on P when P's last thread T0 exits on CPU0; U forks V on CPU0
 * (N = P's slab address; PID 1 = R's, or P's own with `samePid`); CPU1 switches swapper/1 -> V:
 * switch_mm_irqs_off(prev = P, next = N).
 */
export function abaContextSwitch(scheme: Scheme, archOptions: Opts, samePid = false): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      ...(samePid ? {} : { R0: thread('R', 0, 'run') }),
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1, 'run'),
      U: thread('Q', 0, 'run', 'fork V', 'yield'),
      V: child(1, 'run'),
    },
  });
  s.run(T1_LAZY);
  s.run(samePid ? 'CPU0: op  # swapper/0 -> T0\nCPU0: op  # run' : R_FIRST);
  untilServingIpis(s, 0, 'do_task_dead'); // T0 exits last (none: free_mm(P) on CPU0)
  s.run(`
    CPU0: op                  # T0 -> U
    CPU0: op                  # run
    CPU0: op                  # fork V: dup_mm on CPU0
  `);
  if (s.violation !== null) return s;
  s.nameMm('N', s.mmOf('V'));
  s.run('CPU1: op             # swapper/1 -> V: switch_mm_irqs_off(P, N)');
  return s;
}

/**
 * activate_mm: kthread K on CPU0 inherits the lazy P from T0 (P's last thread) and execs
 * (kernel_execve): bprm_mm_init allocates N on CPU0 (P's address, R's PID), exec_mmap's
 * activate_mm(active_mm = P, N).
 */
export function abaActivateMm(scheme: Scheme, archOptions: Opts): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      R0: thread('R', 0, 'run'),
      T0: thread('P', 0, 'run'),
      K: kthread(0, 'kernel_execve', 'run'),
    },
  });
  s.run(R_FIRST);
  untilServingIpis(s, 0, 'do_task_dead');
  s.run(`
    CPU0: op                  # T0 -> K: K lazy on P (none: freed)
    CPU0: until exec_mmap     # kernel_execve: bprm_mm_init (N on CPU0), exec_mmap: activate_mm(P, N): cpumask_set_cpu
    CPU0: until switch_mm_irqs_off "smp_mb()"  # inc_mm_active_cpus | smp_mb(), then prev == next
  `);
  return s;
}

/**
 * kthread_use_mm: CPU1 is lazy on P (swapper/1) when P's last thread exits on CPU0; U forks V on
 * CPU0 (N at P's address, R's PID); V hands N to the worker W (use_mm_setup: mmgrab), which
 * starts on CPU1 lazy on P and calls kthread_use_mm(N): switch_mm_irqs_off(P, N).
 */
export function abaKthreadUseMm(scheme: Scheme, archOptions: Opts): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      R0: thread('R', 0, 'run'),
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1, 'run'),
      U: thread('Q', 0, 'run', 'fork V', 'yield'),
      V: child(0, 'use_mm_setup W', 'run'),
      W: useMmWorker(1, 'kthread_use_mm', 'kthread_unuse_mm'),
    },
  });
  s.run(T1_LAZY);
  s.run(R_FIRST);
  untilServingIpis(s, 0, 'do_task_dead');
  s.run(`
    CPU0: op                  # T0 -> U
    CPU0: op                  # run
    CPU0: op                  # fork V: N on CPU0
    CPU0: op                  # yield
    CPU0: op                  # U -> V
    CPU0: op                  # use_mm_setup W: mmgrab(N), W queued on CPU1
  `);
  s.nameMm('N', s.mmOf('V'));
  s.run(`
    CPU1: op                  # swapper/1 -> W: kernel -> kernel, W lazy on P
    CPU1: until kthread_use_mm "mm="            # kthread_use_mm(N): switch_mm_irqs_off(P, N): cpumask_set_cpu
    CPU1: until switch_mm_irqs_off "smp_mb()"  # inc_mm_active_cpus | smp_mb(), then prev == next
  `);
  return s;
}

/**
 * A lazy pointer to P that dangles and then reaches switch_mm_irqs_off as `prev` (no ABA): T1
 * exits on CPU1 (dead, lazy on its own P) and P's last thread T0 exits on CPU0 before CPU1
 * schedules again; then CPU1 switches T1 -> U (process Q): prev = P. Without DEBUG_VM nothing
 * reads P: a hazard only. `then: 'text_poke'`: the next task on CPU1 is a kernel thread that
 * patches text instead (radix start/stop_using_temp_mm with orig_mm = P).
 */
export function lazyOnFreed(scheme: Scheme, archOptions: Opts, then: 'user' | 'text_poke' = 'user'): Scenario {
  const s = scenario({
    arch: powerpc,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1, 'run'),
      ...(then === 'user' ? { U: thread('Q', 1, 'run') } : { K: kthread(1, 'text_poke') }),
    },
  });
  s.run(`
    CPU1: op                  # swapper/1 -> T1
    CPU1: op                  # run
    CPU1: until do_task_dead  # T1 exits: dead, lazy on P (exit_mm)
    CPU0: op                  # swapper/0 -> T0
    CPU0: op                  # run
  `);
  untilServingIpis(s, 0, 'do_task_dead'); // T0 exits last: none: free_mm(P) while CPU0 and CPU1 name it
  s.run(then === 'user' ? 'CPU1: op  # T1 -> U: switch_mm_irqs_off(prev = P, next = Q)' : 'CPU1: op  # T1 -> K: K lazy on P\nCPU1: op  # text_poke');
  return s;
}
