/**
 * The x86 lazy exits and flushes of today's kernels that the first model lacked
 * (kernel-reference §11-§12): cpuidle's leave_mm() for CPUIDLE_FLAG_TLB_FLUSHED states,
 * use_temporary_mm() (text_poke; EFI from v6.16), flush_tlb_range() users (mremap, khugepaged)
 * passing freed_tables = true since 3ef938c35035, and reclaim's arch_tlbbatch_flush().
 */
import { describe, expect, it } from 'vitest';
import { Scenario, kthread, thread } from '@lazytlb/testkit';
import plugin, { type X86NativeOptions as Opts } from './index.js';
import { exitWhileLazy } from './test-support/scenes.js';

describe('cpuidle_enter_state(): leave_mm() for CPUIDLE_FLAG_TLB_FLUSHED states', () => {
  function lazyIdle(archOptions: Partial<Opts>): Scenario {
    const s = new Scenario({
      arch: plugin,
      archOptions: { invlpgb: true, globalAsid: 'every-mm', ...archOptions },
      scheme: 'none',
      cpus: 2,
      deepIdles: 1,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1) },
    });
    s.run(`
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch   # swapper/1 lazy on P
      CPU1: step                   # idle: cpuidle_enter_state (deep C-state)
    `);
    s.expectEvent({ fn: 'cpuidle_enter_state', cpu: 1 });
    return s;
  }

  it('intel_idle C3+ (idleTlbFlushed, default): the idle CPU1 leaves P for init_mm (active_mm stays P); with every-mm INVLPGB, whose broadcasts kick nobody, only the exiting CPU0 is then left on P -> I1 on CPU0', () => {
    const s = lazyIdle({});
    s.expectEvent({ fn: 'leave_mm', cpu: 1 });
    s.expectCpu(1, { lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    s.run(`
      CPU0: op
      CPU0: op
      CPU0: until do_task_dead     # the exit flush is a broadcast; CPU0 (exiting, lazy on P) stays on P: I1 on CPU0
    `);
    const v = s.expectViolation('I1', "CPU0's MMU root is P's pgd");
    expect(v.cpu).toBe(0);
    s.expectCpu(1, { hw_root: 'init_mm' });
  });

  it('idleTlbFlushed: false (acpi_idle / AMD default idle): the idle CPU keeps CR3 on P', () => {
    const s = lazyIdle({ idleTlbFlushed: false });
    s.expectNoEvent({ fn: 'leave_mm' });
    s.expectCpu(1, { lazy: 'P', hw_root: 'P' });
  });
});

describe('use_temporary_mm(): text_poke leaves a lazy mm first', () => {
  it('a kthread lazy on P pokes: leave_mm, poking_mm in a dynamic ASID, back to init_mm; the CPU is no longer lazy', () => {
    const s = new Scenario({
      arch: plugin,
      scheme: 'refcount',
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1), K: kthread(1, 'text_poke') },
    });
    s.run(`
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch   # T1 -> K: lazy on P
      CPU1: op                     # text_poke
    `);
    s.expectEvent({ fn: 'leave_mm', cpu: 1, text: 'loaded_mm P -> init_mm' });
    s.expectEvent({ fn: 'use_temporary_mm', cpu: 1, text: /poking_mm in ASID \d, back to init_mm/ });
    s.expectCpu(1, { curr: 'K', lazy: 'P', active_mm: 'P', hw_root: 'init_mm' });
    expect(s.k.arch.describe_cpu(s.k, 1)).toBe('loaded_mm=init_mm asid=0');
    expect(s.costs().ibpb_checks).toBe(1); // only T1's switch-in: K has no mm
    s.finish();
    s.expectNoViolation();
  });

  it('a user task pokes on its own mm: it comes back to P (choose_new_asid), cond_mitigation checks twice without an IBPB', () => {
    const s = new Scenario({ arch: plugin, scheme: 'refcount', cpus: 1, tasks: { T: thread('P', 0, 'run', 'text_poke', 'run') } });
    s.run(`
      CPU0: op     # swapper/0 -> T: IBPB
      CPU0: op     # run
      CPU0: op     # text_poke: P -> poking_mm -> P
    `);
    s.expectNoEvent({ fn: 'leave_mm' });
    s.expectEvent({ fn: 'use_temporary_mm', text: /back to P/ });
    s.expectCpu(0, { curr: 'T', hw_root: 'P' });
    expect(s.costs()).toMatchObject({ ibpb_checks: 3, ibpb: 1 });
    s.finish();
    s.expectNoViolation();
  });
});

describe('flush_tlb_range() passes freed_tables = true (3ef938c35035, v6.15)', () => {
  it('mremap: the flush IPIs the lazy CPU1 although no table is freed, and flush_tlb_func sends it to init_mm', () => {
    const s = exitWhileLazy('refcount', {}, 'mremap');
    s.run('CPU0: op   # mremap: move_page_tables -> flush_tlb_range');
    expect(s.costs().ipi_sent_flush).toBe(1);
    s.run('CPU1: irq');
    s.expectCpu(1, { lazy: 'P', hw_root: 'init_mm' });
    s.finish();
    s.expectNoViolation();
  });
});

describe("arch_tlbbatch_flush(): reclaim's batched flush", () => {
  /** CPU1 runs T1 (P), CPU2 is lazy on P (T2 exited), CPU0 is kswapd (K) reclaiming a page of P. */
  function reclaim(archOptions: Partial<Opts>): Scenario {
    const s = new Scenario({
      arch: plugin,
      archOptions,
      scheme: 'refcount',
      cpus: 3,
      tasks: { K: kthread(0, 'reclaim P'), T1: thread('P', 1, 'run', 'run'), T2: thread('P', 2) },
    });
    s.run(`
      CPU1: op
      CPU2: op
      CPU2: until do_task_dead
      CPU2: until context_switch   # swapper/2 lazy on P
      CPU0: op                     # swapper/0 -> K
      CPU0: step                   # try_to_unmap: arch_tlbbatch_add_pending + arch_tlbbatch_flush
    `);
    s.expectEvent({ fn: 'try_to_unmap', cpu: 0 });
    return s;
  }

  it('native: flush_tlb_multi(batch mask, info->mm = NULL): should_flush_tlb IPIs the running CPU1 and skips the lazy CPU2; the page free is clean', () => {
    const s = reclaim({});
    expect(s.costs().ipi_sent_flush).toBe(1);
    s.run(`
      CPU1: irq                    # flush_tlb_func(mm = NULL): CPU1's loaded P is behind -> flush
      CPU0: step                   # shrink_folio_list frees the page
    `);
    s.expectCpu(2, { lazy: 'P', hw_root: 'P' }); // not IPI'd: it catches up via tlb_gen at its next switch
    s.expectNoViolation();
    s.finish();
    s.expectNoViolation();
  });

  it('INVLPGB: invlpgb_flush_all_nonglobals(), no IPI at all; the page free is clean', () => {
    const s = reclaim({ invlpgb: true });
    s.expectEvent({ fn: 'arch_tlbbatch_flush', text: /invlpgb_flush_all_nonglobals/ });
    expect(s.costs().ipi_sent_flush).toBe(0);
    s.run('CPU0: step');
    s.expectNoViolation();
    s.finish();
    s.expectNoViolation();
  });
});
