/**
 * kernel-reference §5.7 (powerpc 64s hash), as directed scenarios, with the interleaving of
 * the radix ones (lazy-then-exit.ts):
 *
 * C (REFCOUNT=n, no shootdown): I3 at free_mm(P). Past it: the fork gets P's slab address
 *   and P's context id; CPU1's switch_mm_irqs_off returns at `prev == next` before
 *   switch_slb(), so V runs N's user code with the SLB / paca context loaded for the dead P —
 *   I1. Without ABA the reused context id is harmless on hash (the hardware never walks
 *   Linux page tables and a lazy kernel thread makes no user access): no second violation.
 * B and A: clean; under SHOOTDOWN the never-trimmed mask makes cleanup_lazy_tlbs IPI every
 *   CPU that ever ran P.
 */
import { describe, expect, it } from 'vitest';
import { lazyThenExit } from './test-support/lazy-then-exit.js';
import { acknowledgeViolation } from './test-support/scenario-helpers.js';

const HASH = { mmu: 'hash' } as const;

describe('powerpc hash §5.7-C: REFCOUNT=n without shootdown', () => {
  it('I3 at free_mm(P)', () => {
    const s = lazyThenExit('none', HASH, 'aba');
    s.expectViolation('I3', /free_mm\(P\)/);
    s.stop();
  });

  it('ABA: prev == next skips switch_slb; V runs with the dead P\'s context -> I1', () => {
    const s = lazyThenExit('none', HASH, 'aba');
    s.expectViolation('I3', /free_mm\(P\)/);
    const addrP = s.k.mmAddr[s.mmId('P')]!;
    acknowledgeViolation(s);
    s.run(`
      CPU2: op     # swapper/2 -> U
      CPU2: op     # fork V: N at P's address, P's context id
      CPU1: step   # swapper/1 -> V: switch_mm_irqs_off(prev = P (freed), next = N)
    `);
    expect(s.k.mmAddr[s.mmOf('V')]).toBe(addrP);
    s.expectEvent({ fn: 'switch_mm_irqs_off', text: 'ABA' });
    s.expectNoEvent({ fn: 'switch_slb', cpu: 1, since: s.last.firstStep });
    s.expectViolation('I1', /CPU1's MMU root is P's context/);
    s.stop();
  });

  it('context id reuse without ABA: harmless on hash (no hardware walk, no user access while lazy)', () => {
    const s = lazyThenExit('none', HASH, 'reuse');
    s.expectViolation('I3', /free_mm\(P\)/);
    acknowledgeViolation(s);
    s.run(`
      CPU2: op
      CPU2: op     # fork V: N gets P's context id
      CPU2: op     # yield
      CPU2: op     # U -> V
      CPU2: op     # run
      CPU2: op     # munmap
    `);
    s.expectNoViolation();
    s.stop();
  });
});

describe('powerpc hash, mainline configurations of the same rows', () => {
  for (const scheme of ['shootdown', 'refcount'] as const) {
    it(`${scheme}: the same interleavings are clean`, () => {
      for (const which of ['aba', 'reuse'] as const) {
        const s = lazyThenExit(scheme, HASH, which);
        s.expectNoViolation();
        if (scheme === 'shootdown') {
          s.expectMmFreed('P');
          s.expectEvent({ fn: 'do_shoot_lazy_tlb', cpu: 1 });
          s.expectCpu(1, { lazy: 'init_mm', hw_root: 'init_mm' });
        } else {
          s.expectMm('P', { mm_users: 0, mm_count: 2 });
        }
        s.finish();
      }
    });
  }
});
