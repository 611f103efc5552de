/**
 * x86's use sites of a possibly dangling lazy mm (I14, kernel-reference §12.2) and
 * cond_mitigation()'s stale last_user_mm_spec (a counter, not a use site). Each directed
 * scenario runs under `none` and, with the same script, under `refcount` (mainline).
 *
 * On x86 the lazy mm a CPU keeps is cpu_tlbstate.loaded_mm (its CR3), not current->active_mm,
 * and a flush with freed_tables moves a lazy CPU to init_mm while active_mm keeps naming the
 * mm. So under `none` active_mm can dangle with the hardware safe; fix_processor_context()'s
 * load_mm_ldt(current->active_mm) is the one modelled x86 path that reads it.
 */
import { describe, expect, it } from 'vitest';
import { CORE_USE_SITES, validateArchPlugin } from '@lazytlb/core';
import { Scenario, child, kthread, thread } from '@lazytlb/testkit';
import plugin, { SITE_FIX_PROCESSOR_CONTEXT, X86_USE_SITES } from './index.js';

type Scheme = 'none' | 'refcount';

describe('use-site declarations', () => {
  it("are in the descriptor, validate, and do not clash with the core's", () => {
    expect(validateArchPlugin(plugin).useSites).toBe(X86_USE_SITES);
    const core = new Set(CORE_USE_SITES.map((u) => u.id));
    for (const u of X86_USE_SITES) {
      expect(core.has(u.id), u.id).toBe(false);
      expect(u.source).toMatch(/@|6\.12/); // file and the commit / tree read
    }
    expect(X86_USE_SITES.map((u) => u.id)).toContain(SITE_FIX_PROCESSOR_CONTEXT);
  });
});

describe('fix_processor_context(): load_mm_ldt(current->active_mm) on resume', () => {
  /**
   * CPU1: T1 (P) exits and the kworker K runs next, lazy on P. T0 (P) exits last on CPU0: the
   * final flush (freed_tables) IPIs CPU1, whose flush_tlb_func switches it to init_mm (K's
   * active_mm stays P). Under `none` P is freed (no I1: no CR3 holds it; K's active_mm dangles,
   * an I3 hazard); then K runs a suspend/resume cycle.
   */
  function run(scheme: Scheme): Scenario {
    const s = new Scenario({
      arch: plugin,
      scheme,
      cpus: 2,
      tasks: { T0: thread('P', 0, 'run'), T1: thread('P', 1), K: kthread(1, 'kwork', 'suspend') },
    });
    s.run(`
      CPU1: op                    # swapper/1 -> T1
      CPU1: until do_task_dead    # T1 exits (mm_users 2 -> 1)
      CPU1: until context_switch  # T1 -> K: K lazy on P
      CPU1: op                    # K: kwork
      CPU0: op                    # swapper/0 -> T0
      CPU0: op                    # run
      CPU0: until exit_mmap       # T0 exits last: unmap_vmas
      CPU0: step                  # free_pgtables; tlb_finish_mmu -> final flush_tlb_mm_range(freed_tables): inc_mm_tlb_gen
      CPU0: step                  # reads mm_cpumask {0,1}: IPI CPU1
      CPU1: irq                   # flush_tlb_func: lazy -> init_mm (K's active_mm is still P)
      CPU0: until do_task_dead
    `);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'init_mm' });
    return s;
  }

  it('none: P is freed with no CR3 on it (I3 hazard on CPU1); the resume dereferences it -> I14 at fix_processor_context', () => {
    const s = run('none');
    s.expectMmFreed('P');
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.expectNoViolation();
    s.run('CPU1: op'); // suspend: restore_processor_state -> fix_processor_context
    s.expectEvent({ fn: 'fix_processor_context', cpu: 1, text: 'load_mm_ldt(P)' });
    s.expectViolation('I14', /use after free: fix_processor_context reads P after free_mm/);
    s.expectUseSite(SITE_FIX_PROCESSOR_CONTEXT, 'dereference');
    s.finish({ expect: 'violation' });
  });

  it("refcount (mainline), same script: K's lazy reference keeps P; load_mm_ldt reads a live mm", () => {
    const s = run('refcount');
    s.expectMm('P', { stage: 'tables_freed' });
    s.run('CPU1: op');
    s.expectEvent({ fn: 'fix_processor_context', cpu: 1 });
    s.expectEvent({ fn: 'initialize_tlbstate_and_flush', cpu: 1 });
    s.expectNoViolation();
    s.finish();
    s.expectNoHazard();
  });
});

describe('cond_mitigation(): cpu_tlbstate.last_user_mm_spec is a stale pointer in every scheme (counted, not a use site)', () => {
  /**
   * One CPU. T0 (P) runs (last_user_mm_spec = P) and exits; the kthread K then execs a new mm
   * R (kernel_execve: bprm_mm_init allocates R before exec_mmap drops the lazy P). x86's
   * activate_mm() passes no task, so cond_mitigation() does not run and last_user_mm_spec
   * still names P. K sleeps, CPU0's deep idle leaves R for init_mm, and K's wakeup switches
   * init_mm -> R: cond_mitigation(K) compares R with P.
   */
  function execAfterExit(scheme: Scheme): Scenario {
    const s = new Scenario({
      arch: plugin,
      scheme,
      cpus: 1,
      deepIdles: 1,
      tasks: { T0: thread('P', 0, 'run'), K: kthread(0, 'kernel_execve', 'run', 'sleep 0', 'run') },
    });
    s.run(`
      CPU0: op                    # swapper/0 -> T0: cond_mitigation: IBPB (last_user_mm_spec was LAST_USER_MM_INIT)
      CPU0: op                    # run
      CPU0: until do_task_dead    # T0 exits
      CPU0: op                    # T0 -> K (lazy on P)
      CPU0: op                    # kernel_execve: mm_alloc -> R; exec_mmap: activate_mm (tsk NULL); mmdrop_lazy_tlb(P)
      CPU0: op                    # run
      CPU0: op                    # sleep
      CPU0: op                    # K -> swapper/0
      CPU0: step                  # cpuidle_enter_state: leave_mm -> init_mm
      CPU0: irq                   # try_to_wake_up(K)
      CPU0: op                    # swapper/0 -> K: switch_mm_irqs_off(init_mm -> R): cond_mitigation(K)
    `);
    s.nameMm('R', s.mmOf('K'));
    return s;
  }

  it("none: P is freed at T0's exit, R gets its address (SLUB LIFO on CPU0) -> the IBPB is skipped (ibpb_skipped_reuse)", () => {
    const s = execAfterExit('none');
    expect(s.k.mmAddr[s.mmId('R')]).toBe(s.k.mmAddr[s.mmId('P')]);
    s.expectEvent({ fn: 'cond_mitigation', cpu: 0, text: /last_user_mm_spec P \(freed\) has R's address: IBPB skipped/ });
    expect(s.costs()).toMatchObject({ ibpb_checks: 2, ibpb: 1, ibpb_skipped_reuse: 1 });
    s.finish();
  });

  it("refcount (mainline), same script: K's lazy reference keeps P until after R is allocated, so R has another address: IBPB issued", () => {
    const s = execAfterExit('refcount');
    expect(s.k.mmAddr[s.mmId('R')]).not.toBe(s.k.mmAddr[s.mmId('P')]);
    s.expectNoEvent({ fn: 'cond_mitigation' });
    expect(s.costs()).toMatchObject({ ibpb_checks: 2, ibpb: 2, ibpb_skipped_reuse: 0 });
    s.finish();
    s.expectNoViolation();
  });

  it("refcount (mainline) has the hole too: exec_mmap frees P on CPU0, the exec'd task's fork gets P's address, and the switch to the child skips its IBPB", () => {
    const s = new Scenario({
      arch: plugin,
      scheme: 'refcount',
      cpus: 1,
      tasks: { T0: thread('P', 0, 'run'), K: kthread(0, 'kernel_execve', 'fork C', 'yield', 'run'), C: child(0, 'run') },
    });
    s.run(`
      CPU0: op                    # swapper/0 -> T0: last_user_mm_spec = P
      CPU0: op
      CPU0: until do_task_dead
      CPU0: op                    # T0 -> K (lazy on P, holding T0's lazy reference)
      CPU0: op                    # kernel_execve: R allocated, then mmdrop_lazy_tlb(P) frees P on CPU0
      CPU0: op                    # fork C: dup_mm -> S, at P's address
      CPU0: op                    # yield
      CPU0: op                    # K -> C: switch_mm_irqs_off(R -> S): cond_mitigation(C)
    `);
    s.nameMm('S', s.mmOf('C'));
    expect(s.k.mmAddr[s.mmId('S')]).toBe(s.k.mmAddr[s.mmId('P')]);
    s.expectEvent({ fn: 'cond_mitigation', text: /last_user_mm_spec P \(freed\) has S's address: IBPB skipped/ });
    expect(s.costs()).toMatchObject({ ibpb_checks: 2, ibpb: 1, ibpb_skipped_reuse: 1 });
    s.finish();
    s.expectNoViolation();
  });

  it('kernel threads, leave_mm and flush_tlb_func never touch last_user_mm_spec; the same user mm back after a kthread costs nothing', () => {
    const s = new Scenario({ arch: plugin, scheme: 'refcount', cpus: 1, tasks: { T: thread('P', 0, 'run', 'yield', 'run'), K: kthread(0, 'kwork') } });
    s.run(`
      CPU0: op     # swapper/0 -> T: IBPB
      CPU0: op     # run
      CPU0: op     # yield
      CPU0: op     # T -> K: lazy, no switch_mm
      CPU0: op     # kwork
      CPU0: op     # K exits -> T: loaded_mm == P: the prev == next path, no cond_mitigation
    `);
    expect(s.costs()).toMatchObject({ ibpb_checks: 1, ibpb: 1, ibpb_skipped_reuse: 0 });
    s.finish();
  });
});
