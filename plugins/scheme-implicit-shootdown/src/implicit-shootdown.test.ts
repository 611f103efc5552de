import { createSimulator, hashString128, runSeed, validateSchemePlugin, type ArchPlugin, type RunResult } from '@lazytlb/core';
import x86Native from '@lazytlb/arch-x86-native';
import x86Paravirt from '@lazytlb/arch-x86-paravirt';
import { describe, expect, it } from 'vitest';
import implicit from './index.js';

const tally = (arch: ArchPlugin<any>, archOptions: object, schemeOptions: object, runs = 1500, cpus = 2): Record<string, number> => {
  const sim = createSimulator({
    plugin: arch, archOptions, scheme: 'implicit-shootdown', schemePlugin: implicit, schemeOptions, cpus, workload: 'default', strategy: { kind: 'pct', depth: 3 },
  });
  const cell = hashString128(sim.cellId);
  const t: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const r: RunResult = sim.run(runSeed(cell, i));
    const key = r.outcome === 'violation' ? `${r.violation!.invariant}${r.violation!.site !== undefined ? `/${r.violation!.site}` : ''}` : r.outcome;
    t[key] = (t[key] ?? 0) + 1;
  }
  return t;
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
