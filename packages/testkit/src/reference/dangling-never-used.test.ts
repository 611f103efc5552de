/**
 * A dangling lazy pointer that nothing ever uses (issue 10's question: "->active_mm may
 * dangle with refcounting off, as long as nothing dereferences it or acts on comparing it").
 *
 * Under `none` (MMU_LAZY_TLB_REFCOUNT=n without shoot-lazies) free_mm leaves every CPU that is
 * lazy on the mm with a dangling active_mm: an I3 *hazard*, recorded with its holder, CPU and
 * how long it dangles, while the run goes on. Whether it is a bug depends on what comes next:
 * a use at a declared use site (I14), the hardware walking freed tables (I1/I2), or nothing.
 * This file is the "nothing" case, and the same script under `refcount` (mainline) is clean
 * with no hazard at all.
 *
 * Interleaving (reference arch, 2 CPUs):
 *   CPU1: T1 (a thread of P) exits first; CPU1's idle task is lazy on P.
 *   CPU0: T0 exits last: exit_mmap's final flush IPIs CPU1 (flush_tlb_func: lazy + freed
 *         tables -> leave_mm: CPU1's MMU root goes to init_mm), then __mmput's mmdrop.
 *         none: that is the final mmdrop: __mmdrop WARNs (T0 is lazy on its own P) and
 *         free_mm leaves T0 (CPU0) and swapper/1 (CPU1) naming the freed P.
 *   CPU0: T0 -> U (process Q): the switch drops T0's pointer; U clones V onto CPU1.
 *   CPU1: swapper/1 -> V: the switch drops the idle task's pointer.
 *
 * The reference arch runs with `leaveKeepsMaskBit: false`: its leave_mm clears the CPU's
 * mm_cpumask bit at once, so a CPU that left P never touches P again. With the default
 * (`true`: the bit is kept for shoot-lazies and cleared at the CPU's next switch) that next
 * switch writes into the freed P: the last test shows it ends the same script with I14. What
 * makes a dangling pointer harmless is the arch's own code: copy this file for your arch and
 * see which it is.
 */
import { describe, expect, it } from 'vitest';
import { referenceArch } from '@lazytlb/core';
import { Scenario, type ScenarioOptions } from '../scenario/scenario.js';
import { child, thread } from '../scenario/task-spec.js';

function make(scheme: ScenarioOptions['scheme'], archOptions: object = { leaveKeepsMaskBit: false }): Scenario {
  return new Scenario({
    arch: referenceArch,
    archOptions,
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

/** The script up to T0's death: the same commands under every scheme. */
function exitWhileCpu1Lazy(s: Scenario): void {
  s.run(`
    CPU1: op                               # swapper/1 -> T1
    CPU1: until do_task_dead               # T1 exits: mmput 2 -> 1
    CPU1: until context_switch             # T1 -> swapper/1: the idle task is lazy on P
    CPU0: op                               # swapper/0 -> T0
    CPU0: op                               # run
    CPU0: until exit_mmap "free_pgtables"  # T0 exits last: the final flush IPIs CPU1 (wait=1)
    CPU1: irq                              # flush_tlb_func: leave_mm, CPU1's root -> init_mm
    CPU0: until do_task_dead               # tlb_finish_mmu; __mmput's mmdrop
  `);
}

/** The rest: both CPUs switch to Q's tasks. */
function bothCpusMoveOn(s: Scenario): void {
  s.run(`
    CPU0: op     # T0 -> U (kernel -> user)
    CPU0: op     # U: run
    CPU0: op     # U: clone V (CLONE_VM) onto CPU1
    CPU1: step   # swapper/1 -> V (kernel -> user)
  `);
}

describe('a dangling lazy pointer that is never used (reference arch, leave_mm drops the mask bit)', () => {
  it('none: free_mm leaves two I3 hazards and the run goes on; both CPUs drop the pointer unused; the run completes', () => {
    const s = make('none');
    exitWhileCpu1Lazy(s);
    // REFCOUNT=n: __mmput's mmdrop was the final one. Nobody's MMU root is on P (both left it
    // in the final flush), so mm_free_pgd finds no I1; the WARN in __mmdrop is recorded, not fatal.
    s.expectMmFreed('P');
    s.expectNoViolation();
    s.expectUseSite('__mmdrop', 'warn');
    const [h0] = s.expectHazard('I3', { cpu: 0, holder: 'active_mm', mm: 'P' });
    const [h1] = s.expectHazard('I3', { cpu: 1, holder: 'active_mm', mm: 'P' });
    expect(h0).toMatchObject({ task: 'T0', open: true });
    expect(h1).toMatchObject({ task: 'swapper/1', open: true });
    s.expectCpu(0, { curr: 'T0', lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'init_mm' });
    s.expectMm('P', { mm_cpumask: [] }); // leave_mm dropped both bits at once

    // What comes next: nothing uses P. CPU0's switch to U and CPU1's to V replace the dangling
    // active_mm (membarrier_switch_mm compares it with Q, allocated before P was freed: no
    // address reuse, no change; the arch's switch_mm reads only its own root, init_mm).
    bothCpusMoveOn(s);
    s.expectNoViolation();
    s.expectCpu(0, { curr: 'U', lazy: null });
    s.expectCpu(1, { curr: 'V', lazy: null, hw_root: 'Q' });
    const onP = s.hazards().filter((h) => h.mm === 'P');
    expect(onP.map((h) => [h.cpu, h.open])).toEqual([
      [0, false],
      [1, false],
    ]);
    expect(onP.every((h) => h.danglingSteps > 0)).toBe(true);
    s.expectNoUseSite('membarrier_switch_mm');
    s.expectNoUseSite('cpumask_clear_cpu(mm_cpumask(prev))');

    // The run completes (U and V, the last tasks of Q, exit later: the last of them frees Q
    // while lazy on it, another hazard of the same kind, never used either).
    const r = s.finish();
    expect(r.outcome).toBe('ok');
    expect(r.hazards).toBe(1); // bit 0: I3
    expect(s.useSites().map((u) => u.site)).toEqual(['__mmdrop']);
  });

  it('refcount (mainline): the same script is clean: the lazy references keep P until the last CPU lets go of it', () => {
    const s = make('refcount');
    exitWhileCpu1Lazy(s);
    s.expectMm('P', { stage: 'tables_freed', mm_count: 2 }); // T0's and CPU1's lazy references
    bothCpusMoveOn(s);
    s.run('CPU1: until free_mm'); // V's finish_task_switch drops CPU1's reference: the final mmdrop
    s.expectMmFreed('P');
    expect(s.findEvents({ fn: 'free_mm', mm: 'P' })[0]?.cpu).toBe(1);
    s.finish();
    s.expectNoHazard();
    s.expectNoUseSite();
  });

  it("contrast, leaveKeepsMaskBit: true (the default): CPU0's next switch clears its kept bit in the freed P -> I14", () => {
    const s = make('none', {});
    exitWhileCpu1Lazy(s);
    s.expectHazard('I3', { cpu: 1 });
    s.expectMm('P', { mm_cpumask: [0, 1] }); // kept for shoot-lazies, which `none` does not have
    s.run('CPU0: op'); // T0 -> U: cpumask_clear_cpu(0, mm_cpumask(P)) on freed P
    s.expectViolation('I14', 'cpumask_clear_cpu(mm_cpumask(prev)) reads P after free_mm');
    s.expectUseSite('cpumask_clear_cpu(mm_cpumask(prev))', 'dereference');
  });
});
