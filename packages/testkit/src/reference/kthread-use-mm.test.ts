/**
 * kthread_use_mm workers (kernel/kthread.c kthread_use_mm / kthread_unuse_mm after
 * 6cad87b0d216; kernel-reference §2.6). Today's users are drivers that mmgrab the caller's mm
 * and hand it to a kernel thread (amdkfd, USB gadget ffs, vhost in kthread mode), which
 * mmget_not_zero / mmput around each use: the op `use_mm_setup <worker>` (the old
 * io_uring_setup of pre-5.12 io_uring, whose workers did this; io_uring now uses io-wq
 * threads, see io-uring.test.ts):
 *
 * - the worker can be the last mm_users holder: its mmput after kthread_unuse_mm runs
 *   __mmput -> exit_mmap in kernel-thread context, and the mm then lives on pinned by the
 *   driver's mmgrab and by the worker's CPU being lazy on it;
 * - the worker can do the final mmdrop: after the process is gone, mmget_not_zero fails
 *   (no resurrection, I11) and the pin's mmdrop as the worker exits frees the mm.
 */
import { describe, expect, it } from 'vitest';
import { referenceArch, SCHEMES } from '@lazytlb/core';
import { Scenario } from '../scenario/scenario.js';
import { useMmWorker, thread } from '../scenario/task-spec.js';

describe('kthread_use_mm (reference arch)', () => {
  it("refcount: the worker does the final mmput; the mm stays pinned by the driver's pin and the lazy CPU", () => {
    const s = new Scenario({
      arch: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      tasks: {
        T0: thread('P', 0, 'use_mm_setup W', 'run'),
        U: thread('Q', 0, 'run'),
        W: useMmWorker(1, 'kthread_use_mm', 'kwork', 'kthread_unuse_mm'),
      },
    });
    s.run(`
      CPU0: op            # context_switch swapper/0 -> T0
      CPU0: op            # use_mm_setup: the driver's mmgrab(P); W is woken on CPU1
    `);
    s.expectMm('P', { mm_users: 1, mm_count: 2 });
    s.expectTask('W', { state: 'runnable', cpu: 1 });

    s.run(`
      CPU1: op                       # swapper/1 -> W (kernel -> kernel: W is lazy on init_mm)
      CPU1: until mmget_not_zero     # mm_users 1 -> 2
      CPU1: until kthread_use_mm     # mmgrab(P); IRQs off: W->mm = W->active_mm = P; switch_mm_irqs_off
    `);
    s.expectTask('W', { mm: 'P', active_mm: 'P' });
    s.expectCpu(1, { curr: 'W', lazy: null, hw_root: 'P' });
    // users ref + the driver's mmgrab + kthread_use_mm's mmgrab
    s.expectMm('P', { mm_users: 2, mm_count: 3, mm_cpumask: [0, 1] });
    s.run('CPU1: op'); // kthread_use_mm's trailing mmdrop_lazy_tlb(init_mm): nothing to drop
    s.expectMm('P', { mm_count: 3 });

    // T0 exits on CPU0 but is not the last user: no exit_mmap.
    s.run(`
      CPU0: op                  # run
      CPU0: until do_task_dead  # exit_mm (lazy grab: 3 -> 4), mmput 2 -> 1
      CPU0: op                  # T0 -> U (kernel -> user): finish_task_switch drops T0's lazy ref
    `);
    s.expectNoEvent({ fn: 'exit_mmap' });
    s.expectMm('P', { stage: 'live', mm_users: 1, mm_count: 3, mm_cpumask: [1] });

    s.run(`
      CPU1: op                     # kwork
      CPU1: until kthread_unuse_mm # IRQs off: W->mm = NULL, mmgrab_lazy_tlb(P), enter_lazy_tlb
    `);
    s.expectTask('W', { mm: null, active_mm: 'P' });
    s.expectMm('P', { mm_count: 4 });
    s.run('CPU1: until kthread_unuse_mm "mmdrop"'); // mmdrop(P): kthread_use_mm's real reference
    s.expectMm('P', { mm_count: 3, mm_users: 1 });

    // The worker's mmput is the last: __mmput -> exit_mmap in the kworker's context on CPU1.
    s.run('CPU1: until mmput');
    expect(s.last.match?.text).toBe('P mm_users 1->0');
    s.expectMm('P', { stage: 'exiting', mm_users: 0 });
    s.run('CPU1: until exit_mmap');
    expect(s.last.match?.text).toBe('unmap_vmas P');
    expect(s.curr(1)).toBe('W');
    s.run('CPU1: until tlb_finish_mmu'); // after the final flush, the page tables are freed
    s.expectMm('P', { stage: 'tables_freed' });
    s.run('CPU1: op'); // finish mmput: __mmput's mmdrop of the users reference
    // The driver's mmgrab + W's lazy reference keep P.
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 2 });
    s.expectCpu(1, { curr: 'W', lazy: 'P' });

    s.run('CPU1: until do_exit "the worker\'s pin"'); // W exits: do_exit drops the pin: mmdrop(P): 2 -> 1
    s.expectMm('P', { mm_count: 1 });
    s.run('CPU1: until context_switch'); // dead W -> swapper/1: the lazy reference is transferred
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P' });

    // Nothing switches CPU1 to a user task again: P stays pinned at quiescence. That is by
    // design under REFCOUNT=y (I6 note: a bounded pin, one lazy mm per CPU), not a leak.
    s.finish();
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.expectCpu(1, { lazy: 'P' });
    s.expectNoViolation();
  });

  for (const scheme of SCHEMES) {
    it(`${scheme}: after the process exited, mmget_not_zero fails and the worker's exit drops the pin: the final mmdrop`, () => {
      const s = new Scenario({
        arch: referenceArch,
        scheme,
        cpus: 2,
        tasks: {
          T0: thread('P', 0, 'use_mm_setup W'),
          U: thread('Q', 0, 'run'),
          W: useMmWorker(1, 'kthread_use_mm', 'kwork', 'kthread_unuse_mm'),
        },
      });
      s.run(`
        CPU0: op                  # swapper/0 -> T0
        CPU0: op                  # use_mm_setup: mmgrab(P)
        CPU0: until do_task_dead  # T0 exits: last user; exit_mmap (mm_cpumask(P) = {0}: local flush only)
      `);
      // refcount: ring + T0's exit_mm lazy ref; otherwise the ring alone.
      s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: scheme === 'refcount' ? 2 : 1 });
      s.run('CPU0: op'); // T0 -> U: CPU0 leaves P (finish_task_switch drops the lazy ref under refcount)
      s.expectMm('P', { stage: 'tables_freed', mm_count: 1 });
      s.expectCpu(0, { curr: 'U', lazy: null, hw_root: 'Q' });

      s.run(`
        CPU1: op                   # swapper/1 -> W: lazy on init_mm
        CPU1: until mmget_not_zero # mm_users is 0: the ring may not resurrect P
      `);
      expect(s.last.match?.text).toMatch(/P has no users left: skip/);
      s.expectNoUseSite('mmget_not_zero'); // P is not freed: the read of mm_users is no use after free
      s.expectTask('W', { mm: null, active_mm: 'init_mm' });
      s.expectMm('P', { mm_users: 0, mm_count: 1 });
      s.expectNoEvent({ fn: 'kthread_use_mm', text: 'mm=' }); // the IRQs-off block never ran

      s.run(`
        CPU1: op                       # kwork
        CPU1: op                       # kthread_unuse_mm: W never got the mm, nothing to do
        CPU1: until do_exit            # do_exit: the pin's mmdrop(P): 1 -> 0
      `);
      // The final mmdrop is in that very step, in the worker's context on CPU1 (a call is not an
      // interleaving point: under SHOOTDOWN __mmdrop's cleanup_lazy_tlbs starts in the same step).
      expect(s.last.events.map((e) => e.fn)).toEqual(scheme === 'shootdown' ? ['do_exit', '__mmdrop', 'cleanup_lazy_tlbs'] : ['do_exit', '__mmdrop']);
      s.expectMm('P', { mm_count: 0 });
      if (scheme === 'shootdown') {
        // cleanup_lazy_tlbs finds mm_cpumask(P) empty: CPU0 left P through leave_mm and its
        // kept bit went when it switched to Q, so no CPU gets a do_shoot_lazy_tlb IPI.
        s.expectMm('P', { mm_cpumask: [] });
        s.expectNoEvent({ fn: 'do_shoot_lazy_tlb' });
        s.expectCpu(0, { curr: 'U', active_mm: 'Q' });
      }
      s.run('CPU1: until free_mm');
      s.expectMmFreed('P');
      expect(s.findEvents({ fn: 'free_mm', mm: 'P' })[0]?.cpu).toBe(1);
      s.expectNoViolation();
      // No CPU names P any more (W never got it; CPU0 moved on to Q): no hazard for P.
      s.expectNoHazard();
      if (scheme === 'none') {
        // Without lazy references U's own exit frees Q under its active_mm: every last-thread
        // exit does that under REFCOUNT=n without shoot-lazies (the __mmdrop WARN, an I3
        // hazard on CPU0). What comes next: CPU0 idles on the freed Q with nothing left to run,
        // so nothing uses it and the run completes.
        s.finish();
        const [h] = s.expectHazard('I3', { cpu: 0, holder: 'active_mm', mm: 'Q' });
        expect(h).toMatchObject({ task: 'U', open: true });
        expect(s.expectUseSite('__mmdrop', 'warn').mm).toBe('Q');
        expect(s.hazards()).toHaveLength(1);
        s.expectNoViolation();
      } else {
        s.finish();
        s.expectNoViolation();
      }
    });
  }
});
