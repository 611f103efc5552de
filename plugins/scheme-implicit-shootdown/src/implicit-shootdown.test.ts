import { validateSchemePlugin, type ArchPlugin } from '@lazytlb/core';
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { runCell } from '@lazytlb/explore';
import { describe, expect, it } from 'vitest';
import implicit from './index.js';

/** Runs by how they ended: `ok`, an error kind, or the violated invariant with its use site if any (`I14/fix_processor_context`). */
const tally = (arch: ArchPlugin<any>, archOptions: object, schemeOptions: object, runs = 1500, cpus = 2): Record<string, number> => {
  const violations: Record<string, number> = {};
  const c = runCell(
    {
      plugin: arch,
      archOptions,
      scheme: 'implicit-shootdown',
      schemePlugin: implicit,
      schemeOptions,
      cpus,
      workload: 'default',
      strategy: { kind: 'pct', depth: 3 },
    },
    {
      runs,
      // the engine counts violations by invariant only: the use site comes from each run
      onRun: (r) => {
        if (r.outcome !== 'violation') return;
        const key = `${r.violation!.invariant}${r.violation!.site !== undefined ? `/${r.violation!.site}` : ''}`;
        violations[key] = (violations[key] ?? 0) + 1;
      },
    },
  );
  return { ...(c.ok > 0 ? { ok: c.ok } : {}), ...c.errors, ...violations };
};
const NATIVE = { release: 'v6.18' };

describe('implicit-shootdown (reconstructed) scheme plugin', () => {
  it('says it is a reconstruction', () => {
    expect(validateSchemePlugin(implicit).provenance).toBe('reconstructed');
    expect(implicit.description).toMatch(/^RECONSTRUCTED/);
    expect(implicit.options.parse({})).toEqual({ exitIpi: false, pvExitIpi: false, invlpgbExitIpi: false, sanitizeUses: false });
  });

  // Each gap of kernel-reference §8 shows as a violation without its fix and is gone with it.
  it('(a) x86 bare metal: the no-VMA exit keeps a lazy CPU on a freed pgd (I1) until exitIpi', () => {
    expect(tally(x86Native, NATIVE, {}).I1 ?? 0).toBeGreaterThan(0);
    expect(tally(x86Native, NATIVE, { exitIpi: true }).I1 ?? 0).toBe(0);
  });

  it('(b) KVM and Hyper-V: the final flush reaches no preempted / hypercall-flushed lazy vCPU (I1) until pvExitIpi', () => {
    for (const backend of ['kvm', 'hyperv']) {
      expect(tally(x86Paravirt, { backend }, { exitIpi: true }).I1 ?? 0, backend).toBeGreaterThan(0);
      expect(tally(x86Paravirt, { backend }, { exitIpi: true, pvExitIpi: true }).I1 ?? 0, backend).toBe(0);
    }
  });

  it('(c) INVLPGB: a global-ASID mm is flushed by broadcast and its lazy CPUs stay (I1) until invlpgbExitIpi', () => {
    const every = { invlpgb: true, globalAsid: 'every-mm' };
    expect(tally(x86Native, every, { exitIpi: true, sanitizeUses: true }, 1500, 4).I1 ?? 0).toBeGreaterThan(0);
    expect(tally(x86Native, every, { exitIpi: true, sanitizeUses: true, invlpgbExitIpi: true }, 1500, 4).I1 ?? 0).toBe(0);
  });

  it('(d) the dangling active_mm is used (fix_processor_context: I14) until sanitizeUses', () => {
    expect(tally(x86Native, NATIVE, { exitIpi: true })['I14/fix_processor_context'] ?? 0).toBeGreaterThan(0);
    expect(tally(x86Native, NATIVE, { exitIpi: true, sanitizeUses: true })).toEqual({ ok: 1500 });
  });
});
