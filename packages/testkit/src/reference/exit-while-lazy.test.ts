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
 *                  active_mm. Under `none` that is an I3 *hazard* (recorded, the run goes on:
 *                  the scheme's premise is a dangling pointer); what decides the verdict is what
 *                  comes next: here CPU0's next switch clears its kept mm_cpumask bit in the
 *                  freed P (the reference arch's use site) -> I14 freed-mm-use;
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
    CPU0: until exit_mmap "free_pgtables"  # after unmap_vmas, the final flush: IPI -> CPU1; CPU0 spins until CPU1 ran it
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

  it("none: P is freed while both CPUs have it as active_mm (I3 hazards, the __mmdrop WARN); CPU0's next switch writes its kept mask bit into the freed P -> I14", () => {
    const s = exitWhileLazy('none');
    cpu1ExitsAndIdles(s);
    // REFCOUNT=n: mmgrab_lazy_tlb is a no-op, only the users reference counts.
    s.expectMm('P', { stage: 'live', mm_users: 1, mm_count: 1 });
    cpu0ExitsUntilFinalFlush(s);
    s.expectMm('P', { stage: 'exiting', mm_users: 0, mm_count: 1 });

    // __mmput's mmdrop is the final one: __mmdrop -> mm_free_pgd -> destroy_context -> free_mm.
    // __mmdrop's WARN_ON_ONCE(mm == current->active_mm) fires (T0, the exiting task, is lazy on
    // P): `none` is mainline with that WARN removed, so it is recorded, not fatal.
    s.run('CPU0: until free_mm');
    s.expectMmFreed('P');
    s.expectUseSite('__mmdrop', 'warn');
    // Both CPUs are left lazy on the freed mm: the exiting T0 on CPU0 and the idle task on CPU1.
    // Each dangling active_mm is an I3 hazard; the run goes on. Both MMU roots are on init_mm
    // (leave_mm in the final flush), so the hardware walks nothing freed (no I1).
    s.expectNoViolation();
    const [h0] = s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    expect(h0).toMatchObject({ task: 'T0', mm: 'P' });
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.expectCpu(0, { curr: 'T0', lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    expect(s.findEvents({ fn: '__mmdrop', mm: 'P' })[0]?.cpu).toBe(0);

    // What comes next is a use: T0 dies and CPU0 switches to U. The reference arch's switch_mm
    // clears CPU0 from mm_cpumask of the mm it left lazily (leave_mm kept the bit so that
    // shoot-lazies could find it): cpumask_clear_cpu(cpu, mm_cpumask(P)) writes into the freed
    // mm_struct -> I14 at the arch's declared use site. That ends the run.
    s.run('CPU0: until context_switch');
    const v = s.expectViolation('I14', 'cpumask_clear_cpu(mm_cpumask(prev)) reads P after free_mm');
    expect(v.cpu).toBe(0);
    s.expectUseSite('cpumask_clear_cpu(mm_cpumask(prev))', 'dereference');
    expect(() => s.cpu(1).step()).toThrow(/cannot step past a violation/);
    expect(s.finish({ expect: 'violation' }).violation?.invariant).toBe('I14');
  });

  it("none: the lazy CPU alone keeps the freed P when a kthread_use_mm driver's pin does the final mmdrop: an I3 hazard on CPU1 that nothing uses; the run completes", () => {
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
      CPU0: op                  # use_mm_setup: mmgrab(P) for the worker; W queued on CPU0
      CPU0: until exit_mmap "free_pgtables"  # T0 exits: mm_users 1 -> 0; final flush IPI -> CPU1
      CPU1: irq                 # flush_tlb_func: leave_mm (CPU0 spins until it ran)
      CPU0: until do_task_dead  # tlb_finish_mmu; __mmput's mmdrop: 2 -> 1
    `);
    // REFCOUNT=n: no lazy reference counts; the driver's mmgrab alone keeps P allocated.
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 1 });
    s.run(`
      CPU0: op                  # T0 -> U: CPU0 leaves P
      CPU0: op                  # U: run
      CPU0: op                  # U: yield (W is queued behind it)
      CPU0: until context_switch  # U -> W (user -> kernel): W is lazy on Q
      CPU0: until free_mm       # W exits: do_exit drops the worker's pin: mmdrop(P) -> __mmdrop
    `);
    s.expectMmFreed('P');
    // W is lazy on Q, not P: no __mmdrop WARN. CPU1's idle task still names P: the hazard.
    s.expectNoViolation();
    const [h] = s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    expect(h).toMatchObject({ task: 'swapper/1', mm: 'P' });
    expect(() => s.expectHazard('I3', { cpu: 0 })).toThrow(/expected hazard I3 on CPU0, but only CPU1/);
    s.expectCpu(0, { curr: 'W', lazy: 'Q' });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'init_mm' });

    // What comes next: nothing. CPU1 has nothing left to run, so it never switches away from P
    // (no mask-bit clear), takes no flush of P, and nobody compares its active_mm: the dangling
    // pointer is never used and the run completes. (U, the last task of Q, later exits on CPU0
    // the way every last task does under `none`: its own __mmput frees Q while it is lazy on Q,
    // the __mmdrop WARN and a second hazard, and CPU0 then idles on Q: never used either.)
    const r = s.finish();
    expect(r.outcome).toBe('ok');
    expect(s.hazards().map((h) => `${h.mm} CPU${h.cpu} ${h.task} ${h.open ? 'open' : 'closed'}`)).toEqual(['P CPU1 swapper/1 open', 'Q CPU0 U open']);
    expect(s.expectUseSite('__mmdrop', 'warn').mm).toBe('Q');
    s.expectNoUseSite('cpumask_clear_cpu(mm_cpumask(prev))');
    s.expectNoUseSite('membarrier_switch_mm');
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
