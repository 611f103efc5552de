/**
 * A preemption inside exit_mmap, under each preemption model (Scenario option `preempt`:
 * CONFIG_PREEMPT_NONE / _VOLUNTARY / PREEMPT / PREEMPT_RT; default 'full').
 *
 * The exiting task's path has preemption points (core model/exit.ts): between exit_mm() and
 * mmput() (might_sleep: voluntary and up), inside exit_mmap() between unmap_vmas() and the
 * final flush (cond_resched() in the zap loops: every model, even PREEMPT_NONE), and in
 * __mmput() between exit_mmap() and its mmdrop() (might_sleep: voluntary and up). A tick there
 * (`CPUn: irq` with a `tickPreemptions` budget and another task queued) makes the next task step
 * preempt_schedule_irq(): the task is switched out with its kernel path and the load balancer
 * may move it; it resumes the path when it runs again, on whatever CPU, lazy on whatever mm
 * that CPU had (kernel/sched/core.c context_switch: a task with mm == NULL borrows
 * prev->active_mm).
 *
 * Interleaving (reference arch, 2 CPUs): T0, the only thread of P, exits on CPU0 with U
 * (process Q) queued behind it. At unmap_vmas a tick preempts it: CPU0 switches T0 -> U, and T0
 * (moved to CPU1 by the balancer, a draw from the run's PRNG) resumes exit_mmap there from
 * CPU1's idle task, lazy on init_mm: the final flush of P comes from a CPU that is not on P.
 *
 *   refcount: the switch T0 -> U moves T0's lazy reference to rq->prev_mm and drops it: P lives
 *             on the users reference alone until __mmput's mmdrop frees it, on CPU1; clean.
 *   none:     the same, and because T0 is no longer lazy on P when it frees P, __mmdrop's WARN
 *             does not fire and no CPU names P: the preemption removes the hazard an
 *             unpreempted exit leaves (compare dangling-never-used.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { constants, referenceArch, type PreemptModel } from '@lazytlb/core';
import { Scenario, type ScenarioOptions } from '../scenario/scenario.js';
import { thread } from '../scenario/task-spec.js';

const MODELS: readonly PreemptModel[] = ['none', 'voluntary', 'full', 'rt'];

function make(scheme: ScenarioOptions['scheme'], preempt: PreemptModel): Scenario {
  return new Scenario({
    arch: referenceArch,
    scheme,
    preempt,
    cpus: 2,
    tickPreemptions: 2,
    tasks: { T0: thread('P', 0, 'run'), U: thread('Q', 0, 'run', 'run') },
  });
}

/** Can CPU n take an interrupt now (here: a scheduler tick)? */
function irqEnabled(s: Scenario, cpu: number): boolean {
  return s.sim.enabledActors().includes(cpu * constants.ACTORS_PER_CPU + constants.ACTOR_IRQ);
}

/** T0 runs and exits up to exit_mmap's unmap_vmas; checks the exit_mm -> mmput point on the way. */
function exitUntilUnmap(s: Scenario, preempt: PreemptModel): void {
  s.run(`
    CPU0: op             # swapper/0 -> T0
    CPU0: op             # run
    CPU0: until exit_mm  # T0: mm = NULL, lazy on P; then might_sleep() before mmput()
  `);
  // exit_mm -> mmput is a voluntary point: a tick may preempt T0 there unless PREEMPT_NONE.
  expect(irqEnabled(s, 0), `tick at exit_mm -> mmput under preempt=${preempt}`).toBe(preempt !== 'none');
  s.run('CPU0: until exit_mmap "unmap_vmas"'); // mmput: 1 -> 0; __mmput -> exit_mmap: unmap_vmas
  s.expectMm('P', { stage: 'exiting', mm_users: 0 });
}

/** The tick at unmap_vmas (cond_resched: every model) and T0's switch-out with its path. */
function preemptAtUnmap(s: Scenario): number {
  expect(irqEnabled(s, 0)).toBe(true);
  s.run(`
    CPU0: irq            # scheduler_tick: resched_curr(T0)
    CPU0: step           # preempt_schedule_irq: T0 keeps its exit_mmap frames; context_switch T0 -> U
  `);
  expect(s.last.events.map((e) => e.fn)).toEqual(['preempt_schedule_irq', 'context_switch']);
  expect(s.last.events[0]?.text).toMatch(/^T0 preempted inside a kernel path/);
  s.expectCpu(0, { curr: 'U', lazy: null, hw_root: 'Q' });
  s.expectTask('T0', { state: 'runnable', mm: null });
  expect(s.k.taskSavedSp[s.taskId('T0')]).toBeGreaterThan(0); // the path travels with the task
  // The balancer's destination is drawn from the run's PRNG (fixed scenario seed): CPU1 here.
  const to = s.k.taskCpu[s.taskId('T0')]!;
  expect(to, 'the load balancer moved T0 to CPU1').toBe(1);
  return to;
}

describe('a preemption inside exit_mmap, under each preemption model (reference arch)', () => {
  for (const preempt of MODELS) {
    it(`refcount, preempt=${preempt}: cond_resched() in unmap_vmas switches the exiting task out; it resumes exit_mmap on CPU1, lazy on init_mm; clean`, () => {
      const s = make('refcount', preempt);
      exitUntilUnmap(s, preempt);
      s.expectMm('P', { mm_count: 2 }); // the users reference + T0's exit_mm lazy reference
      preemptAtUnmap(s);
      s.run('CPU0: step'); // finish_task_switch: rq->prev_mm = P (T0's lazy reference) is dropped
      expect(s.last.events.map((e) => `${e.fn}: ${e.text}`)).toEqual(['finish_task_switch: mmdrop_lazy_tlb_sched(P)']);
      s.expectMm('P', { stage: 'exiting', mm_count: 1 });

      // T0 resumes on CPU1 from the idle task (kernel -> kernel: it borrows init_mm) and goes on
      // where it stopped: free_pgtables and the final flush of P from a CPU that is not on P.
      s.run('CPU1: until context_switch');
      expect(s.last.match?.text).toBe('swapper/1 -> T0 (lazy on init_mm)');
      s.expectTask('T0', { active_mm: 'init_mm', cpu: 1 });
      s.run('CPU1: step');
      expect(s.last.events[0]).toMatchObject({ fn: 'exit_mmap', text: 'free_pgtables P; tlb_finish_mmu -> flush_tlb_mm_range(freed_tables)' });
      s.run('CPU1: until tlb_finish_mmu'); // the page tables are freed: no CPU can hold P's entries
      s.expectNoViolation();
      // __mmput's might_sleep() before mmdrop: a voluntary point, but nothing is queued on CPU1
      // (a tick preempts only toward another task), so no interrupt either way.
      expect(irqEnabled(s, 1)).toBe(false);
      s.run('CPU1: until free_mm'); // __mmput's mmdrop is P's final one, on CPU1
      s.expectMmFreed('P');
      s.finish();
      s.expectNoHazard();
      expect(s.costs().ipi_sent_flush).toBe(0); // CPU0 left P at the switch to U: mm_cpumask(P) was empty
    });
  }

  for (const preempt of MODELS) {
    it(`none, preempt=${preempt}: the preempted exiter no longer names P when it frees it: no __mmdrop WARN, no hazard on P`, () => {
      const s = make('none', preempt);
      exitUntilUnmap(s, preempt);
      s.expectMm('P', { mm_count: 1 }); // REFCOUNT=n: exit_mm took no lazy reference
      preemptAtUnmap(s);
      s.run(`
        CPU0: step                    # finish_task_switch (nothing to drop)
        CPU1: until context_switch    # swapper/1 -> T0, lazy on init_mm
        CPU1: until free_mm           # the rest of exit_mmap, __mmput's mmdrop: the final one
      `);
      s.expectMmFreed('P');
      s.expectNoViolation();
      s.expectNoUseSite('__mmdrop'); // current->active_mm is init_mm, not P
      expect(s.hazards().filter((h) => h.mm === 'P')).toEqual([]);
      // U, Q's last task, exits later without a preemption: its own free of Q is the usual
      // hazard-only case (CPU0 then idles on the freed Q; nothing uses it).
      s.finish();
      expect(s.hazards().map((h) => h.mm)).toEqual(['Q']);
    });
  }

  it('without a preemption the same exit leaves the exiter lazy on P when it frees it (the WARN and a hazard)', () => {
    const s = make('none', 'full');
    exitUntilUnmap(s, 'full');
    s.run('CPU0: until free_mm');
    s.expectUseSite('__mmdrop', 'warn');
    s.expectHazard('I3', { cpu: 0, mm: 'P' });
  });
});
