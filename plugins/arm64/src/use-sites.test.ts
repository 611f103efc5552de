/**
 * Directed scenarios for arm64's use sites of a possibly dangling lazy mm (I14, kernel-reference
 * §12.2): each fires under `none` (REFCOUNT=n without shoot-lazies) and the mainline model
 * (`refcount`) passes the same script. Plus a dangling pointer that is never used (a hazard
 * only: the run completes).
 *
 * Which hardware configuration lets a site fire first matters on arm64: with hardware PAN (the
 * default) a lazy CPU keeps the mm's pgd in TTBR0, so freeing a lazily-used mm frees a live
 * TTBR0 (I1) before anything can use the dangling pointer, unless the lazy CPU sits in a
 * context-losing idle state (TTBR0 lost) when the mm is freed: then its resume
 * (cpu_uninstall_idmap) is the use. With SW PAN (`swPan: true`) the kernel runs on the reserved
 * TTBR0, no lazy CPU holds the pgd, and the compare and EFI sites are reached.
 */
import { describe, expect, it } from 'vitest';
import { Scenario, child, kthread, ringExitWorker, thread, useMmWorker, type ScenarioOptions } from '@lazytlb/testkit';
import plugin, { SITE_ACTIVATE_MM, SITE_EFI_UNLOAD, SITE_KTHREAD_USE_MM, SITE_SWITCH_MM, SITE_UNINSTALL_IDMAP } from './index.js';

type Scheme = 'refcount' | 'none';
const SCHEMES: readonly Scheme[] = ['none', 'refcount'];

function scenario(scheme: Scheme, opts: Omit<ScenarioOptions, 'arch' | 'scheme'>): Scenario {
  return new Scenario({ arch: plugin, scheme, ...opts });
}

describe('cpu_uninstall_idmap(): the resume from a context-losing idle state reloads current->active_mm (hardware PAN)', () => {
  /**
   * CPU1's idle task is lazy on P (its io-wq thread W exited there) and powers down. P's last
   * user exits on CPU0, which moves on to Q; the ring's exit kworker E does P's final mmdrop.
   * No TTBR0 holds P's pgd (CPU1 is off), so `none` frees P without I1; CPU1's next idle entry
   * first resumes from the previous one: cpu_uninstall_idmap() reads current->active_mm = P.
   */
  function run(scheme: Scheme, deepIdle: 'powerdown' | 'retention' = 'powerdown'): Scenario {
    const s = scenario(scheme, {
      archOptions: { deepIdle },
      cpus: 2,
      deepIdles: 2,
      tasks: {
        T0: thread('P', 0, 'io_uring_setup W E', 'run'),
        W: child(1, 'kwork'),
        U: thread('Q', 0, 'yield', 'run'),
        E: ringExitWorker(0),
      },
    });
    s.run(`
      CPU0: op                      # swapper/0 -> T0
      CPU0: op                      # io_uring_setup: the ring pins P (mmgrab), io-wq thread W on CPU1
      CPU1: op                      # swapper/1 -> W
      CPU1: op                      # kwork
      CPU1: until do_task_dead      # W exits
      CPU1: until context_switch    # W -> swapper/1, lazy on P
      CPU1: until cpuidle_enter_state
    `);
    if (deepIdle === 'powerdown') {
      s.expectEvent({ fn: 'cpu_suspend', cpu: 1 });
      s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'init_mm' }); // powered down: no TTBR0
    } else {
      s.expectCpu(1, { curr: 'swapper/1', lazy: 'P', hw_root: 'P' }); // retention: TTBR0 kept
    }
    s.run(`
      CPU0: op                      # run
      CPU0: until do_task_dead      # T0 exits: mm_users 0, exit_mmap; io_uring_release queues E
      CPU0: op                      # T0 -> U: switch_mm(P, Q)
      CPU0: op                      # U: yield
      CPU0: op                      # U -> E (lazy on Q)
      CPU0: op                      # io_ring_exit_work: io_ring_ctx_free -> mmdrop(P)
    `);
    return s;
  }

  it('none: P is freed while CPU1 is off (hazard, no I1); the resume dereferences it -> I14 at cpu_uninstall_idmap', () => {
    const s = run('none');
    s.expectMmFreed('P');
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.expectNoViolation();
    s.run('CPU1: step'); // the next idle entry: cpu_resume -> __cpu_suspend_exit first
    s.expectEvent({ fn: '__cpu_suspend_exit', cpu: 1 });
    s.expectViolation('I14', /use after free: cpu_uninstall_idmap reads P after free_mm/);
    s.expectUseSite(SITE_UNINSTALL_IDMAP, 'dereference');
    s.finish({ expect: 'violation' });
  });

  it("refcount: CPU1's lazy reference keeps P; the resume reloads its live pgd", () => {
    const s = run('refcount');
    s.expectMm('P', { stage: 'tables_freed', mm_count: 1 });
    s.run('CPU1: step');
    s.expectEvent({ fn: '__cpu_suspend_exit', cpu: 1 });
    s.expectEvent({ fn: 'cpu_switch_mm', cpu: 1, text: 'TTBR0 = P->pgd' });
    s.expectNoViolation();
    s.finish();
    s.expectNoHazard();
  });

  it('none, retention state: the lazy CPU keeps TTBR0 on P, so freeing P breaks I1 first (no resume path runs)', () => {
    const s = run('none', 'retention');
    s.expectViolation('I1', /CPU1's MMU root is P's pgd/);
    expect(s.findEvents({ fn: '__cpu_suspend_exit' })).toEqual([]);
    s.finish({ expect: 'violation' });
  });

  it('swPan: cpu_uninstall_idmap() reads nothing (system_uses_ttbr0_pan()): the dangling pointer stays unused', () => {
    const s = scenario('none', {
      archOptions: { swPan: true },
      cpus: 2,
      deepIdles: 2,
      tasks: { T0: thread('P', 0, 'io_uring_setup W E', 'run'), W: child(1, 'kwork'), U: thread('Q', 0, 'yield', 'run'), E: ringExitWorker(0) },
    });
    s.run(`
      CPU0: op
      CPU0: op
      CPU1: op
      CPU1: op
      CPU1: until do_task_dead
      CPU1: until context_switch
      CPU1: until cpuidle_enter_state
      CPU0: op
      CPU0: until do_task_dead
      CPU0: op
      CPU0: op
      CPU0: op
      CPU0: op
      CPU1: step
    `);
    s.expectEvent({ fn: '__cpu_suspend_exit', cpu: 1 });
    s.expectHazard('I3', { cpu: 1 });
    s.expectNoViolation();
  });
});

describe('switch_mm(): `if (prev != next) __switch_mm(next)` with a freed prev whose address SLUB gave to next (SW PAN)', () => {
  /**
   * CPU1's idle task is lazy on P (T1 exited there); P's last thread T0 exits on CPU0, which
   * frees P under `none` (CPU0's SLUB freelist now heads with P's address). U forks V on CPU0:
   * dup_mm allocates R at P's address. V starts on CPU1: context_switch -> switch_mm(P, R),
   * equal pointers: check_and_switch_context(R) is skipped and R runs under ASID 0.
   */
  function run(scheme: Scheme): Scenario {
    const s = scenario(scheme, {
      archOptions: { swPan: true },
      cpus: 2,
      tasks: {
        T0: thread('P', 0, 'run'), // first: P is allocated from CPU0's slab
        T1: thread('P', 1),
        U: thread('Q', 0, 'fork V'),
        V: child(1, 'run'),
      },
    });
    s.run(`
      CPU1: op                      # swapper/1 -> T1
      CPU1: until do_task_dead      # T1 exits (mm_users 2 -> 1)
      CPU1: until context_switch    # T1 -> swapper/1, lazy on P
      CPU0: op                      # swapper/0 -> T0
      CPU0: op                      # run
      CPU0: until do_task_dead      # T0 exits: P's last user
      CPU0: op                      # T0 -> U
      CPU0: until wake_up_new_task  # fork: dup_mm allocates V's mm on CPU0
    `);
    s.nameMm('R', s.mmOf('V'));
    return s;
  }

  it("none: R reuses P's address; swapper/1 -> V compares stale P with R -> I14 stale compare at switch_mm", () => {
    const s = run('none');
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    expect(s.k.mmAddr[s.names.mmId('R')]).toBe(s.k.mmAddr[s.names.mmId('P')]); // SLUB LIFO on CPU0
    s.run('CPU1: until context_switch');
    s.expectViolation(
      'I14',
      /stale compare in switch_mm \(prev != next\): freed P equals live R by address reuse; check_and_switch_context\(R\) skipped: R runs under ASID 0 of context\.id 0 \(never allocated\)/,
    );
    s.expectUseSite(SITE_SWITCH_MM, 'stale-compare');
    s.finish({ expect: 'violation' });
  });

  it('refcount: the lazy reference keeps P alive, R gets another address, V runs normally', () => {
    const s = run('refcount');
    expect(s.k.mmAddr[s.names.mmId('R')]).not.toBe(s.k.mmAddr[s.names.mmId('P')]);
    // swapper/1 -> V: the whole switch (generation check | cpu_asid_lock slow path + update_saved_ttbr0)
    s.run('CPU1: until context_switch "V switch_mm_irqs_off"');
    s.expectCpu(1, { curr: 'V', hw_root: 'R' });
    s.expectNoViolation();
    s.finish();
    s.expectNoHazard();
  });
});

describe('activate_mm(active_mm, mm) in exec_mmap: a kernel thread lazy on a freed mm execs (SW PAN)', () => {
  /** T1, P's only thread, exits on CPU1; the kthread K inherits the lazy P and kernel_execve's on CPU1. */
  function run(scheme: Scheme): Scenario {
    const s = scenario(scheme, {
      archOptions: { swPan: true },
      cpus: 2,
      tasks: { T1: thread('P', 1, 'run'), K: kthread(1, 'kernel_execve') },
    });
    s.run(`
      CPU1: op                      # swapper/1 -> T1
      CPU1: op                      # run
      CPU1: until do_task_dead      # T1 exits: P's last user
      CPU1: op                      # T1 -> K (kernel -> kernel: K inherits the lazy P)
      CPU1: until bprm_mm_init      # mm_alloc on CPU1
    `);
    s.nameMm('N', s.k.nmm - 1); // the mm bprm_mm_init just allocated (not yet K's)
    return s;
  }

  it("none: the new mm takes P's address; activate_mm(P, N) is skipped -> I14 stale compare at activate_mm", () => {
    const s = run('none');
    s.expectHazard('I3', { cpu: 1 });
    expect(s.k.mmAddr[s.names.mmId('N')]).toBe(s.k.mmAddr[s.names.mmId('P')]);
    s.run('CPU1: until activate_mm');
    s.expectViolation('I14', /stale compare in activate_mm \(prev != next\): freed P equals live N by address reuse/);
    s.expectUseSite(SITE_ACTIVATE_MM, 'stale-compare');
    s.finish({ expect: 'violation' });
  });

  it("refcount: K's lazy reference keeps P until exec_mmap's mmdrop_lazy_tlb; the exec is a normal switch", () => {
    const s = run('refcount');
    expect(s.k.mmAddr[s.names.mmId('N')]).not.toBe(s.k.mmAddr[s.names.mmId('P')]);
    s.run('CPU1: until activate_mm');
    s.expectNoViolation();
    s.finish();
    s.expectMmFreed('P');
    s.expectNoHazard();
  });
});

describe('kthread_use_mm(): switch_mm_irqs_off(active_mm, mm) by a kernel thread lazy on a freed mm (SW PAN)', () => {
  /**
   * swapper/0 is lazy on P (T0 exited there); P's last thread T1 exits on CPU1, freeing P on
   * CPU1's SLUB freelist; U forks V on CPU1 (V's mm R takes P's address); V hands R to the
   * worker W on CPU0 (use_mm_setup), which inherits swapper/0's lazy P and adopts R.
   */
  function run(scheme: Scheme): Scenario {
    const s = scenario(scheme, {
      archOptions: { swPan: true },
      cpus: 2,
      tasks: {
        T1: thread('P', 1, 'run'), // first: P is allocated from CPU1's slab
        T0: thread('P', 0),
        U: thread('Q', 1, 'fork V'),
        V: child(1, 'use_mm_setup W', 'run'),
        W: useMmWorker(0, 'kthread_use_mm', 'kthread_unuse_mm'),
      },
    });
    s.run(`
      CPU0: op                      # swapper/0 -> T0
      CPU0: until do_task_dead      # T0 exits
      CPU0: until context_switch    # T0 -> swapper/0, lazy on P
      CPU1: op                      # swapper/1 -> T1
      CPU1: op                      # run
      CPU1: until do_task_dead      # T1 exits: P's last user
      CPU1: op                      # T1 -> U
      CPU1: until wake_up_new_task  # fork V: dup_mm on CPU1
    `);
    s.nameMm('R', s.mmOf('V'));
    s.run(`
      CPU1: op                      # U exits ...
      CPU1: until use_mm_setup      # V: use_mm_setup W (mmgrab(R) for the worker)
      CPU0: op                      # swapper/0 -> W (kernel -> kernel: W inherits the lazy P)
    `);
    return s;
  }

  it('none: W compares its stale active_mm P with R (same address) -> I14 stale compare at kthread_use_mm', () => {
    const s = run('none');
    s.expectHazard('I3', { cpu: 0 });
    expect(s.k.mmAddr[s.names.mmId('R')]).toBe(s.k.mmAddr[s.names.mmId('P')]);
    s.run('CPU0: until kthread_use_mm "mm="');
    s.expectViolation('I14', /stale compare in kthread_use_mm \(prev != next\): freed P equals live R by address reuse/);
    s.expectUseSite(SITE_KTHREAD_USE_MM, 'stale-compare');
    s.finish({ expect: 'violation' });
  });

  it("refcount: swapper/0's lazy reference keeps P; W switches from P to R normally", () => {
    const s = run('refcount');
    expect(s.k.mmAddr[s.names.mmId('R')]).not.toBe(s.k.mmAddr[s.names.mmId('P')]);
    s.run('CPU0: until kthread_use_mm "mm="');
    s.expectNoViolation();
    s.finish();
    s.expectNoHazard();
  });
});

describe('efi_virtmap_unload(): efi_set_pgd(current->active_mm) after an EFI runtime call by a lazy kernel thread (SW PAN)', () => {
  /** T1, P's only thread, exits on CPU1; the kworker K (lazy on P) makes an EFI runtime call. */
  function run(scheme: Scheme): Scenario {
    const s = scenario(scheme, {
      archOptions: { swPan: true },
      cpus: 2,
      tasks: { T1: thread('P', 1, 'run'), K: kthread(1, 'text_poke') },
    });
    s.run(`
      CPU1: op                      # swapper/1 -> T1
      CPU1: op                      # run
      CPU1: until do_task_dead      # T1 exits: P's last user
      CPU1: op                      # T1 -> K, lazy on P
    `);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'init_mm' }); // SW PAN: the kernel runs on reserved_pg_dir
    return s;
  }

  it('none: efi_virtmap_load switches to efi_mm; the unload reads the freed P -> I14 dereference at efi_virtmap_unload', () => {
    const s = run('none');
    s.expectHazard('I3', { cpu: 1 });
    s.run('CPU1: op'); // text_poke: the EFI runtime call
    s.expectEvent({ fn: 'cpu_switch_mm', cpu: 1, text: 'efi_mm' });
    s.expectViolation('I14', /use after free: efi_virtmap_unload reads P after free_mm/);
    s.expectUseSite(SITE_EFI_UNLOAD, 'dereference');
    s.finish({ expect: 'violation' });
  });

  it("refcount: K's lazy reference keeps P; the unload re-validates P's live ASID", () => {
    const s = run('refcount');
    s.run('CPU1: op');
    s.expectEvent({ fn: 'efi_virtmap_unload', cpu: 1, text: 'current->active_mm = P' });
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'init_mm' });
    s.expectNoViolation();
    s.finish();
    s.expectNoHazard();
  });

  it('hardware PAN, refcount: the call leaves TTBR0 back on the lazy P (efi_mm only in between)', () => {
    const s = scenario('refcount', { cpus: 2, tasks: { T1: thread('P', 1, 'run'), K: kthread(1, 'text_poke') } });
    s.run('CPU1: op\nCPU1: op\nCPU1: until do_task_dead\nCPU1: op\nCPU1: op');
    const loads = s.findEvents({ fn: 'cpu_switch_mm', cpu: 1 }).map((e) => e.text.split(',')[0]);
    expect(loads.slice(-2)).toEqual(['TTBR0 = efi_mm->pgd', 'TTBR0 = P->pgd']);
    s.expectCpu(1, { curr: 'K', lazy: 'P', hw_root: 'P' });
    s.finish();
  });
});

describe('a dangling lazy pointer that nothing uses: a hazard, and the run completes', () => {
  for (const scheme of SCHEMES) {
    it(`${scheme}, SW PAN: T0 exits on CPU0 (P freed while T0 is lazy on it), CPU0 moves on to Q`, () => {
      const s = scenario(scheme, {
        archOptions: { swPan: true },
        cpus: 2,
        tasks: { T0: thread('P', 0, 'run'), U: thread('Q', 0, 'run') },
      });
      s.run(`
        CPU0: op                    # swapper/0 -> T0
        CPU0: op                    # run
        CPU0: until do_task_dead    # T0 exits
      `);
      if (scheme === 'none') {
        // __mmdrop frees P under T0's own lazy active_mm: the WARN (not fatal under none) and I3
        s.expectMmFreed('P');
        s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
        s.expectUseSite('__mmdrop', 'warn');
      } else {
        s.expectMm('P', { stage: 'tables_freed' });
        s.expectNoHazard();
      }
      s.run('CPU0: op'); // T0 -> U: switch_mm(P, Q), different addresses: prev is only compared
      s.expectCpu(0, { curr: 'U', hw_root: 'Q' });
      s.finish();
      s.expectNoViolation();
      if (scheme === 'none') {
        const f = s.sim.findings().filter((x) => x.kind === 'use-site');
        expect(f.map((x) => (x.kind === 'use-site' ? x.site : ''))).toEqual(['__mmdrop']);
      }
    });
  }
});
