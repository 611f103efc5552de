/**
 * Directed scenarios for arm64: the broadcast flush (no IPIs, the lazy CPU keeps TTBR0 on the
 * mm), the truth-table rows (refcount safe, shootdown misses the lazy CPU because mm_cpumask
 * is empty, none frees the pgd under a lazy TTBR0), and an ASID rollover.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, thread, type ScenarioOptions } from '@lazytlb/testkit';
import plugin from './index.js';

type Scheme = ScenarioOptions['scheme'];

/** CPU1: T1 (thread of P) exits and swapper/1 stays lazy on P; CPU0: T0 (P) runs `ops`, then exits last. */
function lazyOnP(scheme: Scheme, ...ops: string[]): Scenario {
  const s = new Scenario({ arch: plugin, scheme, cpus: 2, tasks: { T0: thread('P', 0, 'run', ...ops), T1: thread('P', 1) } });
  s.run(`
    CPU1: op
    CPU1: until context_switch   # T1 exits; swapper/1 lazy on P
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  return s;
}

describe('arm64 flush_tlb_mm: broadcast TLBI ASIDE1IS', () => {
  it('a page-table free is flushed on every CPU without an IPI; the lazy CPU keeps TTBR0 on P', () => {
    const s = lazyOnP('refcount', 'munmap freed-tables');
    s.run(`
      CPU0: op     # switch to T0
      CPU0: op     # run
      CPU0: op     # munmap freeing a page-table page: flush_tlb_mm, tlb_finish_mmu
    `);
    s.expectEvent({ fn: 'flush_tlb_mm', cpu: 0, text: 'broadcast, no IPIs' });
    expect(s.costs().ipi_sent_flush).toBe(0);
    expect(s.costs().tlb_flush_remote).toBe(1);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    expect(s.cpumask('P')).toEqual([]); // arm64 never sets a user mm's bit
    s.expectNoViolation();
    s.finish();
  });
});

describe('arm64 truth-table rows (kernel-reference §5, broadcast-TLBI platform)', () => {
  it('refcount: the lazy references pin P; its pgd outlives the exit while CPU0 and CPU1 are lazy on it', () => {
    const s = lazyOnP('refcount');
    s.run('CPU0: idle');
    s.expectMm('P', { stage: 'tables_freed' });
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.expectNoViolation();
    s.finish();
  });

  it('shootdown: mm_cpumask(P) is empty, so cleanup_lazy_tlbs misses the lazy CPUs (first the exiting CPU0 itself) -> I7', () => {
    const s = lazyOnP('shootdown');
    s.run('CPU0: idle');
    s.expectViolation('I7', /cleanup_lazy_tlbs\(P\): CPU0 is lazy on it but not in mm_cpumask \(0x0\)/);
    expect(s.costs().ipi_sent_shootdown).toBe(0);
    s.finish({ expect: 'violation' });
  });

  it("none: P's pgd is freed under the exiting CPU0's own lazy TTBR0 (CPU1's too) -> I1 (no flush moves a lazy TTBR0)", () => {
    const s = lazyOnP('none');
    s.run('CPU0: idle');
    s.expectViolation('I1', /CPU0's MMU root is P's pgd, which is pgd_freed/);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.finish({ expect: 'violation' });
  });
});

describe('arm64 ASID generations', () => {
  it('asidBits 3: the eighth mm rolls the generation over; a CPU flushes its TLB (tlb_flush_pending) at its next slow-path switch', () => {
    const tasks: Record<string, ReturnType<typeof thread>> = {};
    for (let i = 0; i < 8; i++) tasks[`T${i}`] = thread(`P${i}`, i % 2, 'run');
    const s = new Scenario({ arch: plugin, archOptions: { asidBits: 3 }, scheme: 'refcount', cpus: 2, tasks });
    s.finish();
    const rollovers = s.findEvents({ fn: 'flush_context' });
    expect(rollovers.length).toBeGreaterThanOrEqual(1);
    const flushes = s.findEvents({ fn: 'local_flush_tlb_all' });
    expect(flushes.length).toBeGreaterThanOrEqual(1);
    expect(flushes.every((f) => f.step >= rollovers[0]!.step)).toBe(true);
  });
});
