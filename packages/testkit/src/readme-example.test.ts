/** The scenario example of README.md, kept here so the README cannot rot. */
import { describe, expect, it } from 'vitest';
import { child, referenceArch, scenario, thread } from './index.js';

describe('exit while CPU1 is lazy on the mm', () => {
  it('refcount: CPU1 pins P until its own finish_task_switch frees it', () => {
    const s = scenario({
      arch: referenceArch,
      scheme: 'refcount',
      cpus: 2,
      tasks: {
        T0: thread('P', 0, 'run'), // threads of process P
        T1: thread('P', 1), // (exit is appended to every program)
        U: thread('Q', 0, 'run', 'clone V'), // another process on CPU0
        V: child(1, 'run'), // created on CPU1 by U's clone
      },
    });

    s.run(`
      CPU1: op                    # swapper/1 -> T1
      CPU1: until do_task_dead    # T1 exits: exit_mm, mmput 2 -> 1
      CPU1: until context_switch  # T1 -> swapper/1: the idle task is lazy on P
      CPU0: op                    # swapper/0 -> T0
      CPU0: op                    # run
      CPU0: until exit_mmap "free_pgtables"  # T0 exits last; the final flush IPIs CPU1 (wait=1)
      CPU1: irq                   # flush_tlb_func: lazy + freed tables -> leave_mm
      CPU0: until do_task_dead
    `);
    s.expectMm('P', { stage: 'tables_freed', mm_users: 0, mm_count: 2 });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'init_mm' });

    s.cpu(0).runOp().runOp().runOp(); // T0 -> U, run, clone V
    s.expectMm('P', { mm_count: 1 }); // only CPU1's lazy reference is left
    s.cpu(1).step().step(); // swapper/1 -> V; finish_task_switch
    expect(s.last.events.map((e) => e.fn)).toEqual(['finish_task_switch', '__mmdrop']);
    s.cpu(1).until('free_mm');
    s.expectMmFreed('P');
    s.finish(); // round-robin to the end; quiescence checked
  });
});
