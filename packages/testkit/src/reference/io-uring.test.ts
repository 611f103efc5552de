/**
 * io_uring as today's kernels run it (since 5.12; core model/io-uring.ts): io_uring_setup()
 * pins the owner's mm for memory accounting (ctx->mm_account = current->mm; mmgrab) and starts
 * an io-wq worker with create_io_thread(): a CLONE_VM PF_IO_WORKER thread, ->mm set like any
 * thread of the process (no kthread_use_mm). When the owner exits, exit_files() ->
 * io_uring_release() queues io_ring_exit_work on a kworker, which ends in io_ring_ctx_free()
 * -> mmdrop(ctx->mm_account): the ring's pin is dropped from a kernel thread, lazy on whatever
 * its CPU had.
 *
 * DSL: `io_uring_setup <io-wq thread> <exit kworker>`, the io-wq thread declared with child()
 * and the kworker with ringExitWorker() (its program is io_ring_exit).
 *
 * Interleaving (reference arch, 2 CPUs): T0 sets up a ring; its io-wq thread IOW runs on CPU1
 * and exits (CPU1 idles lazy on P); T0 exits last (mm_users 0: exit_mmap; the final flush
 * moves CPU1's root to init_mm); T0's exit_files queues the ring's exit work on X (CPU1). X is
 * switched in from CPU1's idle task, so it is lazy on P itself, and drops the ring's pin.
 *   refcount:  CPU0 and CPU1 hold lazy references: the pin is not the last; P stays pinned by
 *              the lazy CPUs at quiescence (by design: one lazy mm per CPU).
 *   shootdown: the pin is the final mmdrop; cleanup_lazy_tlbs shoots CPU1 (X itself, locally)
 *              and CPU0 before P is freed.
 *   none:      the pin is the final mmdrop, done by X while X is lazy on P: the __mmdrop WARN,
 *              and both CPUs' active_mm dangle (I3 hazards). Nothing uses them afterwards (X
 *              dies, both CPUs idle): the run completes.
 */
import { describe, expect, it } from 'vitest';
import { SCHEMES, referenceArch, type Scheme } from '@lazytlb/core';
import { Scenario } from '../scenario/scenario.js';
import { child, ringExitWorker, thread } from '../scenario/task-spec.js';

function ringScenario(scheme: Scheme): Scenario {
  const s = new Scenario({
    arch: referenceArch,
    scheme,
    cpus: 2,
    tasks: { T0: thread('P', 0, 'io_uring_setup IOW X', 'run'), IOW: child(1, 'run'), X: ringExitWorker(1) },
  });
  s.run(`
    CPU0: op                               # swapper/0 -> T0
    CPU0: op                               # io_uring_setup: mmgrab(P) for the ring; create_io_thread IOW (CLONE_VM)
  `);
  s.expectMm('P', { mm_users: 2, mm_count: 2 }); // two threads; the users reference + the ring's pin
  s.expectTask('IOW', { state: 'runnable', cpu: 1, mm: 'P' });
  s.expectTask('X', { state: 'unstarted' });
  s.run(`
    CPU1: op                               # swapper/1 -> IOW
    CPU1: op                               # IOW: run
    CPU1: until do_task_dead               # IOW exits: mmput 2 -> 1
    CPU1: until context_switch             # IOW -> swapper/1: CPU1 is lazy on P
    CPU0: op                               # T0: run
    CPU0: until exit_mmap "free_pgtables"  # T0 exits last: exit_mmap's final flush IPIs CPU1
    CPU1: irq                              # flush_tlb_func: leave_mm
    CPU0: until do_task_dead               # __mmput's mmdrop; exit_files -> io_uring_release queues X
  `);
  expect(s.findEvents({ fn: 'io_uring_release' }).map((e) => e.text)).toEqual(['queue io_ring_exit_work on X']);
  s.expectTask('X', { state: 'runnable', cpu: 1 });
  s.run(`
    CPU1: until context_switch             # swapper/1 -> X (kernel -> kernel: X is lazy on P)
  `);
  s.expectCpu(1, { curr: 'X', lazy: 'P' });
  return s;
}

describe("today's io_uring: the ring's exit kworker drops the mm pin (reference arch)", () => {
  it("refcount: the lazy CPUs still hold P; io_ring_ctx_free's mmdrop is not the last", () => {
    const s = ringScenario('refcount');
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 3 }); // the pin + CPU0's and CPU1's lazy refs
    s.run('CPU1: until io_ring_ctx_free');
    expect(s.last.match?.text).toBe('mmdrop(P) (ctx->mm_account)');
    s.expectMm('P', { mm_count: 2 });
    s.finish();
    s.expectMm('P', { stage: 'tables_freed', mm_count: 2 }); // pinned by both idle CPUs at quiescence
    s.expectNoHazard();
  });

  it('shootdown: the pin is the final mmdrop; cleanup_lazy_tlbs shoots X (locally) and CPU0 before free_mm', () => {
    const s = ringScenario('shootdown');
    s.expectMm('P', { mm_count: 1 }); // the pin alone
    s.run('CPU1: until cleanup_lazy_tlbs');
    expect(s.last.events.map((e) => e.fn)).toEqual([
      'io_ring_exit_work',
      'io_ring_ctx_free',
      '__mmdrop',
      'cleanup_lazy_tlbs',
      'smp_call_function',
      'do_shoot_lazy_tlb',
    ]);
    s.run('CPU0: irq until do_shoot_lazy_tlb');
    s.run('CPU1: until free_mm');
    s.expectMmFreed('P');
    s.expectCpu(0, { lazy: 'init_mm' });
    s.expectCpu(1, { curr: 'X', lazy: 'init_mm' });
    s.finish();
    s.expectNoHazard();
  });

  it("none: X frees P while lazy on it (the __mmdrop WARN); both CPUs' active_mm dangle, nothing uses them, the run completes", () => {
    const s = ringScenario('none');
    s.run('CPU1: until free_mm');
    s.expectMmFreed('P');
    s.expectNoViolation();
    expect(s.expectUseSite('__mmdrop', 'warn')).toMatchObject({ cpu: 1, mm: 'P' });
    expect(s.expectHazard('I3', { cpu: 1, mm: 'P' })[0]).toMatchObject({ task: 'X', holder: 'active_mm' });
    // CPU0: T0 is dead but still rq->curr (its switch to the idle task comes later), so the
    // holder is T0's active_mm; the idle task inherits the pointer at that switch.
    expect(s.expectHazard('I3', { cpu: 0, mm: 'P' })[0]).toMatchObject({ task: 'T0', holder: 'active_mm' });
    // What comes next: X dies and CPU1 idles; CPU0 idles: no switch to another mm, no flush of P.
    expect(s.finish().outcome).toBe('ok');
    // Each record follows its CPU's pointer (kernel -> kernel switches hand it on): still open.
    expect(s.hazards().map((h) => [h.cpu, h.open])).toEqual([
      [0, true],
      [1, true],
    ]);
  });

  it("the scenario names the ring's parts with their helpers (start checks)", () => {
    for (const scheme of SCHEMES) expect(() => ringScenario(scheme)).not.toThrow();
    expect(
      () =>
        new Scenario({
          arch: referenceArch,
          scheme: 'refcount',
          cpus: 2,
          tasks: { T0: thread('P', 0, 'io_uring_setup IOW X'), IOW: child(1), X: child(1) },
        }),
    ).toThrow(/io_uring_setup starts a kernel thread \(ringExitWorker\(\)\) there, but X is a user task/);
  });
});
