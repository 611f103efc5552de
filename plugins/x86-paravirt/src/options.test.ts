/**
 * Options: nativeFallback replaces hypercallFails (issue 10); the old key is refused with a
 * message naming its replacement.
 */
import { describe, expect, it } from 'vitest';
import { PluginLoadError, parseArchOptions } from '@lazytlb/core';
import plugin, { X86ParavirtOptions, X86_PARAVIRT_USE_SITES } from './index.js';

describe('x86-paravirt options', () => {
  it("defaults: x86-native's (but no CPUIDLE_FLAG_TLB_FLUSHED idle states in a guest), backend kvm, nativeFallback 0", () => {
    expect(X86ParavirtOptions.parse({})).toEqual({
      release: 'v6.18',
      invlpgb: false,
      globalAsid: 'on-demand',
      idleTlbFlushed: false,
      exitFlushSkipsEmptyMm: true,
      trimIntervalSteps: 50,
      backend: 'kvm',
      nativeFallback: 0,
    });
  });

  it('hypercallFails is gone: passing it is an error that names nativeFallback', () => {
    for (const value of [true, false]) {
      expect(() => parseArchOptions(plugin, { backend: 'hyperv', hypercallFails: value })).toThrow(PluginLoadError);
      expect(() => parseArchOptions(plugin, { backend: 'hyperv', hypercallFails: value })).toThrow(/hypercallFails.*removed.*nativeFallback/);
    }
    expect(Object.keys(X86ParavirtOptions.shape)).not.toContain('hypercallFails');
  });

  it("x86-native's release checks and capabilities apply: no INVLPGB before v6.15, ARCH_WANT_IRQS_OFF_ACTIVATE_MM from v6.16", () => {
    for (const release of ['v6.13', 'v6.14']) {
      expect(() => parseArchOptions(plugin, { release, invlpgb: true })).toThrow(/INVLPGB.*landed in v6.15/);
    }
    expect(parseArchOptions(plugin, { release: 'v6.15', invlpgb: true }).invlpgb).toBe(true);
    expect(plugin.capabilitiesFor!(parseArchOptions(plugin, { release: 'v6.15' }))).toEqual({ vcpuPreemption: true, irqsOffActivateMm: false, maxCpus: 32 });
    expect(plugin.capabilitiesFor!(parseArchOptions(plugin, {}))).toEqual({ vcpuPreemption: true, irqsOffActivateMm: true, maxCpus: 32 });
  });

  it('nativeFallback is a probability', () => {
    expect(parseArchOptions(plugin, { backend: 'hyperv', nativeFallback: 0.2 }).nativeFallback).toBe(0.2);
    for (const bad of [-0.1, 1.01, '1', null]) expect(() => parseArchOptions(plugin, { nativeFallback: bad })).toThrow(/nativeFallback/);
  });

  it("declares x86-native's use sites plus hyperv_flush_tlb_multi", () => {
    expect(plugin.useSites).toBe(X86_PARAVIRT_USE_SITES);
    expect(X86_PARAVIRT_USE_SITES.map((u) => u.id)).toContain('fix_processor_context');
    expect(X86_PARAVIRT_USE_SITES.map((u) => u.id)).toContain('hyperv_flush_tlb_multi');
  });
});
