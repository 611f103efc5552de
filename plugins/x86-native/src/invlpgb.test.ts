/**
 * INVLPGB global ASIDs on demand (kernel-reference §11; arch/x86/mm/tlb.c @ CachyOS/linux
 * 0ebd1b8055ed): consider_global_asid() after flush_tlb_multi() in flush_tlb_mm_range()'s
 * multi-CPU branch, gated by `(current->pid & 0x1f) == (jiffies & 0x1f)` and
 * mm_active_cpus_exceeds(mm, 3); the asid_transition phase; broadcast_tlb_flush() afterwards.
 *
 * At 2 CPUs an mm never goes global, so x86-native:invlpgb=true behaves as native x86 there
 * (the lazy CPU is IPI'd and kicked to init_mm; lazy-trim + shootdown breaks I7). At 4 CPUs a
 * process running on all four goes global: from then on lazy CPUs are neither IPI'd nor kicked.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, hashString128, runSeed, type ArchPlugin } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import { Scenario, kthread, thread } from '@lazytlb/testkit';
import plugin, { createX86Hooks, type X86NativeOptions, type X86Tlb } from './index.js';
import { exitWhileLazy, type Scheme } from './test-support/scenes.js';

const ON_DEMAND = { invlpgb: true } as const;

describe('INVLPGB on demand at 2 CPUs: no mm ever gets a global ASID, so it is native x86', () => {
  it('none: the exit flush IPIs the lazy CPU1 (freed_tables), which leaves for init_mm: hardware safe, I3 hazards only', () => {
    const s = exitWhileLazy('none', ON_DEMAND);
    s.run(`
      CPU0: until exit_mmap     # unmap_vmas
      CPU0: step                # free_pgtables; tlb_finish_mmu -> flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step                # reads mm_cpumask: no global ASID -> flush_tlb_multi -> IPI CPU1
    `);
    s.expectNoEvent({ fn: 'broadcast_tlb_flush' });
    expect(s.costs().ipi_sent_flush).toBe(1);
    s.run('CPU1: irq');
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' }); // kicked, as on native x86
    s.run('CPU0: until do_task_dead');
    s.expectHazard('I3', { cpu: 1 });
    s.finish();
    s.expectNoViolation();
  });

  it('shootdown, lazy-trim: the flush IPIs trim CPU1 out of the mask while lazy -> I7, as native §5.2-B', () => {
    const s = exitWhileLazy('shootdown', { ...ON_DEMAND, trimIntervalSteps: 1 }, 'munmap freed-tables', 'munmap');
    s.run(`
      CPU0: step                        # munmap: unmap_vmas
      CPU0: step                        # tlb_finish_mmu(freed_tables): flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step                        # reads mm_cpumask: on_each_cpu_mask IPIs the lazy CPU1 (freed_tables)
      CPU1: irq                         # -> init_mm, bit kept
      CPU0: step                        # tlb_finish_mmu: free the pages and the table
      CPU0: until should_trim_cpumask   # munmap (no tables): flush_tlb_mm_range reads mm_cpumask: trim
      CPU0: until smp_call_function     # should_flush_tlb(1): not loaded, trim -> IPI
      CPU1: irq                         # trim: CPU1 leaves mm_cpumask(P) while swapper/1 is lazy on P
      CPU0: until cleanup_lazy_tlbs
    `);
    s.expectViolation('I7', 'cleanup_lazy_tlbs(P): CPU1 is lazy on it but not in mm_cpumask');
  });

  it('seeded runs of the default workload at 2 CPUs: consider_global_asid never assigns one (mm_active_cpus_exceeds(mm, 3) needs 4 CPUs)', () => {
    const seen: { tlb: X86Tlb | null; global: number; considered: number } = { tlb: null, global: 0, considered: 0 };
    const spy: ArchPlugin<X86NativeOptions> = {
      ...plugin,
      setup(options) {
        const { tlb, hooks } = createX86Hooks(options);
        seen.tlb = tlb;
        // consider_global_asid() runs as the last step of a task's flush_tlb_mm_range sequence
        // (resume) or through arch_continue (flushes run to completion): spy on the function itself.
        const considerGlobalAsid = tlb.considerGlobalAsid.bind(tlb);
        tlb.considerGlobalAsid = (k, cpu, mm) => {
          seen.considered++;
          considerGlobalAsid(k, cpu, mm);
          if (tlb.mmGlobalAsid[mm] !== 0) seen.global++;
        };
        return hooks;
      },
    };
    for (const scheme of ['refcount', 'none'] as const) {
      const sim = createSimulator({ plugin: spy, archOptions: ON_DEMAND, scheme, cpus: 2 });
      const cell = hashString128(sim.cellId);
      for (let i = 0; i < 300; i++) sim.run(runSeed(cell, i));
    }
    expect(seen.considered).toBeGreaterThan(500); // consider_global_asid ran after every multi-CPU flush
    expect(seen.global).toBe(0);
  });
});

/**
 * Process P runs on all four CPUs. T0's munmap (pages) IPIs CPUs 1-3; once they acknowledged,
 * consider_global_asid() runs on CPU0 at a jiffy that matches T0's pid (the script pads with T3's
 * `run` ops until `k.step & 0x1f == pid & 0x1f`): P gets a global ASID and asid_transition.
 * T1 then exits (CPU1 lazy on P, still on its dynamic ASID). T0's next flush is a broadcast whose
 * finish_asid_transition() finds CPU1 on a dynamic ASID and IPIs the whole mask: every CPU's
 * flush_tlb_func() reloads P with the global ASID (mm_needs_global_asid) -- the lazy CPU1 too,
 * which thereby stops being lazy and is not sent to init_mm. The following flush ends the
 * transition. `extra` adds tasks (after T0-T3 on their CPUs' runqueues).
 */
function globalP(scheme: Scheme, extra: Record<string, ReturnType<typeof kthread>> = {}): Scenario {
  const s = new Scenario({
    arch: plugin,
    archOptions: ON_DEMAND,
    scheme,
    cpus: 4,
    tasks: {
      T0: thread('P', 0, 'munmap', 'munmap freed-tables', 'munmap', 'munmap freed-tables', 'run'),
      T1: thread('P', 1, 'run'),
      T2: thread('P', 2, 'run'),
      T3: thread('P', 3, ...Array<string>(40).fill('run')),
      ...extra,
    },
  });
  const asid = (c: number): string => s.k.arch.describe_cpu(s.k, c);
  s.run(`
    CPU1: op
    CPU2: op
    CPU3: op
    CPU0: op
    CPU0: step     # munmap: unmap_vmas
    CPU0: step     # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
    CPU0: step     # reads mm_cpumask {0-3}: no tables freed -> on_each_cpu_cond_mask(should_flush_tlb)
    CPU0: step 3   # flush_tlb_multi IPIs CPUs 1-3 one by one (should_flush_tlb: loaded, not lazy); the local flush_tlb_func
    CPU1: irq
    CPU2: irq
    CPU3: irq
  `);
  const pid = s.taskId('T0');
  while ((s.step & 0x1f) !== (pid & 0x1f)) s.run('CPU3: op'); // jiffies & 0x1f == current->pid & 0x1f
  s.run('CPU0: step'); // consider_global_asid(P): 4 CPUs run P, none lazy -> use_global_asid
  s.expectEvent({ fn: 'use_global_asid', cpu: 0, text: 'P gets a global ASID' });
  expect(asid(1)).toMatch(/asid=\d/); // nobody switched yet
  s.run(`
    CPU0: step                  # free the pages
    CPU1: op                    # T1: run
    CPU1: until do_task_dead
    CPU1: until context_switch  # T1 -> swapper/1: lazy on P, dynamic ASID
  `);
  s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
  expect(asid(1)).toMatch(/asid=\d lazy/);
  const ipis = s.costs().ipi_sent_flush;
  s.run(`
    CPU0: step                  # munmap(freed_tables): unmap_vmas
    CPU0: step                  # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
    CPU0: step                  # global ASID: broadcast_tlb_flush -> finish_asid_transition: CPU0 itself (and CPU1) are on dynamic ASIDs -> flush_tlb_multi(whole mask)
  `);
  s.expectEvent({ fn: 'broadcast_tlb_flush', cpu: 0 });
  s.expectEvent({ fn: 'finish_asid_transition', text: /CPU0 still runs P on a dynamic ASID/ });
  expect(s.costs().ipi_sent_flush - ipis).toBe(3);
  s.run('CPU1: irq'); // flush_tlb_func: mm_needs_global_asid -> switch_mm_irqs_off(loaded_mm): global, no longer lazy
  s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' });
  expect(asid(1)).toBe('loaded_mm=P asid=global'.replace('P', s.k.mmName(s.mmId('P'))));
  s.run(`
    CPU2: irq
    CPU3: irq
    CPU0: step                  # free the PTE table: every CPU on the global ASID, flushed by INVLPGB
    CPU0: op                    # munmap (pages): broadcast; finish_asid_transition ends the transition
  `);
  s.expectEvent({ fn: 'finish_asid_transition', text: /every CPU running it is on the global ASID/ });
  for (const c of [0, 1, 2, 3]) expect(asid(c)).toMatch(/asid=global/);
  s.expectNoViolation();
  return s;
}

describe('INVLPGB on demand at 4 CPUs: an mm active on all four goes global', () => {
  for (const scheme of ['none', 'refcount'] as const) {
    it(`${scheme}: once global, a lazy CPU is neither IPI'd nor kicked by a table-freeing flush${scheme === 'none' ? '; at exit the broadcast leaves the lazy CPUs on P -> I1' : ': clean'}`, () => {
      const s = globalP(scheme);
      s.run(`
        CPU2: op                    # T2: run
        CPU2: until do_task_dead
        CPU2: until context_switch  # T2 -> swapper/2: lazy on P (global ASID)
      `);
      const ipis = s.costs().ipi_sent_flush;
      s.run(`
        CPU0: step                  # munmap(freed_tables): unmap_vmas
        CPU0: step                  # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
        CPU0: step                  # broadcast_tlb_flush: INVLPGB, no IPI
        CPU0: step                  # free the PTE table: INVLPGB cleaned every CPU's global-ASID entries
      `);
      expect(s.costs().ipi_sent_flush).toBe(ipis);
      s.expectCpu(2, { lazy: 'P', hw_root: 'P' }); // not kicked (native x86 would have IPI'd it to init_mm)
      s.expectNoViolation();
      if (scheme === 'none') {
        s.finish({ expect: 'violation' });
        s.expectViolation('I1', /MMU root is P's pgd, which is pgd_freed/);
      } else {
        s.finish();
        s.expectNoViolation();
        s.expectNoHazard();
      }
    });
  }

  /**
   * A code-reading finding the model reproduces (mainline, refcount): fix_processor_context() ->
   * initialize_tlbstate_and_flush() reloads CR3 with ASID 0 for whatever loaded_mm is, even an
   * mm with a global ASID. A lazy CPU stays lazy on that mm in ASID 0; INVLPGB broadcasts for
   * the mm target its global PCID only, and finish_asid_transition() sends no IPI (the
   * transition is over), so nothing flushes ASID 0 until the CPU next switches. A page-table
   * free of the mm then leaves the lazy CPU's paging-structure cache pointing into it (I2).
   */
  it('refcount (mainline): a suspend/resume by a kworker lazy on a global-ASID mm leaves it in ASID 0, which broadcasts miss -> I2', () => {
    const s = globalP('refcount', { K: kthread(2, 'suspend') });
    s.run(`
      CPU2: op                    # T2: run
      CPU2: until do_task_dead
      CPU2: until context_switch  # T2 -> K: lazy on P (global ASID)
      CPU2: op                    # suspend: fix_processor_context -> initialize_tlbstate_and_flush: ASID 0
    `);
    s.expectEvent({ fn: 'initialize_tlbstate_and_flush', cpu: 2 });
    expect(s.k.arch.describe_cpu(s.k, 2)).toMatch(/asid=0 lazy/);
    s.run(`
      CPU0: step                  # munmap(freed_tables): unmap_vmas
      CPU0: step                  # tlb_finish_mmu: flush_tlb_mm_range: inc_mm_tlb_gen
      CPU0: step                  # broadcast_tlb_flush (global PCID only), no IPI
      CPU0: step                  # free the PTE table
    `);
    const v = s.expectViolation('I2', /page tables of P freed while CPU2 may still hold translations/);
    expect(v.cpu).toBe(2);
  });
});

describe('INVLPGB random runs', () => {
  it('globalAsid every-mm (hypothetical): the I2 of refcount comes only from the suspend/resume ASID-0 reload (none without suspends)', () => {
    const archOptions = { invlpgb: true, globalAsid: 'every-mm' } as const;
    const withSuspend = runCell({ plugin, archOptions, scheme: 'refcount', cpus: 2 }, { runs: 300 });
    expect(Object.keys(withSuspend.notOk)).toEqual(['I2']);
    const noSuspend = runCell({ plugin, archOptions, scheme: 'refcount', cpus: 2, workload: { profile: 'default', params: { suspends: 0 } } }, { runs: 300 });
    expect(noSuspend.notOk, JSON.stringify(noSuspend.shortest?.violation)).toEqual({});
  });
});
