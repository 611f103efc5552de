/**
 * membarrier_switch_mm's stale compare (kernel/sched/sched.h, called from context_switch()):
 *
 *     if (prev_mm == next_mm) return;
 *     membarrier_state = atomic_read(&next_mm->membarrier_state);
 *     if (READ_ONCE(rq->membarrier_state) == membarrier_state) return;
 *     WRITE_ONCE(rq->membarrier_state, membarrier_state);
 *
 * prev_mm is prev->active_mm, a lazy pointer when prev is the idle task. Under `none` it can
 * name a freed mm; the compare is of addresses, and SLUB hands a freed mm_struct's address to
 * the next allocation on the freeing CPU (LIFO on its active slab). A fork on that CPU then
 * gets an mm at the same address (ABA): prev_mm == next_mm although they are different mms,
 * and the update is skipped. The consequence rule (core's CORE_USE_SITES): that changes what
 * the kernel does only if next_mm->membarrier_state differs from rq->membarrier_state — then
 * membarrier's expedited IPIs misjudge the CPU: I14 (stale compare). If they are equal the
 * skip is benign and nothing is reported.
 *
 * Interleaving (the DSL form of core's findings.test.ts; reference arch, 2 CPUs):
 *   A (process MA) starts on CPU1, migrates to CPU0, registers MEMBARRIER_PRIVATE_EXPEDITED
 *   there (rq0->membarrier_state = MA's state), sleeps: CPU0 idles lazy on MA. A wakes on
 *   CPU1 and exits there: the final flush IPIs CPU0 (leave_mm). none: A's own __mmput frees
 *   MA on CPU1 (its address goes back to CPU1's freelist); CPU0's idle task still names it.
 *   B forks C on CPU1: dup_mm gets MA's old address. C runs on CPU0: context_switch(swapper/0
 *   -> C) compares the stale MA with C's mm: equal by address.
 *
 * `leaveKeepsMaskBit: false`: with the reference arch's default, the CPU that left MA lazily
 * would clear its kept mask bit in the freed MA at its next switch, the arch's own use site,
 * which ends the run first (last test).
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { Scenario, type ScenarioOptions } from '../scenario/scenario.js';
import { child, thread } from '../scenario/task-spec.js';

function make(scheme: ScenarioOptions['scheme'], register = true, archOptions: object = { leaveKeepsMaskBit: false }): Scenario {
  return new Scenario({
    arch: referenceArch,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      A: thread('MA', 1, 'migrate 0', register ? 'membarrier_register' : 'run', 'sleep 1', 'run'),
      B: thread('MB', 1, 'yield', 'fork C'),
      C: child(0, 'run'),
    },
  });
}

/** The same commands under every scheme; stops once CPU0 switched to C (or a violation ended the run). */
function script(s: Scenario): void {
  s.run(`
    CPU1: op                               # swapper/1 -> A
    CPU1: op                               # A: migrate 0
    CPU1: op                               # A -> B on CPU1; A is queued on CPU0
    CPU0: op                               # swapper/0 -> A
    CPU0: op                               # membarrier_register (or run): rq0->membarrier_state = MA's
    CPU0: op                               # A: sleep (its wakeup goes to CPU1)
    CPU0: op                               # A -> swapper/0: the idle task is lazy on MA
    CPU1: irq                              # try_to_wake_up: A on CPU1
    CPU1: op                               # B: yield
    CPU1: op                               # B -> A
    CPU1: op                               # A: run
    CPU1: until exit_mmap "free_pgtables"  # A exits (last user): the final flush IPIs CPU0
    CPU0: irq                              # flush_tlb_func: leave_mm
    CPU1: until do_task_dead               # none: __mmput's mmdrop frees MA on CPU1
    CPU1: until wake_up_new_task           # A -> B; B forks C (dup_mm on CPU1), C queued on CPU0
    CPU0: until context_switch             # swapper/0 -> C: membarrier_switch_mm(rq0, MA, C's mm)
  `);
}

describe('membarrier_switch_mm: a stale prev->active_mm equal to next->mm by SLUB address reuse (reference arch)', () => {
  it("none: C's mm gets freed MA's address; the compare skips the update and rq->membarrier_state stays MA's -> I14 stale compare", () => {
    const s = make('none');
    script(s);
    s.nameMm('MC', s.mmOf('C'));
    expect(s.k.mmAddr[s.mmId('MC')]).toBe(s.k.mmAddr[s.mmId('MA')]); // ABA: LIFO reuse on CPU1
    // The dangling pointer was recorded when MA was freed (the idle task of CPU0, and A itself).
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm', mm: 'MA' });
    s.expectUseSite('__mmdrop', 'warn'); // A freed its own mm while lazy on it
    const v = s.expectViolation(
      'I14',
      /stale compare in membarrier_switch_mm: freed MA equals live MC by address reuse; rq->membarrier_state stays 3 instead of MC's 0/,
    );
    expect(v).toMatchObject({ cpu: 0, site: 'membarrier_switch_mm', siteKind: 'stale-compare' });
    expect(s.expectUseSite('membarrier_switch_mm', 'stale-compare')).toMatchObject({ cpu: 0, mm: 'MA', other: 'MC' });
    s.finish({ expect: 'violation' });
  });

  it("refcount (mainline): CPU0's lazy reference keeps MA allocated, C gets a fresh address, the same script passes", () => {
    const s = make('refcount');
    script(s);
    s.nameMm('MC', s.mmOf('C'));
    expect(s.k.mmAddr[s.mmId('MC')]).not.toBe(s.k.mmAddr[s.mmId('MA')]);
    s.expectNoViolation();
    // CPU0's lazy reference came along into the switch (rq->prev_mm); finish_task_switch drops
    // it: that is MA's final mmdrop, on CPU0, after C got its mm.
    s.expectMm('MA', { stage: 'tables_freed', mm_count: 1 });
    s.run('CPU0: until free_mm');
    s.expectMmFreed('MA');
    s.finish();
    s.expectNoHazard();
    s.expectNoUseSite();
  });

  it("none without the registration: the same ABA compare is benign (MA's state equals MC's), no finding, the run completes", () => {
    const s = make('none', false);
    script(s);
    s.nameMm('MC', s.mmOf('C'));
    expect(s.k.mmAddr[s.mmId('MC')]).toBe(s.k.mmAddr[s.mmId('MA')]); // the same reuse
    s.expectNoViolation();
    s.expectNoUseSite('membarrier_switch_mm');
    // The pointer did dangle (a hazard); the switch to C dropped it without a change.
    const [h] = s.expectHazard('I3', { cpu: 0, mm: 'MA' });
    expect(h!.open).toBe(false);
    expect(s.finish().outcome).toBe('ok');
  });

  it("with leaveKeepsMaskBit: true (the default), CPU1's switch A -> B clears its kept bit in the freed MA first -> I14 at the arch's site", () => {
    const s = make('none', true, {});
    // The command that hit the violation stops there; the next one refuses to go on.
    expect(() => script(s)).toThrow(/script line 17 \(CPU0: until context_switch\): the run stopped at step \d+: I14/);
    s.expectViolation('I14', 'cpumask_clear_cpu(mm_cpumask(prev)) reads MA after free_mm');
    expect(s.violation?.cpu).toBe(1);
    s.expectNoUseSite('membarrier_switch_mm');
  });
});
