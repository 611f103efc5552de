/**
 * kernel-reference §5.2-C2: an mm whose page tables are already gone when its last thread
 * exits gets no final flush (exit_mmap: vma_next() == NULL -> goto destroy, no mmu_gather),
 * so nothing moves the exiting CPU's MMU root off the mm. With REFCOUNT=n and no
 * shoot-lazies, __mmput's mmdrop frees the pgd under that root (I1, hw-root-live); with the
 * lazy refcount the exiting task's own lazy reference keeps the pgd until the CPU switches.
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { Scenario } from '../scenario/scenario.js';
import { thread } from '../scenario/task-spec.js';

function emptyMmExit(scheme: 'refcount' | 'none'): Scenario {
  return new Scenario({ arch: referenceArch, scheme, cpus: 1, tasks: { T: thread('P', 0, 'munmap all'), U: thread('Q', 0, 'run') } });
}

describe('exit of an mm without VMAs (reference arch)', () => {
  it('none: no final flush, so mm_free_pgd frees the root CPU0 still has loaded -> I1', () => {
    const s = emptyMmExit('none');
    s.run(`
      CPU0: op              # swapper/0 -> T
      CPU0: op              # munmap all: unmap_vmas, flush_tlb_mm_range(freed_tables), free; T is not lazy: root stays P
      CPU0: until exit_mmap # P has no VMA: no final flush
    `);
    expect(s.last.match?.text).toBe('P has no VMA: no final flush');
    s.expectCpu(0, { curr: 'T', lazy: 'P', hw_root: 'P' });
    s.run('CPU0: until mm_free_pgd');
    s.expectViolation('I1', "CPU0's MMU root is P's pgd, which is pgd_freed");
    s.expectMm('P', { stage: 'pgd_freed', mm_count: 0 });
  });

  it("refcount: the exiting task's lazy reference keeps the pgd until CPU0 switches to a user task", () => {
    const s = emptyMmExit('refcount');
    s.run(`
      CPU0: op
      CPU0: op
      CPU0: until do_task_dead
    `);
    s.expectMm('P', { stage: 'exiting', mm_users: 0, mm_count: 1 }); // no tables were freed at exit
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    // T -> U: switch_mm_irqs_off(P, Q) moves the root first; then finish_task_switch's
    // mmdrop_lazy_tlb_sched is the final mmdrop, and "op" runs its __mmdrop to the end.
    s.run('CPU0: op');
    expect(s.last.events.map((e) => e.fn)).toEqual(['context_switch', 'finish_task_switch', '__mmdrop', 'mm_free_pgd', 'destroy_context', 'free_mm']);
    s.expectMmFreed('P');
    s.expectNoViolation();
    s.expectCpu(0, { curr: 'U', hw_root: 'Q' });
    s.finish();
  });
});
