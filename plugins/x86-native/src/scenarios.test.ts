/**
 * Directed scenarios for x86 native, one per interleaving of kernel-reference §5.2 (B, C1,
 * C2, C3), each reproducing the named finding, with the mainline configuration of the same
 * row passing the same interleaving. The issue-10 additions (INVLPGB on demand, the use sites,
 * cond_mitigation, the lazy exits, arch_tlbbatch_flush, the retargeted mutation) are in
 * use-sites.test.ts, invlpgb.test.ts and lazy-exits.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, thread } from '@lazytlb/testkit';
import plugin, { X86NativeOptions, cpumaskPolicy, X86_INVARIANTS, type X86NativeOptions as Opts } from './index.js';
import { exitWhileLazy, finishClean, type Scheme } from './test-support/scenes.js';

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
      CPU0: step   # munmap: unmap_vmas
      CPU0: step   # tlb_finish_mmu(freed_tables): flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step   # reads mm_cpumask {0,1}: native_flush_tlb_multi -> on_each_cpu_mask({0,1}) (wait=1)
      CPU1: irq    # flush_tlb_func: lazy -> switch_mm_irqs_off(init_mm); core active_mm unchanged
      CPU0: step   # tlb_finish_mmu: free the pages and the table
    `);
    s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    return s;
  }

  it('shootdown: trimming drops CPU1 from mm_cpumask(P) while it is lazy on P -> I7 at cleanup_lazy_tlbs', () => {
    const s = trimmed('shootdown', {});
    s.expectMm('P', { mm_cpumask: [0, 1] }); // lazy-trim: the switch to init_mm kept the bit
    s.run(`
      CPU0: until should_trim_cpumask   # munmap (no tables): flush_tlb_mm_range reads mm_cpumask {0,1}: trim
      CPU0: until smp_call_function     # should_flush_tlb(1): !lazy, loaded init_mm, trim -> IPI
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
      CPU0: until smp_call_function
      CPU1: irq
    `);
    s.expectMm('P', { mm_cpumask: [0] });
    finishClean(s);
  });

  it('clear-on-switch (v4.20-v6.13) + refcount, same interleaving: clean', () => {
    const s = exitWhileLazy('refcount', { release: 'v6.13', cpumask: 'clear-on-switch', trimIntervalSteps: 1 }, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step   # munmap: unmap_vmas
      CPU0: step   # tlb_finish_mmu(freed_tables): flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step   # reads mm_cpumask {0,1}: on_each_cpu_mask({0,1}) (wait=1)
      CPU1: irq    # flush_tlb_func: lazy -> init_mm, and the switch clears bit 1 at once
    `);
    s.expectMm('P', { mm_cpumask: [0] });
    s.expectNoEvent({ fn: 'should_trim_cpumask' });
    finishClean(s);
  });

  it('clear-on-switch + shootdown: the exit flush alone drops the exiting CPU and the lazy CPU from the mask -> I7 (pre-6.14 is "simpler")', () => {
    const s = exitWhileLazy('shootdown', { release: 'v6.13', cpumask: 'clear-on-switch' });
    s.run(`
      CPU0: until exit_mmap     # T0 exits: unmap_vmas
      CPU0: step                # free_pgtables; tlb_finish_mmu -> flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step                # final flush IPIs CPU1 (wait=1), T0's own CPU leaves P locally
      CPU1: irq
      CPU0: until cleanup_lazy_tlbs
    `);
    s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU0 is lazy on it but not in mm_cpumask (0x0)');
  });
});

describe('x86 native §5.2-C1: REFCOUNT=n without shoot-lazies', () => {
  it('none: a dangling pointer that is never used: free_mm(P) leaves both lazy pointers dangling (I3 hazards), both CR3s are on init_mm, the run completes', () => {
    const s = exitWhileLazy('none', {});
    s.run(`
      CPU0: until exit_mmap     # unmap_vmas
      CPU0: step                # free_pgtables; tlb_finish_mmu -> final flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step                # reads mm_cpumask {0,1}: IPI CPU1, local flush_tlb_func on CPU0
      CPU1: irq
    `);
    s.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectNoViolation();
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    // __mmdrop's WARN_ON_ONCE(mm == current->active_mm) fires (`none` is mainline with it removed).
    s.expectUseSite('__mmdrop', 'warn');
    expect(s.findEvents({ fn: 'mm_free_pgd', mm: 'P' })).toHaveLength(1); // passed mm_free_pgd without I1
    s.finish();
    s.expectNoViolation();
    expect(s.result?.outcome).toBe('ok');
    // Nothing read P after free_mm: no use site besides the WARN.
    expect(
      s.sim
        .findings()
        .filter((f) => f.kind === 'use-site')
        .map((f) => (f.kind === 'use-site' ? f.site : '')),
    ).toEqual(['__mmdrop']);
  });

  it('refcount, same interleaving: clean', () => {
    const s = exitWhileLazy('refcount', {});
    s.run(`
      CPU0: until exit_mmap
      CPU0: step 2
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
      CPU0: op               # munmap(0, TASK_SIZE): local flush_tlb_func, T is not lazy: CR3 stays P; no VMA left
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

  it('none + exitFlushSkipsEmptyMm=false (x86 arch_exit_mmap flushes): hardware safe, an I3 hazard only', () => {
    const s = emptyMm('none', { exitFlushSkipsEmptyMm: false });
    s.expectEvent({ fn: 'arch_exit_mmap', text: 'P has no VMA: flush_tlb_mm' });
    s.expectCpu(0, { lazy: 'P', hw_root: 'init_mm' });
    s.run('CPU0: until free_mm');
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    s.finish();
    s.expectNoViolation();
  });

  it('refcount, same interleaving: clean', () => {
    const s = emptyMm('refcount', {});
    s.run('CPU0: until do_task_dead');
    s.expectCpu(0, { lazy: 'P', hw_root: 'P' });
    s.finish();
    s.expectMmFreed('P');
    s.expectNoViolation();
    s.expectNoHazard();
  });
});

describe('x86 native §5.2-C3 with globalAsid: every-mm (HYPOTHETICAL: every user mm global from the start)', () => {
  const everyMm = { invlpgb: true, globalAsid: 'every-mm' } as const;

  it('none: the broadcast exit flush sends no IPI, CPU1 keeps CR3 = P -> I1 at mm_free_pgd', () => {
    const s = exitWhileLazy('none', everyMm);
    s.run(`
      CPU0: until exit_mmap  # unmap_vmas
      CPU0: step             # free_pgtables; tlb_finish_mmu -> flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step             # global ASID: broadcast_tlb_flush (INVLPGB), no IPI
    `);
    s.expectEvent({ fn: 'broadcast_tlb_flush' });
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
    s.run('CPU0: until mm_free_pgd');
    s.expectViolation('I1', /MMU root is P's pgd, which is pgd_freed/);
  });

  it('refcount, same interleaving: clean (the lazy references pin the pgd)', () => {
    const s = exitWhileLazy('refcount', everyMm);
    s.run('CPU0: until exit_mmap');
    finishClean(s);
  });

  it('shootdown, same interleaving: clean (no flush IPI ever runs flush_tlb_func, so nothing trims the mask)', () => {
    const s = exitWhileLazy('shootdown', everyMm);
    s.run('CPU0: until cleanup_lazy_tlbs');
    s.run('CPU1: irq until do_shoot_lazy_tlb');
    s.expectCpu(1, { lazy: 'init_mm', hw_root: 'init_mm' });
    finishClean(s);
  });
});

describe('descriptor', () => {
  it('documents its I13 checks and defaults', () => {
    expect(plugin.invariants).toBe(X86_INVARIANTS);
    const defaults = X86NativeOptions.parse({});
    expect(defaults).toEqual({
      release: 'v6.18',
      invlpgb: false,
      globalAsid: 'on-demand',
      idleTlbFlushed: true,
      exitFlushSkipsEmptyMm: true,
      trimIntervalSteps: 50,
    });
    // cpumask is left to the release: lazy-trim from v6.14 (209954cbc7d0), clear-on-switch in v6.13.
    expect(cpumaskPolicy(defaults)).toBe('lazy-trim');
    expect(cpumaskPolicy(X86NativeOptions.parse({ release: 'v6.14' }))).toBe('lazy-trim');
    expect(cpumaskPolicy(X86NativeOptions.parse({ release: 'v6.13' }))).toBe('clear-on-switch');
    expect(() => X86NativeOptions.parse({ release: 'v6.14', invlpgb: true })).toThrow(/INVLPGB.*landed in v6.15/);
  });
});
