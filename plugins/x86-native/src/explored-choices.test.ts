/**
 * Under an exhaustive search that explores the in-step choices (k.choicesExplored()), x86's
 * two reads of jiffies (the step count) are 2-way choices: should_trim_cpumask() and the
 * 1-in-32 gate of consider_global_asid(). Otherwise they read k.step as before. A stub kernel:
 * the canonical 2-CPU workloads never reach consider_global_asid's choice (it needs more than
 * 3 CPUs running the mm), so it is exercised here directly.
 */
import type { ArchKernel } from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { X86NativeOptions, createX86Hooks } from './index.js';

const MM = 3;
const NCPU = 5;

/** The fields consider_global_asid / should_trim_cpumask read, and a recorder of the choices asked for. */
function stub(explored: boolean, step: number, answer: number): { k: ArchKernel; asked: number[] } {
  const asked: number[] = [];
  const k = {
    ncpu: NCPU,
    cpu: 0,
    step,
    tracer: null,
    cpuCurr: new Int32Array(NCPU).fill(7),
    mmCpumask: new Int32Array(8).fill((1 << NCPU) - 1),
    mmUnmapGen: new Int32Array(8),
    choicesExplored: () => explored,
    choose: (n: number) => {
      asked.push(n);
      return answer;
    },
  };
  return { k: k as unknown as ArchKernel, asked };
}

function tlbOn(mmLoadedEverywhere: boolean) {
  const { tlb } = createX86Hooks(X86NativeOptions.parse({ invlpgb: true, globalAsid: 'on-demand' }));
  tlb.loadedMm = new Int32Array(NCPU).fill(mmLoadedEverywhere ? MM : 1);
  tlb.loadedMmMem = tlb.loadedMm;
  tlb.isLazy = new Uint8Array(NCPU);
  tlb.isLazyMem = tlb.isLazy;
  tlb.mmGlobalAsid = new Uint8Array(8);
  tlb.mmAsidTransition = new Uint8Array(8);
  tlb.mmGlobalClean = new Int32Array(8);
  tlb.mmNextTrim = new Float64Array(8);
  return tlb;
}

describe('jiffies as an explored choice (k.choicesExplored())', () => {
  it('consider_global_asid: a 2-way choice after the deterministic conditions; the step count is not read', () => {
    for (const answer of [0, 1]) {
      const tlb = tlbOn(true);
      const { k, asked } = stub(true, 7 + 32 * 5 + 1 /* the jiffies gate would say no */, answer);
      tlb.considerGlobalAsid(k, 0, MM);
      expect(asked).toEqual([2]);
      expect([tlb.mmGlobalAsid[MM], tlb.mmAsidTransition[MM]]).toEqual(answer === 1 ? [1, 1] : [0, 0]);
    }
    // not more than 3 active CPUs, or a global ASID already: no choice at all
    const few = tlbOn(false);
    const a = stub(true, 0, 1);
    few.considerGlobalAsid(a.k, 0, MM);
    expect(a.asked).toEqual([]);
    const global = tlbOn(true);
    global.mmGlobalAsid[MM] = 1;
    const b = stub(true, 0, 1);
    global.considerGlobalAsid(b.k, 0, MM);
    expect(b.asked).toEqual([]);
    expect(global.mmAsidTransition[MM]).toBe(0);
  });

  it('consider_global_asid without explored choices: the (pid & 0x1f) == (jiffies & 0x1f) gate, no choice', () => {
    for (const [step, global] of [
      [7, 1],
      [8, 0],
      [7 + 32, 1],
    ] as const) {
      const tlb = tlbOn(true);
      const { k, asked } = stub(false, step, 1);
      tlb.considerGlobalAsid(k, 0, MM);
      expect(asked).toEqual([]);
      expect(tlb.mmGlobalAsid[MM]).toBe(global);
    }
  });

  it('should_trim_cpumask: a 2-way choice, next_trim_cpumask untouched; without explored choices the jiffies interval', () => {
    for (const answer of [0, 1]) {
      const tlb = tlbOn(true);
      const { k, asked } = stub(true, 1000, answer);
      expect(tlb.shouldTrimCpumask(k, MM)).toBe(answer === 1);
      expect(asked).toEqual([2]);
      expect(tlb.mmNextTrim[MM]).toBe(0);
    }
    const tlb = tlbOn(true);
    const { k, asked } = stub(false, 1000, 1);
    expect(tlb.shouldTrimCpumask(k, MM)).toBe(true);
    expect(tlb.mmNextTrim[MM]).toBe(1000 + tlb.opts.trimIntervalSteps);
    expect(tlb.shouldTrimCpumask(k, MM)).toBe(false); // within the interval
    expect(asked).toEqual([]);
  });
});
