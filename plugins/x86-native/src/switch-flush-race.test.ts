/**
 * kernel-reference §7.9: switch_mm_irqs_off() against flush_tlb_mm_range() at memory-access
 * granularity. Each interleaving breaks its buggy release and passes the fixed one, with the
 * same script:
 *
 * - fea4e317f9e7 (v6.14 under sc): the switcher has read next's tlb_gen, the flusher bumps it
 *   and reads the switcher's loaded_mm (still the old mm or LOADED_MM_SWITCHING, which v6.14's
 *   should_flush_tlb() does not IPI), so nobody flushes; the switcher loads CR3 without a flush
 *   and its task uses a translation to a page the flusher freed (I2 at use).
 * - 83b0177a6c48 (v6.15-v6.17 under tso): the LOADED_MM_SWITCHING store sits in the store
 *   buffer while the tlb_gen load passes it (no smp_mb() when the cpumask bit is already set);
 *   the flusher reads the old loaded_mm from memory: store buffering, the same outcome.
 *
 * Setup (both): R and W are threads of P on CPU1 and CPU0, Q another process on CPU1. CPU1 runs
 * R, switches to Q (lazy mm_cpumask: CPU1 stays in P's mask) and back to R; W munmaps on CPU0
 * while CPU1's switch back has read P's tlb_gen but not yet stored loaded_mm = P.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, kthread, thread } from '@lazytlb/testkit';
import plugin from './index.js';

type Release = 'v6.14' | 'v6.15' | 'v6.18';

function setup(release: Release, memory: 'sc' | 'tso'): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions: { release },
    scheme: 'refcount',
    memory,
    cpus: 2,
    tasks: {
      R: thread('P', 1, 'run', 'yield', 'run'),
      Q: thread('Q', 1, 'run', 'yield', 'run'),
      W: thread('P', 0, 'run', 'munmap', 'run'),
    },
  });
  s.run(`
    CPU1: op                                      # swapper/1 -> R: P loaded on CPU1
    CPU1: op                                      # R: run
    CPU1: op                                      # R: yield
    CPU1: op                                      # R -> Q (CPU1 stays in mm_cpumask(P))
    CPU1: op                                      # Q: run
    CPU1: op                                      # Q: yield
    CPU0: op                                      # swapper/0 -> W: P loaded on CPU0 too
    CPU0: op                                      # W: run
    CPU1: until switch_mm_irqs_off "next_tlb_gen" # Q -> R: next's tlb_gen read, loaded_mm not yet P
    CPU0: step 4                                  # W: munmap: unmap_vmas | inc_mm_tlb_gen | mm_cpumask | should_flush_tlb(CPU1)
  `);
  return s;
}

describe('§7.9 fea4e317f9e7: LOADED_MM_SWITCHING window (visible under sc)', () => {
  it('v6.14: should_flush_tlb() skips CPU1, which loads CR3 without a flush: R uses a freed page (I2 at use)', () => {
    const s = setup('v6.14', 'sc');
    s.expectEvent({ fn: 'should_flush_tlb', cpu: 0, text: 'CPU1: no' });
    s.run(`
      CPU0: step       # tlb_finish_mmu: the pages are freed (CPU1 is mid-switch, IRQs off: judged at its use)
      CPU1: op         # the switch ends: load_new_mm_cr3 without flush, loaded_mm = P
      CPU1: op         # R: run
    `);
    s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'no flush' });
    s.expectViolation('I2', /R's user code on CPU1 uses a translation of P to memory freed before/);
  });

  for (const release of ['v6.15', 'v6.18'] as const) {
    it(`${release}: loaded_mm is LOADED_MM_SWITCHING before tlb_gen is read; should_flush_tlb() IPIs CPU1, which flushes before R runs`, () => {
      const s = setup(release, 'sc');
      s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'LOADED_MM_SWITCHING' });
      expect(s.k.cpuWait[0]).toBe(1); // W waits for CPU1's flush_tlb_func
      s.run(`
        CPU1: op       # the switch ends (IRQs back on)
        CPU1: irq      # flush_tlb_func: tlb_gen behind: flush
        CPU0: op       # free the pages
        CPU1: op       # R: run
      `);
      s.expectNoViolation();
      s.finish();
    });
  }
});

describe('§7.9 83b0177a6c48: store buffering between the SWITCHING store and the tlb_gen load (tso only)', () => {
  it('v6.15 under tso: the SWITCHING store is still buffered when the flusher reads loaded_mm: no IPI, R uses a freed page', () => {
    const s = setup('v6.15', 'tso');
    s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'bit already set: no barrier' });
    expect(s.costs().i8_unfenced_reads).toBe(1); // the I8 diagnostic: tlb_gen read with SWITCHING still buffered
    s.expectEvent({ fn: 'should_flush_tlb', cpu: 0, text: 'CPU1: no (loaded_mm Q' });
    s.run(`
      CPU0: step
      CPU1: op
      CPU1: op
    `);
    s.expectViolation('I2', /R's user code on CPU1 uses a translation of P/);
  });

  it('v6.18 under tso: `else smp_mb()` drains the store before tlb_gen is read: the flusher sees SWITCHING and IPIs', () => {
    const s = setup('v6.18', 'tso');
    s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'bit already set: smp_mb()' });
    expect(s.costs().i8_unfenced_reads).toBe(0);
    expect(s.k.cpuWait[0]).toBe(1);
    s.run(`
      CPU1: op
      CPU1: irq
      CPU0: op
      CPU1: op
    `);
    s.expectNoViolation();
    s.finish();
  });

  it('v6.15 under sc: no store buffer, no bug (the fea4e317f9e7 check is enough)', () => {
    const s = setup('v6.15', 'sc');
    expect(s.k.cpuWait[0]).toBe(1);
    s.run('CPU1: op\nCPU1: irq\nCPU0: op\nCPU1: op');
    s.expectNoViolation();
    s.finish();
  });
});

describe('a CPU judged at the end of its switch (I2: it caches page tables freed while it was switching)', () => {
  /**
   * khugepaged on CPU0 collapses a PMD of P (pmdp_collapse_flush -> flush_tlb_range, then the
   * old PTE table is freed) while CPU1, switching back to R (P), has read P's tlb_gen. v6.14:
   * flush_tlb_range passes freed_tables = false (before 3ef938c35035), should_flush_tlb skips CPU1
   * (loaded_mm not P yet), the table is freed while CPU1 has IRQs off; its switch then loads CR3
   * without a flush and it caches the freed table. v6.18 passes freed_tables = true: every CPU of
   * the mask is IPI'd and the table waits for CPU1's flush.
   */
  function collapse(release: 'v6.14' | 'v6.18'): Scenario {
    const s = new Scenario({
      arch: plugin,
      archOptions: { release },
      scheme: 'refcount',
      cpus: 2,
      tasks: {
        R: thread('P', 1, 'run', 'yield', 'run'),
        Q: thread('Q', 1, 'run', 'yield', 'run'),
        K: kthread(0, 'khugepaged P'),
      },
    });
    s.run(`
      CPU1: op                                      # swapper/1 -> R: P loaded on CPU1
      CPU1: op                                      # R: run
      CPU1: op                                      # R: yield
      CPU1: op                                      # R -> Q (CPU1 stays in mm_cpumask(P))
      CPU1: op                                      # Q: run
      CPU1: op                                      # Q: yield
      CPU0: op                                      # swapper/0 -> K
      CPU1: until switch_mm_irqs_off "next_tlb_gen" # Q -> R: P's tlb_gen read, loaded_mm not yet P
    `);
    return s;
  }

  it('v6.14: the flush skips the switching CPU1 and the PTE table is freed; CPU1 ends its switch caching it -> I2', () => {
    const s = collapse('v6.14');
    s.run(`
      CPU0: until should_flush_tlb       # collapse_huge_page: flush_tlb_range (no freed_tables): CPU1 skipped
      CPU0: until collapse_huge_page "free the old PTE table"
      CPU1: op                           # the switch ends: load_new_mm_cr3 without a flush
    `);
    s.expectViolation('I2', /CPU1 ends its switch to P caching page tables of it freed before/);
  });

  it('v6.18, same script: freed_tables = true IPIs CPU1 and the table waits for its flush: clean', () => {
    const s = collapse('v6.18');
    s.run('CPU0: until smp_call_function  # flush_tlb_range(freed_tables): on_each_cpu_mask, IPI CPU1 (wait)');
    expect(s.k.cpuWait[0]).toBe(1);
    s.run(`
      CPU1: op                           # the switch ends (IRQs back on)
      CPU1: irq                          # flush_tlb_func: flush
      CPU0: op                           # the collapse frees the old PTE table
      CPU1: op                           # R: run
    `);
    s.expectNoViolation();
    s.finish();
  });
});
