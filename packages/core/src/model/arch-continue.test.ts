import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { Simulator } from '../run/simulator.js';
import { referenceVariant } from '../test-support/reference-variant.js';

/** A reference arch whose flush has a second phase after its wait=1 IPIs (like radix__tlb_flush). */
const twoPhase = referenceVariant('two-phase-flush', (hooks) => ({
  flush_tlb_mm_range(k, cpu, mm, flags) {
    hooks.flush_tlb_mm_range(k, cpu, mm, flags);
    k.archContinue(cpu, 99, mm, flags);
  },
  arch_continue(k, cpu, fn, mm) {
    if (fn !== 99) throw new Error(`unexpected continuation ${fn}`);
    if (k.cpuWait[cpu] !== 0) throw new Error('continuation ran before the IPIs were acknowledged');
    if (k.tracer !== null) k.tracer.ev(cpu, 'phase2', k.mmName(mm));
  },
}));

describe('Kernel.archContinue', () => {
  it('runs the continuation as the next task step after the IPI wait, before the caller goes on', () => {
    const sim = new Simulator({ plugin: twoPhase, scheme: 'refcount', cpus: 4, workload: 'default' });
    const cell = hashString128(sim.cellId);
    let phases = 0;
    for (let i = 0; i < 300; i++) {
      const r = sim.run(runSeed(cell, i), { trace: i < 50 });
      expect(r.outcome).toBe('ok');
      if (r.trace === null) continue;
      // Per CPU, every flush (munmap, exit_mmap, dup_mmap, mremap, khugepaged, reclaim) is followed by
      // exactly one phase2 before the step that frees what it flushed (or wakes the child).
      const flush = (fn: string, text: string): boolean =>
        (fn === 'tlb_finish_mmu' && text.includes('flush_tlb_mm_range')) ||
        (fn === 'exit_mmap' && text.includes('tlb_finish_mmu')) ||
        fn === 'dup_mmap' ||
        (fn === 'mremap' && text.includes('flush_tlb_range')) ||
        (fn === 'collapse_huge_page' && text.includes('pmdp_collapse_flush')) ||
        fn === 'try_to_unmap';
      const after = (fn: string, text: string): boolean =>
        (fn === 'tlb_finish_mmu' && text.startsWith('free')) ||
        fn === 'wake_up_new_task' ||
        (fn === 'collapse_huge_page' && text.startsWith('free')) ||
        fn === 'shrink_folio_list';
      for (let c = 0; c < 4; c++) {
        let open = 0;
        for (const e of r.trace.filter((x) => x.cpu === c && x.actor === 'task')) {
          if (flush(e.fn, e.text)) open++;
          if (e.fn === 'phase2') {
            expect(open).toBe(1);
            open = 0;
            phases++;
          }
          if (after(e.fn, e.text)) expect(open).toBe(0);
        }
      }
    }
    expect(phases).toBeGreaterThan(50);
  });

  it('is refused from interrupt context and without the hook', () => {
    const fromIrq = referenceVariant('continue-from-irq', (hooks) => ({
      arch_continue() {},
      handle_ipi(k, cpu, fn, mm, arg) {
        hooks.handle_ipi(k, cpu, fn, mm, arg);
        k.archContinue(cpu, 1, mm, 0);
      },
    }));
    const noHook = referenceVariant('continue-without-hook', (hooks) => ({
      flush_tlb_mm_range(k, cpu, mm, flags) {
        hooks.flush_tlb_mm_range(k, cpu, mm, flags);
        k.archContinue(cpu, 1, mm, 0);
      },
    }));
    for (const [plugin, message] of [
      [fromIrq, /interrupt context/],
      [noHook, /needs the arch_continue hook/],
    ] as const) {
      const sim = new Simulator({ plugin, scheme: 'refcount', cpus: 2, workload: 'default' });
      const r = sim.run(runSeed(hashString128(sim.cellId), 0));
      expect(r.outcome).toBe('plugin-error');
      expect(r.pluginError?.message).toMatch(message);
    }
  });
});
