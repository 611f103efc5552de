/**
 * exec of a kernel thread (kernel_execve, as call_usermodehelper does; fs/exec.c
 * exec_mmap with old_mm == NULL, kernel-reference §2.2): the kthread's lazy active_mm is
 * replaced by the new mm inside the IRQs-off block, and the lazy reference, parked in
 * exec_mmap's local `active_mm`, is dropped by mmdrop_lazy_tlb(active_mm) afterwards —
 * which can be the final mmdrop of a dead process's mm.
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { Scenario } from '../scenario/scenario.js';
import { kthread, thread } from '../scenario/task-spec.js';

describe('kernel_execve (reference arch)', () => {
  it('refcount: the exec of a kthread lazy on a dead mm does its final mmdrop', () => {
    const s = new Scenario({
      arch: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      tasks: {
        T0: thread('P', 1, 'run'),
        K: kthread(1, 'kwork', 'kernel_execve', 'run'),
      },
    });
    s.run(`
      CPU1: op                  # swapper/1 -> T0
      CPU1: op                  # run
      CPU1: until do_task_dead  # T0 exits: exit_mmap; __mmput's mmdrop leaves T0's lazy ref
    `);
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.run('CPU1: op'); // dead T0 -> K (kernel -> kernel): K inherits the lazy reference
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'init_mm' }); // the final flush moved the root (leave_mm)
    s.expectMm('P', { mm_count: 1 });

    s.run(`
      CPU1: op                  # kwork
      CPU1: until bprm_mm_init  # mm_alloc: the new mm
      CPU1: until exec_mmap     # IRQs off: K->mm = K->active_mm = new; activate_mm (IRQs-off activate_mm)
    `);
    s.nameMm('N', s.mmOf('K'));
    s.expectTask('K', { mm: 'N', active_mm: 'N' });
    s.expectCpu(1, { lazy: null, hw_root: 'N' });
    s.expectMm('N', { stage: 'live', mm_users: 1, mm_count: 1, mm_cpumask: [1] });
    // The lazy reference now sits in exec_mmap's local active_mm: still counted, P not freed.
    s.expectMm('P', { stage: 'tables_freed', mm_count: 1 });

    s.run('CPU1: step'); // mmdrop_lazy_tlb(active_mm): the final mmdrop of P
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['exec_mmap: mmdrop_lazy_tlb(P)', '__mmdrop: P mm_count 1->0']);
    s.run('CPU1: until free_mm');
    s.expectMmFreed('P');
    s.expectNoViolation();

    // K now is a user task of N: it runs and exits; N is then pinned by CPU1's idle task.
    s.finish();
    s.expectTask('K', { state: 'dead' });
    s.expectMm('N', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'N' });
  });

  it('refcount: kernel_execve while another CPU runs the mm only drops a lazy reference', () => {
    // K on CPU1 is lazy on P (a live process still running on CPU0): exec must not free P.
    const s = new Scenario({
      arch: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      tasks: {
        T0: thread('P', 0, 'run', 'run'),
        T1: thread('P', 1, 'sleep 1'),
        K: kthread(1, 'kernel_execve'),
      },
    });
    s.run(`
      CPU0: op            # swapper/0 -> T0
      CPU1: op            # swapper/1 -> T1
      CPU1: op            # T1: sleep
      CPU1: op            # T1 -> K (user -> kernel): mmgrab_lazy_tlb(P)
    `);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'P' });
    s.expectMm('P', { mm_users: 2, mm_count: 2 });
    s.run('CPU1: op'); // kernel_execve: bprm_mm_init, exec_mmap, mmdrop_lazy_tlb(P)
    s.expectMm('P', { stage: 'live', mm_users: 2, mm_count: 1 });
    s.expectTask('K', { mm: s.mmOf('K'), active_mm: s.mmOf('K') });
    expect(s.mmOf('K')).not.toBe(s.mmId('P'));
    expect(s.hwRoot(1)).toBe(s.mmOf('K'));
    s.finish();
    s.expectMm('P', { mm_users: 0 });
  });
});
