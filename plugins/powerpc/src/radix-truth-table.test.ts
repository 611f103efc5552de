/**
 * kernel-reference §5.6 (powerpc 64s radix), as directed scenarios:
 *
 * C (REFCOUNT=n, no shootdown: the scheme `none`): CPU1 is lazy on P (SPRN_PID = p) when P's
 *   last thread exits on CPU0; nothing shoots CPU1 down, so free_mm(P) leaves active_mm
 *   dangling. That is the I3 *hazard*: `none` is premised on a dangling pointer, so it is
 *   recorded and the run goes on. What follows decides: (PID reuse) the next mm gets P's PID
 *   from the lowest-free-id allocator while CPU1 (and CPU0) still have it in SPRN_PID — I1 at
 *   that very fork (CPU1 can walk another process's tree, outside its mm_cpumask); past it, the
 *   new owner's local flush misses CPU1 — I2. The ABA path (`prev == next` with P's address
 *   reused) and the other use sites are in use-sites.test.ts.
 * B (SHOOTDOWN, mainline >= v6.4) and A (REFCOUNT, pre-v6.4): the same script is clean.
 */
import { describe, expect, it } from 'vitest';
import { lazyThenExit } from './test-support/lazy-then-exit.js';
import { acknowledgeViolation } from './test-support/scenario-helpers.js';

describe('powerpc radix §5.6-C: REFCOUNT=n without shootdown', () => {
  it('I3 at free_mm is a hazard: the lazy CPUs still name P, the run goes on; the PID is freed but nothing can walk it yet (no I1)', () => {
    const s = lazyThenExit('none', {}, 'lazy-child');
    s.expectNoViolation();
    s.expectMmFreed('P');
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.expectHazard('I3', { cpu: 0, holder: 'active_mm' });
    // The fullmm flush was global (active_cpus == 2) with RIC=2: CPU1's process-table cache
    // and TLB for the PID are clean, and prtb0 is zero: SPRN_PID names nothing walkable.
    expect(s.hwRoot(1)).toBe(0);
    expect(s.findEvents({ fn: 'tlbie' }).length).toBeGreaterThan(0);
    // __mmdrop's WARN_ON_ONCE(mm == current->active_mm) fired and was not fatal (`none` is
    // mainline with that WARN removed)
    s.expectUseSite('__mmdrop', 'warn');
    s.run('CPU2: op     # swapper/2 -> U: the run goes on');
    s.expectNoViolation();
    s.stop();
  });

  it("PID reuse: the fork on CPU2 hands P's PID to N while CPU1 still has it loaded -> I1 at init_new_context; no ABA (another CPU's slab)", () => {
    const s = lazyThenExit('none', {}, 'lazy-child');
    s.run(`
      CPU2: op     # swapper/2 -> U
      CPU2: op     # fork V: dup_mm on CPU2, N gets the lowest free PID: P's
    `);
    s.expectViolation('I1', /CPU[01]'s MMU root is P's context/);
    s.expectEvent({ fn: 'init_new_context', text: 'still has it in SPRN_PID' });
    acknowledgeViolation(s);
    s.run('CPU2: op     # the rest of the fork: dup_mmap flush, wake_up_new_task');
    const n = s.mmOf('V');
    s.nameMm('N', n);
    expect(s.k.mmAddr[n]).not.toBe(s.k.mmAddr[s.mmId('P')]); // SLUB: CPU2's slab, not P's object
    // swapper/1 -> V: switch_mm_irqs_off(prev = P (freed), next = N): cpumask_set_cpu |
    // inc_mm_active_cpus | smp_mb(), not equal | PID loaded. Until the PID load, SPRN_PID still
    // holds the PID loaded for P and now N's: the fork's I1, seen again at each of CPU1's own steps.
    const firstStep = s.k.step;
    for (let i = 0; i < 3; i++) {
      s.run('CPU1: step');
      s.expectViolation('I1', /CPU1's MMU root is P's context/);
      acknowledgeViolation(s);
    }
    s.run('CPU1: step');
    s.expectEvent({ fn: 'radix__switch_mmu_context', cpu: 1, text: '(N)', since: firstStep });
    s.expectNoViolation();
    s.stop();
  });

  it("PID reuse without ABA: past the I1, the new owner's local flush misses the lazy CPU -> I2", () => {
    const s = lazyThenExit('none', {}, 'reuse');
    s.expectNoViolation();
    s.run(`
      CPU2: op     # swapper/2 -> U
      CPU2: op     # fork V: N gets P's PID while CPU1 still has it loaded
    `);
    // The reassignment itself is I1 (SPRN_PID names a reassigned PID); follow on to the TLB hazard.
    s.expectViolation('I1', /MMU root is P's context/);
    acknowledgeViolation(s);
    s.run(`
      CPU2: op     # the rest of the fork: dup_mmap flush, wake_up_new_task
      CPU2: op     # yield
      CPU2: op     # U -> V: SPRN_PID = N's PID (the reused one), bit 2 in mm_cpumask(N)
      CPU2: op     # run
      CPU2: op     # munmap: flush_type_needed -> LOCAL (active_cpus(N) == 1): tlbiel on CPU2 only
    `);
    s.expectEvent({ fn: 'flush_type_needed', text: 'LOCAL' });
    s.expectViolation('I2', /CPU[01] may still hold translations/);
    s.stop();
  });
});

describe('powerpc radix, mainline configurations of the same rows', () => {
  for (const [scheme, opts] of [
    ['shootdown', {}],
    ['shootdown', { combinedFinalFlush: false }],
    ['refcount', {}],
  ] as const) {
    it(`${scheme} ${JSON.stringify(opts)}: the same interleavings are clean`, () => {
      for (const which of ['lazy-child', 'reuse'] as const) {
        const s = lazyThenExit(scheme, opts, which);
        s.expectNoViolation();
        s.expectNoHazard();
        if (scheme === 'shootdown') {
          s.expectMmFreed('P');
          // CPU1 left P for init_mm (exit_flush_lazy_tlbs with the v6.6 combined flush, else do_shoot_lazy_tlb)
          s.expectCpu(1, { lazy: 'init_mm', hw_root: 'init_mm' });
          if (opts.combinedFinalFlush === false) s.expectEvent({ fn: 'do_shoot_lazy_tlb', cpu: 1 });
          else s.expectEvent({ fn: 'do_exit_flush_lazy_tlb', cpu: 1 });
        } else {
          s.expectMm('P', { mm_users: 0, mm_count: 2 }); // the lazy references of CPU0 (dead T0) and CPU1 pin P
          s.expectCpu(1, { lazy: 'P' });
        }
        s.finish();
      }
    });
  }
});
