/**
 * kernel-reference §5.7 (powerpc 64s hash), as directed scenarios, with the interleaving of
 * the radix ones (lazy-then-exit.ts):
 *
 * C (REFCOUNT=n, no shootdown): free_mm(P) while CPU1 is lazy on it: the I3 hazard, and the run
 *   goes on. The hash MMU never walks Linux page tables and a lazy kernel thread makes no user
 *   access, so a context id handed to a new mm while CPU1 still has it in the paca is harmless
 *   (no I1, unlike radix), and so is the new mm's local flush. What can go wrong is the ABA
 *   compare (`prev == next` before switch_slb): use-sites.test.ts.
 * B and A: clean; under SHOOTDOWN the never-trimmed mask makes cleanup_lazy_tlbs IPI every
 *   CPU that ever ran P.
 */
import { describe, it } from 'vitest';
import { lazyThenExit } from './test-support/lazy-then-exit.js';

const HASH = { mmu: 'hash' } as const;

describe('powerpc hash §5.7-C: REFCOUNT=n without shootdown', () => {
  it('I3 at free_mm(P) is a hazard; the run goes on', () => {
    const s = lazyThenExit('none', HASH, 'lazy-child');
    s.expectNoViolation();
    s.expectMmFreed('P');
    s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
    s.stop();
  });

  it("a fork on another CPU reuses P's context id, not its address: CPU1's switch to it loads the context (switch_slb), no finding", () => {
    const s = lazyThenExit('none', HASH, 'lazy-child');
    s.run(`
      CPU2: op     # swapper/2 -> U
      CPU2: op     # fork V: N gets P's context id (lowest free), CPU2's slab
      CPU2: op     # wake_up_new_task
      CPU1: until switch_slb   # swapper/1 -> V: switch_mm_irqs_off(prev = P (freed), next = N): cpumask_set_cpu | inc_mm_active_cpus | smp_mb(), not equal | switch_slb
    `);
    s.nameMm('N', s.mmOf('V'));
    s.expectEvent({ fn: 'switch_slb', cpu: 1, text: '(N)', since: s.last.firstStep });
    s.expectNoViolation();
    s.finish();
  });

  it('context id reuse without ABA: harmless on hash (no hardware walk, no user access while lazy)', () => {
    const s = lazyThenExit('none', HASH, 'reuse');
    s.expectNoViolation();
    s.run(`
      CPU2: op
      CPU2: op     # fork V: N gets P's context id
      CPU2: op     # yield
      CPU2: op     # U -> V
      CPU2: op     # run
      CPU2: op     # munmap
    `);
    s.expectNoViolation();
    s.finish();
  });
});

describe('powerpc hash, mainline configurations of the same rows', () => {
  for (const scheme of ['shootdown', 'refcount'] as const) {
    it(`${scheme}: the same interleavings are clean`, () => {
      for (const which of ['lazy-child', 'reuse'] as const) {
        const s = lazyThenExit(scheme, HASH, which);
        s.expectNoViolation();
        s.expectNoHazard();
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
