/**
 * The sound-by-default check of a plugin's declared state (exhaustive/declared-state.test.ts,
 * x86-declared-state.test.ts): after `steps` steps, the cell declares `declared` arrays, changing
 * element 0 of each changes the state fingerprint, and putting it back restores it.
 */
import { expect } from 'vitest';
import type { RunSeed, Simulator } from '@lazytlb/core';

export function expectDeclaredStateHashed(sim: Simulator, seed: RunSeed, declared: number, steps: number): void {
  expect(sim.stateHashRefusal).toBeNull();
  const h = sim.stateHasher();
  sim.begin(seed);
  for (let i = 0; i < steps; i++) {
    const en = sim.enabledActors();
    if (en.length === 0) break;
    sim.stepActor(en[0]!);
  }
  h.refresh();
  const base = new Uint32Array(2);
  h.hash(base);
  expect(sim.k.declaredState).toHaveLength(declared);
  const out = new Uint32Array(2);
  sim.k.declaredState.forEach((v, i) => {
    const arr = v as unknown as Int32Array; // Int32Array, Uint8Array or Float64Array: element 0 + 1 differs
    expect(arr.length, `declared[${i}]`).toBeGreaterThan(0);
    const old = arr[0]!;
    arr[0] = old + 1;
    h.hash(out);
    arr[0] = old;
    expect(`${out[0]}:${out[1]}`, `declared[${i}]`).not.toBe(`${base[0]}:${base[1]}`);
  });
  h.hash(out);
  expect(`${out[0]}:${out[1]}`).toBe(`${base[0]}:${base[1]}`);
  sim.end();
}
