import { describe, expect, it } from 'vitest';
import { fingerprint } from '../coverage/fingerprint.js';
import { HLL_REGISTERS, hllAdd, hllEstimate, hllIsEmpty, hllMergeInto } from '../coverage/hll.js';
import { costsToObject } from '../cost/counters.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from './simulator.js';

const seedOf = (sim: Simulator, i: number) => runSeed(hashString128(sim.cellId), i);

describe('Simulator coverage mode', () => {
  it('does not change any run', () => {
    for (const scheme of ['refcount', 'shootdown', 'none'] as const) {
      const plain = new Simulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
      const cov = new Simulator({ plugin: referenceArch, scheme, cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } });
      cov.setCoverageSink(new Uint8Array(HLL_REGISTERS));
      for (let i = 0; i < 40; i++) {
        const a = plain.run(seedOf(plain, i), { keepDecisions: true });
        const b = cov.run(seedOf(cov, i), { keepDecisions: true });
        expect(b.outcome).toBe(a.outcome);
        expect(b.steps).toBe(a.steps);
        expect(b.violation).toEqual(a.violation);
        expect(Array.from(b.decisions!)).toEqual(Array.from(a.decisions!));
        expect(costsToObject(cov.costs)).toEqual(costsToObject(plain.costs));
      }
      expect(hllIsEmpty(cov.coverageSink!)).toBe(false);
      expect(plain.coverageSink).toBeNull();
    }
  });

  it('sketches per run merge to the sketch of all runs (any order)', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 3, workload: 'default' });
    const all = new Uint8Array(HLL_REGISTERS);
    sim.setCoverageSink(all);
    for (let i = 0; i < 60; i++) sim.run(seedOf(sim, i));
    const union = new Uint8Array(HLL_REGISTERS);
    for (let i = 59; i >= 0; i--) {
      const one = new Uint8Array(HLL_REGISTERS);
      sim.setCoverageSink(one);
      sim.run(seedOf(sim, i));
      hllMergeInto(union, one);
    }
    sim.setCoverageSink(null);
    expect(Array.from(union)).toEqual(Array.from(all));
    const states = hllEstimate(all);
    expect(states).toBeGreaterThan(10);
    expect(states).toBeLessThan(60 * 200); // far fewer distinct abstract states than steps
  });

  it('adds the fingerprint of the state after each step that changed mm state', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: 'default' });
    const regs = new Uint8Array(HLL_REGISTERS);
    sim.setCoverageSink(regs);
    sim.begin(seedOf(sim, 3));
    let touched = 0;
    for (let step = 0; step < 400; step++) {
      const en = sim.enabledActors();
      if (en.length === 0) break;
      const before = regs.slice();
      if (!sim.stepActor(en[step % en.length]!)) break;
      const k = sim.k;
      if (k.mmStateTouched) {
        touched++;
        const again = regs.slice();
        hllAdd(again, fingerprint(k));
        expect(Array.from(again)).toEqual(Array.from(regs)); // already in
      } else {
        // a step that only changed mm counts or holders added this state; any other, nothing
        const added = before.slice();
        hllAdd(added, fingerprint(k));
        expect([Array.from(before), Array.from(added)]).toContainEqual(Array.from(regs));
      }
    }
    sim.end();
    expect(touched).toBeGreaterThan(10);
  });

  it('refuses a sink of the wrong size', () => {
    const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2 });
    expect(() => sim.setCoverageSink(new Uint8Array(10))).toThrow(/1024 registers/);
  });
});
