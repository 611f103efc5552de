/**
 * The powerpc use sites of a dangling lazy active_mm (I14, kernel-reference §12.2), as directed
 * scenarios (test-support/use-site-scenes.ts). For each modelled site: the script where it fires
 * under `none` (I3 is a hazard there: the run goes on to the use), and the very same script
 * under the mainline schemes (`refcount`, and `shootdown` = BOOK3S_64's default since v6.4),
 * where the lazy reference or the shootdown keeps the mm alive and nothing fires.
 */
import { describe, expect, it } from 'vitest';
import { SITE_ACTIVATE_MM, SITE_DEBUG_VM_PREV, SITE_KTHREAD_USE_MM, SITE_PREV_EQ_NEXT, SITE_STOP_USING_TEMP_MM } from './sites.js';
import { abaActivateMm, abaContextSwitch, abaKthreadUseMm, lazyOnFreed } from './test-support/use-site-scenes.js';

const MMUS = [
  ['radix', {}],
  ['hash', { mmu: 'hash' }],
] as const;
const MAINLINE = ['refcount', 'shootdown'] as const;

for (const [mmu, opts] of MMUS) {
  const reg = mmu === 'radix' ? 'SPRN_PID' : 'the SLB / paca context';

  describe(`${mmu}: prev == next decided by a freed prev (ABA), by caller`, () => {
    it(`context_switch: N at P's address with another ${mmu === 'radix' ? 'PID' : 'context id'} -> I14 '${SITE_PREV_EQ_NEXT}' (stale compare)`, () => {
      const s = abaContextSwitch('none', opts);
      const v = s.expectViolation('I14', /stale compare in switch_mm_irqs_off \(prev == next\): freed P equals live N/);
      expect(v.site).toBe(SITE_PREV_EQ_NEXT);
      expect(v.siteKind).toBe('stale-compare');
      expect(v.message).toContain(`${reg} stays 2`);
      expect(v.cpu).toBe(1);
      s.expectUseSite(SITE_PREV_EQ_NEXT, 'stale-compare');
      // the hazard came first and did not end the run: CPU1 held P when it was freed
      s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
      expect(s.k.mmAddr[s.mmId('N')]).toBe(s.k.mmAddr[s.mmId('P')]);
      // the compare returned before switch_mmu_context: nothing was loaded on CPU1 in that step
      s.expectNoEvent({ fn: mmu === 'radix' ? 'radix__switch_mmu_context' : 'switch_slb', cpu: 1, since: s.last.firstStep });
      s.stop();
    });

    it("activate_mm (kernel_execve of a kthread lazy on the freed P) -> I14 'activate_mm'", () => {
      const s = abaActivateMm('none', opts);
      const v = s.expectViolation('I14', /stale compare in activate_mm: freed P equals live/);
      expect(v.site).toBe(SITE_ACTIVATE_MM);
      s.expectUseSite(SITE_ACTIVATE_MM, 'stale-compare');
      s.expectHazard('I3', { cpu: 0 });
      s.stop();
    });

    it("kthread_use_mm (a worker lazy on the freed P adopts N) -> I14 'kthread_use_mm'", () => {
      const s = abaKthreadUseMm('none', opts);
      const v = s.expectViolation('I14', /stale compare in kthread_use_mm: freed P equals live N/);
      expect(v.site).toBe(SITE_KTHREAD_USE_MM);
      expect(v.cpu).toBe(1);
      s.stop();
    });

    for (const scheme of MAINLINE) {
      it(`${scheme}: the same three scripts are clean (the lazy mm is pinned or shot down before it can be reused)`, () => {
        for (const make of [abaContextSwitch, abaActivateMm, abaKthreadUseMm]) {
          const s = make(scheme, opts);
          s.expectNoViolation();
          s.expectNoHazard();
          s.finish();
        }
      });
    }
  });

  describe(`${mmu}: CONFIG_DEBUG_VM's read of mm_cpumask(prev) (177255afb405)`, () => {
    it('none, debugVm: the lazy CPU switching from the freed P to a user task reads it -> I14 dereference', () => {
      const s = lazyOnFreed('none', { ...opts, debugVm: true });
      const v = s.expectViolation('I14', /use after free: switch_mm_irqs_off \(DEBUG_VM mm_cpumask\(prev\)\) reads P after free_mm/);
      expect(v.site).toBe(SITE_DEBUG_VM_PREV);
      expect(v.siteKind).toBe('dereference');
      expect(v.cpu).toBe(1);
      s.expectHazard('I3', { cpu: 1 });
      s.stop();
    });

    it('none, without DEBUG_VM: the same switch only compares P (no ABA): a hazard, never used; the run completes', () => {
      const s = lazyOnFreed('none', opts);
      s.expectNoViolation();
      const hz = s.expectHazard('I3', { cpu: 1, holder: 'active_mm' });
      expect(hz.length).toBe(1);
      s.expectHazard('I3', { cpu: 0 }); // CPU0 (T0's exit) dangles until the end of the run
      // CPU1 loaded Q's context as usual
      s.expectEvent({ fn: mmu === 'radix' ? 'radix__switch_mmu_context' : 'switch_slb', cpu: 1, text: '(Q)' });
      const r = s.finish();
      expect(r.outcome).toBe('ok');
      expect(r.hazards).not.toBe(0);
      // no use site other than __mmdrop's WARN (mainline with that WARN removed) fired
      expect(r.siteIds.filter((_, i) => (r.useSites & (1 << i)) !== 0)).toEqual(['__mmdrop']);
    });

    for (const scheme of MAINLINE) {
      it(`${scheme}, debugVm: the same script is clean (P is still alive when it is read)`, () => {
        const s = lazyOnFreed(scheme, { ...opts, debugVm: true });
        s.expectNoViolation();
        s.expectNoHazard();
        s.finish();
      });
    }
  });
}

describe('text patching through a temporary mm (code-patching.c, radix only)', () => {
  it('radix none: a kthread lazy on the freed P patches text: stop_using_temp_mm switches back to P -> I14 dereference', () => {
    const s = lazyOnFreed('none', {}, 'text_poke');
    const v = s.expectViolation('I14', /use after free: stop_using_temp_mm reads P after free_mm/);
    expect(v.site).toBe(SITE_STOP_USING_TEMP_MM);
    expect(v.siteKind).toBe('dereference');
    s.expectEvent({ fn: 'start_using_temp_mm', cpu: 1, text: 'orig_mm = P' });
    s.expectEvent({ fn: 'stop_using_temp_mm', cpu: 1, text: 'SPRN_PID = MMU_NO_CONTEXT' });
    s.stop();
  });

  it("radix none, debugVm: start_using_temp_mm's switch reads mm_cpumask(P) first -> I14 at the DEBUG_VM site", () => {
    const s = lazyOnFreed('none', { debugVm: true }, 'text_poke');
    const v = s.expectViolation('I14');
    expect(v.site).toBe(SITE_DEBUG_VM_PREV);
    s.stop();
  });

  for (const scheme of MAINLINE) {
    for (const debugVm of [false, true]) {
      it(`radix ${scheme}${debugVm ? ', debugVm' : ''}: the same script is clean; SPRN_PID is back to the kthread's active_mm`, () => {
        const s = lazyOnFreed(scheme, { debugVm }, 'text_poke');
        s.expectNoViolation();
        s.expectEvent({ fn: 'stop_using_temp_mm', cpu: 1, text: 'back to orig_mm' });
        // refcount: K is lazy on the pinned P; shootdown moved CPU1 to init_mm before P was freed
        const ctx = scheme === 'refcount' ? 'P' : 'init_mm';
        expect(s.activeMmOf('K')).toBe(s.mmId(ctx));
        s.expectEvent({ fn: 'radix__switch_mmu_context', cpu: 1, text: `(${ctx})`, since: s.last.firstStep });
        // P's process-table entry is zeroed and flushed (exit_mmap): nothing walkable either way
        expect(s.hwRoot(1)).toBe(0);
        s.finish();
      });
    }
  }

  it('hash none: mm_patch_enabled() is false, text is patched through init_mm: nothing reads P (hazard only)', () => {
    const s = lazyOnFreed('none', { mmu: 'hash', debugVm: true }, 'text_poke');
    s.expectNoViolation();
    s.expectEvent({ fn: 'patch_mem', cpu: 1 });
    s.expectNoEvent({ fn: 'stop_using_temp_mm' });
    s.expectHazard('I3', { cpu: 1 });
    expect(s.finish().outcome).toBe('ok');
  });
});

describe("ABA that gives N the dead P's own context id (ida: lowest free id)", () => {
  it("hash none: prev == next skips switch_slb, but the loaded context is N's: benign, the run goes on", () => {
    const s = abaContextSwitch('none', { mmu: 'hash' }, true);
    s.expectNoViolation();
    expect(s.k.mmAddr[s.mmId('N')]).toBe(s.k.mmAddr[s.mmId('P')]);
    s.expectEvent({ fn: 'switch_mm_irqs_off', cpu: 1, text: 'benign' });
    s.expectNoEvent({ fn: 'switch_slb', cpu: 1, since: s.last.firstStep });
    s.expectHazard('I3', { cpu: 1 });
    expect(s.finish().outcome).toBe('ok');
  });

  it('radix none: the PID handed to N while CPU1 still has it in SPRN_PID is I1 at the fork, before any compare', () => {
    const s = abaContextSwitch('none', {}, true);
    s.expectViolation('I1', /CPU1's MMU root is P's context/);
    s.expectEvent({ fn: 'init_new_context', text: 'still has it in SPRN_PID' });
    s.stop();
  });
});
