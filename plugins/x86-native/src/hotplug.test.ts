/**
 * CPU hotplug on x86: __cpu_disable() leaves mm_cpumask alone (no cpu_disable hook), bring-up
 * re-initialises cpu_tlbstate (cpu_up = initialize_tlbstate_and_flush). Seeded runs of the
 * hotplug profile: refcount clean, shootdown no worse than without hotplug (I7 only).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, hashString128, INIT_MM, runSeed, type ArchPlugin } from '@lazytlb/core';
import { runCell } from '@lazytlb/explore';
import plugin, { INIT_MM_CTX_ID, TLB_NR_DYN_ASIDS, type X86Tlb, createX86Hooks, type X86NativeOptions } from './index.js';

describe('x86 cpu_up: initialize_tlbstate_and_flush', () => {
  it('every bring-up leaves the CPU on init_mm, ASID 0 (flushed), next_asid 1, no stale ctxs[], not lazy; runs clean', () => {
    const seen: { tlb: X86Tlb | null; ups: number; bad: string[] } = { tlb: null, ups: 0, bad: [] };
    const spy: ArchPlugin<X86NativeOptions> = {
      ...plugin,
      setup(options) {
        const { tlb, hooks } = createX86Hooks(options);
        seen.tlb = tlb;
        return {
          ...hooks,
          cpu_up(k, cpu) {
            hooks.cpu_up!(k, cpu);
            seen.ups++;
            const base = cpu * TLB_NR_DYN_ASIDS;
            const ids = Array.from(tlb.ctxId.subarray(base, base + TLB_NR_DYN_ASIDS));
            const ok =
              tlb.loadedMm[cpu] === INIT_MM &&
              tlb.loadedAsid[cpu] === 0 &&
              tlb.nextAsid[cpu] === 1 &&
              tlb.isLazy[cpu] === 0 &&
              ids[0] === INIT_MM_CTX_ID &&
              ids.slice(1).every((x) => x === 0) &&
              tlb.slotMm[base] === INIT_MM;
            if (!ok) seen.bad.push(`CPU${cpu}: loaded ${tlb.loadedMm[cpu]} asid ${tlb.loadedAsid[cpu]} ctxs ${ids.join(',')}`);
          },
        };
      },
    };
    const sim = createSimulator({ plugin: spy, scheme: 'refcount', cpus: 4, workload: 'hotplug' });
    const cell = hashString128(sim.cellId);
    for (let i = 0; i < 200; i++) {
      const r = sim.run(runSeed(cell, i));
      expect(r.outcome, r.violation?.message).toBe('ok');
    }
    expect(seen.ups).toBeGreaterThan(100);
    expect(seen.bad).toEqual([]);
  });
});

describe('x86-native hotplug profile, seeded runs', () => {
  const RUNS = 300;
  for (const archOptions of [{}, { cpumask: 'clear-on-switch' }, { invlpgb: true }] as const) {
    for (const cpus of [2, 4]) {
      it(`${JSON.stringify(archOptions)} ${cpus} CPUs: refcount clean, shootdown breaks only I7 (as without hotplug)`, () => {
        const refcount = runCell({ plugin, archOptions, scheme: 'refcount', cpus, workload: 'hotplug' }, { runs: RUNS });
        expect(refcount.notOk, JSON.stringify(refcount.shortest?.violation)).toEqual({});
        const shootdown = runCell({ plugin, archOptions, scheme: 'shootdown', cpus, workload: 'hotplug' }, { runs: RUNS });
        for (const key of Object.keys(shootdown.notOk)) expect(key, JSON.stringify(shootdown.shortest?.violation)).toBe('I7');
      });
    }
  }
});
