/**
 * Directed scenarios for x86 native, one per interleaving of kernel-reference §5.2 (B, C1,
 * C2, C3) and §7.8 (the 2018 lazy-CPU-skip bug), each reproducing the named violation, with
 * the mainline configuration of the same row passing the same interleaving.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, child, thread, type ScenarioOptions } from '@lazytlb/testkit';
import plugin, { MUT_X86_LAZY_SKIP_FREED_TABLES, X86NativeOptions, X86_INVARIANTS, type X86NativeOptions as Opts } from './index.js';

type Scheme = ScenarioOptions['scheme'];

/** CPU1: T1 (thread of P) exits, CPU1 idles lazy on P; CPU0: T0 (P) runs `ops` and exits last; then U (Q) clones V onto CPU1. */
function exitWhileLazy(scheme: Scheme, archOptions: Partial<Opts>, ...ops: string[]): Scenario {
  return exitWhileLazyOn([], scheme, archOptions, ...ops);
}

/** The same with `mutations` enabled. */
function exitWhileLazyOn(mutations: readonly string[], scheme: Scheme, archOptions: Partial<Opts>, ...ops: string[]): Scenario {
  const s = new Scenario({
    arch: plugin,
    mutations,
    archOptions,
    scheme,
    cpus: 2,
    tasks: {
      T0: thread('P', 0, 'run', ...ops),
      T1: thread('P', 1),
      U: thread('Q', 0, 'run', 'clone V'),
      V: child(1, 'run'),
    },
  });
  s.run(`
    CPU1: op                    # swapper/1 -> T1: loaded_mm P, bit 1 set
    CPU1: until do_task_dead    # exit_mm: enter_lazy_tlb (is_lazy); mmput 2 -> 1
    CPU1: until context_switch  # T1 -> swapper/1 (k -> k transfer): CPU1 lazy on P, CR3 = P
    CPU0: op                    # swapper/0 -> T0
    CPU0: op                    # run
  `);
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  s.expectMm('P', { mm_cpumask: [0, 1] });
  return s;
}

/** The rest of the run after T0 is gone, for a clean configuration. */
function finishClean(s: Scenario): void {
  s.run('CPU0: until do_task_dead');
  s.expectNoViolation();
  s.finish();
  s.expectMmFreed('P');
}

describe('x86 native §5.2-B: shoot-lazies + lazy mm_cpumask trimming (v6.14+)', () => {
  /**
   * T0 munmaps twice: a table-freeing munmap IPIs the lazy CPU1 (flush_tlb_func -> init_mm,
   * bit kept), then a later munmap (should_trim_cpumask: a simulated second has passed) IPIs
   * the non-lazy, not-loaded CPU1, whose flush_tlb_func clears its bit while swapper/1's
   * active_mm is still P.
   */
  function trimmed(scheme: Scheme, archOptions: Partial<Opts>): Scenario {
    const s = exitWhileLazy(scheme, { trimIntervalSteps: 1, ...archOptions }, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step   # munmap(freed_tables): native_flush_tlb_multi -> on_each_cpu_mask({0,1}) (wait=1)
      CPU1: irq    # flush_tlb_func: lazy -> switch_mm_irqs_off(init_mm); core active_mm unchanged
      CPU0: step   # tlb_finish_mmu
    `);
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    return s;
  }

  it('shootdown: trimming drops CPU1 from mm_cpumask(P) while it is lazy on P -> I7 at cleanup_lazy_tlbs (the cause of the I3 the table names)', () => {
    const s = trimmed('shootdown', {});
    s.expectMm('P', { mm_cpumask: [0, 1] }); // lazy-trim: the switch to init_mm kept the bit
    s.run(`
      CPU0: until should_trim_cpumask   # munmap (no tables): trim; should_flush_tlb(1): !lazy, loaded init_mm, trim -> IPI
      CPU1: irq                         # flush_tlb_func: f->mm != loaded_mm -> cpumask_clear_cpu(1, mm_cpumask(P))
    `);
    s.expectEvent({ fn: 'cpumask_clear_cpu', cpu: 1 });
    s.expectMm('P', { mm_cpumask: [0] });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until cleanup_lazy_tlbs');
    const v = s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU1 is lazy on it but not in mm_cpumask');
    expect(v.cpu).toBe(0);
    // Hardware is safe: CPU1's CR3 is swapper_pg_dir. Without the I7 stop, free_mm(P) would leave
    // swapper/1's active_mm dangling (I3): the model reports the cause first (core README).
    s.expectCpu(1, { hw_root: 'init_mm', active_mm: 'P' });
  });

  it('refcount (mainline), same interleaving: clean', () => {
    const s = trimmed('refcount', {});
    s.run(`
      CPU0: until should_trim_cpumask
      CPU1: irq
    `);
    s.expectMm('P', { mm_cpumask: [0] });
    finishClean(s);
  });

  it('clear-on-switch (v4.19-v6.13) + refcount, same interleaving: clean', () => {
    const s = exitWhileLazy('refcount', { cpumask: 'clear-on-switch', trimIntervalSteps: 1 }, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step
      CPU1: irq    # flush_tlb_func: lazy -> init_mm, and the switch clears bit 1 at once
    `);
    s.expectMm('P', { mm_cpumask: [0] });
    s.expectNoEvent({ fn: 'should_trim_cpumask' });
    finishClean(s);
  });

  it('clear-on-switch + shootdown: the exit flush alone drops the exiting CPU and the lazy CPU from the mask -> I7 (pre-6.14 is "simpler")', () => {
    const s = exitWhileLazy('shootdown', { cpumask: 'clear-on-switch' });
    s.run(`
      CPU0: until exit_mmap     # T0 exits: final flush IPIs CPU1 (wait=1), T0's own CPU leaves P locally
      CPU1: irq
      CPU0: until cleanup_lazy_tlbs
    `);
    s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU0 is lazy on it but not in mm_cpumask (0x0)');
  });
});

describe('x86 native §5.2-C1: REFCOUNT=n without shoot-lazies', () => {
  it('none: free_mm(P) while the exiting T0 and the lazy swapper/1 still name it -> I3; hardware safe (both CR3s on init_mm)', () => {
    const s = exitWhileLazy('none', {});
    s.run(`
      CPU0: until exit_mmap   # final flush_tlb_mm_range(freed_tables): IPI CPU1, local flush_tlb_func on CPU0
      CPU1: irq
    `);
    s.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectViolation('I3', "free_mm(P) while CPU0's T0 still has it as active_mm");
    expect(s.findEvents({ fn: 'mm_free_pgd', mm: 'P' })).toHaveLength(1); // passed mm_free_pgd without I1
  });

  it('refcount, same interleaving: clean', () => {
    const s = exitWhileLazy('refcount', {});
    s.run(`
      CPU0: until exit_mmap
      CPU1: irq
    `);
    finishClean(s);
  });
});

describe('x86 native §5.2-C2: an mm whose tables are all gone at exit gets no final flush', () => {
  function emptyMm(scheme: Scheme, archOptions: Partial<Opts>): Scenario {
    const s = new Scenario({ arch: plugin, archOptions, scheme, cpus: 1, tasks: { T: thread('P', 0, 'munmap all'), U: thread('Q', 0, 'run') } });
    s.run(`
      CPU0: op               # swapper/0 -> T
      CPU0: op               # munmap(0, TASK_SIZE): local flush_tlb_func, T is not lazy: CR3 stays P
      CPU0: until exit_mmap  # exit_mm: is_lazy; exit_mmap: no VMA -> goto destroy
    `);
    return s;
  }

  it('none (mainline exit_mmap): nothing moves CPU0 off P -> I1 at mm_free_pgd', () => {
    const s = emptyMm('none', {});
    expect(s.last.match?.text).toBe('P has no VMA: no final flush');
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: until mm_free_pgd');
    s.expectViolation('I1', "CPU0's MMU root is P's pgd, which is pgd_freed");
  });

  it('none + exitFlushSkipsEmptyMm=false (x86 arch_exit_mmap flushes): hardware safe, I3 only', () => {
    const s = emptyMm('none', { exitFlushSkipsEmptyMm: false });
    s.expectEvent({ fn: 'arch_exit_mmap', text: 'P has no VMA: flush_tlb_mm' });
    s.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectViolation('I3', "free_mm(P) while CPU0's T still has it as active_mm");
  });

  it('refcount, same interleaving: clean', () => {
    const s = emptyMm('refcount', {});
    s.run('CPU0: until do_task_dead');
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    s.finish();
    s.expectMmFreed('P');
    s.expectNoViolation();
  });
});

describe('x86 native §5.2-C3: INVLPGB global ASIDs', () => {
  it('none: the broadcast exit flush sends no IPI, CPU1 keeps CR3 = P -> I1 at mm_free_pgd', () => {
    const s = exitWhileLazy('none', { invlpgb: true });
    s.run('CPU0: until exit_mmap');
    s.expectEvent({ fn: 'broadcast_tlb_flush' });
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: until mm_free_pgd');
    s.expectViolation('I1', /MMU root is P's pgd, which is pgd_freed/);
  });

  it('refcount, same interleaving: clean (the lazy references pin the pgd)', () => {
    const s = exitWhileLazy('refcount', { invlpgb: true });
    s.run('CPU0: until exit_mmap');
    finishClean(s);
  });

  it('shootdown, same interleaving: clean (no flush IPI ever runs flush_tlb_func, so nothing trims the mask)', () => {
    const s = exitWhileLazy('shootdown', { invlpgb: true });
    s.run('CPU0: until cleanup_lazy_tlbs');
    s.run('CPU1: irq until do_shoot_lazy_tlb');
    s.expectCpu(1, { lazy: 'init_mm', hw_root: 'init_mm' });
    finishClean(s);
  });
});

describe('§7.8 (2018): lazy CPUs skipped on table free (mutation x86-lazy-skip-freed-tables)', () => {
  /** native_flush_tlb_multi without the freed_tables special case (before 2ff6ddf19c0e / v4.20). */
  const buggy = [MUT_X86_LAZY_SKIP_FREED_TABLES];

  /**
   * The interleaving of kernel-reference §7.8: CPU1 is a kthread lazy on P (swapper/1 after
   * T1's exit: loaded_mm P, CR3 P, is_lazy); CPU0's munmap frees a page-table page of P.
   */
  function lazyMunmap(mutations: readonly string[], archOptions: Partial<Opts> = {}): Scenario {
    const s = new Scenario({ arch: plugin, archOptions, mutations, scheme: 'refcount', cpus: 2, tasks: { T0: thread('P', 0, 'munmap freed-tables'), T1: thread('P', 1) } });
    s.run(`
      CPU1: op
      CPU1: until context_switch   # T1 exits; swapper/1 lazy on P
      CPU0: op
      CPU0: step                   # munmap freeing a page-table page
    `);
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
    return s;
  }

  for (const archOptions of [{}, { cpumask: 'clear-on-switch' }] as const) {
    describe(JSON.stringify(archOptions), () => {
      it('mutated: the lazy CPU1 is not IPI\'d, its paging-structure cache still points into the freed table -> I2', () => {
        const s = lazyMunmap(buggy, archOptions);
        expect(s.costs().ipi_sent_flush).toBe(0);
        s.expectCpu(1, { lazy: 'P', hw_root: 'P' }); // still walking P's tables
        s.run('CPU0: step'); // tlb_finish_mmu: the table page is freed
        const v = s.expectViolation('I2', 'page tables of P freed while CPU1 may still hold translations');
        expect(v.cpu).toBe(1);
      });

      it('unmutated (mainline), same interleaving: freed_tables IPIs the lazy CPU, which leaves for init_mm first: clean', () => {
        const s = lazyMunmap([], archOptions);
        expect(s.costs().ipi_sent_flush).toBe(1);
        s.run(`
          CPU1: irq    # flush_tlb_func: lazy -> switch_mm_irqs_off(init_mm)
          CPU0: step   # tlb_finish_mmu
        `);
        s.expectCpu(1, { hw_root: 'init_mm' });
        s.expectNoViolation();
        s.finish();
      });
    });
  }

  it('mutated: exit_mmap\'s final flush (fullmm, freed_tables) skips the lazy CPU1 too -> I2; the exiting CPU0 still flushes itself', () => {
    const mutated = exitWhileLazyOn(buggy, 'refcount', {});
    mutated.run('CPU0: until exit_mmap   # T0 exits last: the final flush IPIs nobody; CPU0 runs flush_tlb_func locally');
    expect(mutated.costs().ipi_sent_flush).toBe(0);
    mutated.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    mutated.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    mutated.run('CPU0: until tlb_finish_mmu');
    const v = mutated.expectViolation('I2', /page tables of P freed while CPU1/);
    expect(v.cpu).toBe(1);
  });

  it('a munmap that frees no tables skips the lazy CPU (should_flush_tlb), which catches up via tlb_gen later: clean', () => {
    const s = new Scenario({ arch: plugin, scheme: 'refcount', cpus: 2, tasks: { T0: thread('P', 0, 'munmap', 'run'), T1: thread('P', 1) } });
    s.run(`
      CPU1: op
      CPU1: until context_switch   # T1 exits; swapper/1 lazy on P
      CPU0: op
      CPU0: step                   # munmap (pages only): on_each_cpu_cond_mask -> CPU0 only
      CPU0: step                   # tlb_finish_mmu frees the pages; CPU1's entries are stale but unusable while lazy
    `);
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.expectNoViolation();
    s.finish();
  });
});

describe('descriptor', () => {
  it('documents its I13 checks and defaults', () => {
    expect(plugin.invariants).toBe(X86_INVARIANTS);
    expect(X86NativeOptions.parse({})).toEqual({ cpumask: 'lazy-trim', invlpgb: false, exitFlushSkipsEmptyMm: true, trimIntervalSteps: 50 });
  });
});
