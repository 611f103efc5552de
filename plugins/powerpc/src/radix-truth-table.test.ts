/**
 * kernel-reference §5.6 (powerpc 64s radix), as directed scenarios:
 *
 * C (REFCOUNT=n, no shootdown): CPU1 is lazy on P (SPRN_PID = p) when P's last thread exits
 *   on CPU0; nothing shoots CPU1 down, so free_mm(P) leaves active_mm dangling (I3). Past
 *   that: (ABA) a fork gets P's slab address and, from the lowest-free-id allocator, P's PID
 *   p; CPU1's switch_mm_irqs_off(prev = &P == &N, next = N) returns at `prev == next`
 *   without loading the PID, and CPU1 runs N with the PID it loaded for the dead P — I1.
 *   (PID reuse, no ABA) the new owner of p runs single-threaded on CPU2; its munmap flush is
 *   local (active_cpus == 1), but CPU1, still on SPRN_PID = p outside N's mm_cpumask, may
 *   have walked N's tree — the freed pages are still in CPU1's TLB: I2.
 * B (SHOOTDOWN, mainline >= v6.4) and A (REFCOUNT, pre-v6.4): the same script is clean.
 */
import { describe, expect, it } from 'vitest';
import { lazyThenExit } from './test-support/lazy-then-exit.js';
import { acknowledgeViolation } from './test-support/scenario-helpers.js';

describe('powerpc radix §5.6-C: REFCOUNT=n without shootdown', () => {
  it('I3 at free_mm: the lazy CPUs still name P; the PID is freed but nothing can walk it yet (no I1)', () => {
    const s = lazyThenExit('none', {}, 'aba');
    s.expectViolation('I3', /free_mm\(P\)/);
    // The fullmm flush was global (active_cpus == 2) with RIC=2: CPU1's process-table cache
    // and TLB for the PID are clean, and prtb0 is zero: SPRN_PID names nothing walkable.
    expect(s.hwRoot(1)).toBe(0);
    expect(s.findEvents({ fn: 'tlbie' }).length).toBeGreaterThan(0);
    s.stop();
  });

  it('ABA: the fork gets P\'s address and PID; prev == next skips the PID load on CPU1 -> I1', () => {
    const s = lazyThenExit('none', {}, 'aba');
    s.expectViolation('I3', /free_mm\(P\)/);
    const addrP = s.k.mmAddr[s.mmId('P')]!;
    acknowledgeViolation(s);
    s.run(`
      CPU2: op     # swapper/2 -> U
      CPU2: op     # fork V: dup_mm -> N at P's slab address, PID reused
    `);
    // init_new_context hands P's PID to N while a CPU still has it in SPRN_PID: I1 right there
    // (the PID is reassigned while loaded); acknowledge it to follow the ABA path on.
    s.expectViolation('I1', /MMU root is P's context/);
    acknowledgeViolation(s);
    s.run('CPU2: op     # the rest of the fork: dup_mmap flush, wake_up_new_task');
    const n = s.mmOf('V');
    s.nameMm('N', n);
    expect(s.k.mmAddr[n]).toBe(addrP); // SLUB LIFO reuse: &N == &P
    s.expectEvent({ fn: 'init_new_context', text: 'still has it in SPRN_PID' });
    s.run('CPU1: step'); // swapper/1 -> V: switch_mm_irqs_off(prev = P (freed), next = N)
    s.expectEvent({ fn: 'switch_mm_irqs_off', text: 'ABA' });
    s.expectNoEvent({ fn: 'radix__switch_mmu_context', cpu: 1, since: s.last.firstStep });
    s.expectViolation('I1', /CPU1's MMU root is P's context/);
    s.stop();
  });

  it('PID reuse without ABA: the new owner\'s local flush misses the lazy CPU -> I2', () => {
    const s = lazyThenExit('none', {}, 'reuse');
    s.expectViolation('I3', /free_mm\(P\)/);
    acknowledgeViolation(s);
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
      for (const which of ['aba', 'reuse'] as const) {
        const s = lazyThenExit(scheme, opts, which);
        s.expectNoViolation();
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
