/**
 * The last thread of a process exits while another CPU is lazy on its mm
 * (kernel-reference §2.8, and §5.1 columns A/B/C for an arch whose final exit flush moves
 * lazy CPUs' MMU roots to init_mm, as x86's flush_tlb_func does and the reference arch
 * copies). The same interleaving under the three schemes:
 *
 *   refcount  (A): P survives exit_mmap, pinned by CPU1's lazy reference, and is freed by
 *                  CPU1's own finish_task_switch (mmdrop_lazy_tlb_sched) when it next runs
 *                  a user task;
 *   none      (C): nothing pins P: __mmput's mmdrop frees it while CPUs still have it as
 *                  active_mm -> I3 (lazy-pointer-live);
 *   shootdown (B): __mmdrop's cleanup_lazy_tlbs IPIs mm_cpumask(P); do_shoot_lazy_tlb moves
 *                  CPU1 to init_mm before mm_free_pgd / free_mm.
 *
 * Tasks:
 *   CPU0: T0 (thread of P) runs and exits last; then U (process Q) runs and clones V onto CPU1
 *   CPU1: T1 (thread of P) exits first and CPU1 idles, lazy on P; later V (Q) is switched in
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { Scenario, type ScenarioOptions } from '../scenario/scenario.js';
import { child, useMmWorker, thread } from '../scenario/task-spec.js';

function exitWhileLazy(scheme: ScenarioOptions['scheme']): Scenario {
  return new Scenario({
    arch: referenceArch,
    scheme,
    cpus: 2,
    tasks: {
      T0: thread('P', 0, 'run'),
      T1: thread('P', 1),
      U: thread('Q', 0, 'run', 'clone V'),
      V: child(1, 'run'),
    },
  });
}

/**
 * CPU1 runs T1, which exits (exit_mm: T1 becomes a lazy holder of P; mmput: mm_users
 * 2 -> 1); CPU1 switches to its idle task, which takes over T1's lazy reference
 * (context_switch kernel -> kernel: a transfer, no atomic).
 */
function cpu1ExitsAndIdles(s: Scenario): void {
  s.run(`
    CPU1: op                    # context_switch swapper/1 -> T1 (and finish_task_switch)
    CPU1: until exit_mm         # T1: mm = NULL, lazy on P
    CPU1: until do_task_dead    # mmput: mm_users 2 -> 1
    CPU1: until context_switch  # T1 -> swapper/1: the idle task is now lazy on P
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  s.expectTask('T1', { state: 'dead', mm: null, active_mm: null });
}

/**
 * CPU0 runs T0 up to its exit_mmap's final flush (tlb_finish_mmu -> flush_tlb_mm_range
 * with freed_tables: IPI to mm_cpumask(P) = {0,1}, wait=1), and CPU1 takes that IPI
 * (flush_tlb_func: lazy and tables freed -> leave_mm: its root moves to init_mm).
 */
function cpu0ExitsUntilFinalFlush(s: Scenario): void {
  s.run(`
    CPU0: op                    # context_switch swapper/0 -> T0
    CPU0: op                    # run
    CPU0: until exit_mm         # T0: mm = NULL, lazy on P
    CPU0: until mmput           # mm_users 1 -> 0: __mmput
  `);
  s.expectMm('P', { stage: 'exiting', mm_users: 0 });
  s.run(`
    CPU0: until exit_mmap       # final flush: IPI -> CPU1; CPU0 spins until CPU1 ran it
    CPU1: irq until flush_tlb_func
  `);
  s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
}

describe('exit while another CPU is lazy on the mm (reference arch)', () => {
  it('refcount: the lazy CPU pins P past exit_mmap; its finish_task_switch does the final mmdrop', () => {
    const s = exitWhileLazy('refcount');
    // Before the run: two threads (mm_users 2) and the one mm_count the users stand for.
    s.expectMm('P', { stage: 'live', mm_users: 2, mm_count: 1 });

    cpu1ExitsAndIdles(s);
    // mm_count: users ref + CPU1's lazy ref (exit_mm's mmgrab_lazy_tlb, moved to the idle task).
    s.expectMm('P', { stage: 'live', mm_users: 1, mm_count: 2, mm_cpumask: [1] });

    cpu0ExitsUntilFinalFlush(s);
    // users ref + T0's exit_mm lazy ref + CPU1's lazy ref.
    s.expectMm('P', { stage: 'exiting', mm_users: 0, mm_count: 3 });

    s.run('CPU0: until do_task_dead'); // tlb_finish_mmu frees the tables; __mmput's mmdrop: 3 -> 2
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 2 });
    s.expectNoEvent({ fn: '__mmdrop', mm: 'P' });

    s.run('CPU0: op'); // context_switch T0 -> U (kernel -> user): rq->prev_mm = P; finish_task_switch drops T0's ref
    s.expectCpu(0, { curr: 'U', lazy: null, hw_root: 'Q' });
    // P survives, pinned only by CPU1's lazy reference.
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P' });

    s.run(`
      CPU0: op   # U: run
      CPU0: op   # U: clone V (CLONE_VM) -> V is enqueued on CPU1
    `);
    s.expectTask('V', { state: 'runnable', cpu: 1, mm: 'Q' });
    s.expectMm('P', { stage: 'tables_freed', mm_count: 1 });

    // CPU1 switches to V: switch_mm_irqs_off(P, Q); rq->prev_mm = P; the idle task's active_mm = NULL.
    s.run('CPU1: step');
    s.expectCpu(1, { curr: 'V', lazy: null, hw_root: 'Q', prev_mm: null });
    s.expectMm('P', { stage: 'tables_freed', mm_count: 1 }); // the ref now sits in finish_task_switch's local `mm`
    s.expectTask('swapper/1', { active_mm: null });

    // finish_task_switch after finish_lock_switch (IRQs on): mmdrop_lazy_tlb_sched(P) is the final mmdrop.
    s.run('CPU1: step');
    const fts = s.last.events.find((e) => e.fn === 'finish_task_switch');
    const drop = s.last.events.find((e) => e.fn === '__mmdrop');
    expect(fts?.text).toBe('mmdrop_lazy_tlb_sched(P)');
    expect(drop).toMatchObject({ cpu: 1, text: 'P mm_count 1->0' });
    s.expectMm('P', { mm_count: 0, stage: 'tables_freed' });

    // __mmdrop runs on CPU1: mm_free_pgd, destroy_context, free_mm (each its own step).
    s.run('CPU1: until free_mm');
    s.expectMmFreed('P');
    expect(s.findEvents({ fn: 'free_mm', mm: 'P' }).map((e) => e.cpu)).toEqual([1]);
    expect(s.findEvents({ fn: '__mmdrop', mm: 'P' })).toHaveLength(1);
    s.expectNoViolation();

    const r = s.finish();
    expect(r.outcome).toBe('ok');
    s.expectMmFreed('P');
  });

  it('none: P is freed while CPUs still have it as active_mm -> I3', () => {
    const s = exitWhileLazy('none');
    cpu1ExitsAndIdles(s);
    // REFCOUNT=n: mmgrab_lazy_tlb is a no-op, only the users reference counts.
    s.expectMm('P', { stage: 'live', mm_users: 1, mm_count: 1 });
    cpu0ExitsUntilFinalFlush(s);
    s.expectMm('P', { stage: 'exiting', mm_users: 0, mm_count: 1 });

    // __mmput's mmdrop is the final one: __mmdrop -> mm_free_pgd -> destroy_context -> free_mm.
    s.run('CPU0: until free_mm');
    s.expectMmFreed('P');
    const v = s.expectViolation('I3', "free_mm(P) while CPU0's T0 still has it as active_mm");
    expect(v.cpu).toBe(0);
    // Both CPUs are left lazy on the freed mm: the exiting T0 on CPU0 and the idle task on CPU1.
    s.expectCpu(0, { curr: 'T0', lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    expect(s.findEvents({ fn: '__mmdrop', mm: 'P' })[0]?.cpu).toBe(0);
    // The run is over: a scenario cannot step past a violation.
    expect(() => s.cpu(1).step()).toThrow(/cannot step past a violation/);
    expect(s.finish({ expect: 'violation' }).violation?.invariant).toBe('I3');
  });

  it('none: the lazy CPU alone keeps the freed P when an io_uring ring does the final mmdrop -> I3 on CPU1', () => {
    const s = new Scenario({
      arch: referenceArch,
      scheme: 'none',
      cpus: 2,
      tasks: {
        T0: thread('P', 0, 'use_mm_setup W'),
        T1: thread('P', 1),
        U: thread('Q', 0, 'run', 'yield', 'run'),
        W: useMmWorker(0, 'kwork'),
      },
    });
    cpu1ExitsAndIdles(s);
    s.run(`
      CPU0: op                  # context_switch swapper/0 -> T0
      CPU0: op                  # use_mm_setup: mmgrab(P) for the ring; W queued on CPU0
      CPU0: until exit_mmap     # T0 exits: mm_users 1 -> 0; final flush IPI -> CPU1
      CPU1: irq                 # flush_tlb_func (CPU0 spins until it ran)
      CPU0: until do_task_dead  # tlb_finish_mmu; __mmput's mmdrop: 2 -> 1
    `);
    // REFCOUNT=n: no lazy reference counts; the ring's mmgrab alone keeps P allocated.
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.run(`
      CPU0: op                  # T0 -> U: CPU0 leaves P
      CPU0: op                  # U: run
      CPU0: op                  # U: yield (W is queued behind it)
      CPU0: until context_switch  # U -> W (user -> kernel): W is lazy on Q
      CPU0: until free_mm       # W exits: io_ring_ctx_free -> mmdrop(P) -> __mmdrop
    `);
    s.expectMmFreed('P');
    const v = s.expectViolation('I3', "free_mm(P) while CPU1's swapper/1 still has it as active_mm");
    expect(v.cpu).toBe(1);
    s.expectCpu(0, { curr: 'W', lazy: 'Q' });
  });

  it('shootdown: do_shoot_lazy_tlb moves CPU1 to init_mm before P is freed', () => {
    const s = exitWhileLazy('shootdown');
    cpu1ExitsAndIdles(s);
    s.expectMm('P', { mm_users: 1, mm_count: 1 });
    cpu0ExitsUntilFinalFlush(s);

    // __mmput's mmdrop is the final one (REFCOUNT=n): __mmdrop -> cleanup_lazy_tlbs ->
    // on_each_cpu_mask(mm_cpumask(P) = {0,1}, do_shoot_lazy_tlb, wait=1): runs locally on
    // CPU0 (T0, the exiting task, is lazy on P) and IPIs CPU1. CPU0 has left P for good, so
    // the reference arch drops its mm_cpumask bit; CPU1's stays while P is its active_mm.
    s.run('CPU0: until cleanup_lazy_tlbs');
    expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toContain('do_shoot_lazy_tlb: T0 active_mm P -> init_mm');
    s.expectMm('P', { mm_count: 0, stage: 'tables_freed', mm_cpumask: [1] });
    s.expectCpu(0, { lazy: 'init_mm' });
    s.expectCpu(1, { lazy: 'P' });
    // CPU0 cannot go on to mm_free_pgd before CPU1 has run the IPI.
    expect(() => s.cpu(0).step()).toThrow(/spins in smp_call_function_many\(wait=1\).*do_shoot_lazy_tlb\(P\).*"CPU1: irq"/s);

    s.run('CPU1: irq until do_shoot_lazy_tlb');
    // The lazy CPU is on init_mm (active_mm and MMU root) while P is not freed yet.
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'init_mm', active_mm: 'init_mm', hw_root: 'init_mm' });
    s.expectMm('P', { stage: 'tables_freed' });
    s.expectNoViolation();

    s.run('CPU0: until free_mm');
    s.expectMmFreed('P');
    s.expectNoViolation();
    const shoot = s.expectEvent({ fn: 'do_shoot_lazy_tlb', cpu: 1 });
    const pgd = s.expectEvent({ fn: 'mm_free_pgd', mm: 'P' });
    expect(shoot.step).toBeLessThan(pgd.step);
    expect(s.costs().ipi_sent_shootdown).toBe(1);

    s.finish();
    s.expectNoViolation();
  });
});
