import { describe, expect, it } from 'vitest';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { Simulator } from '../run/simulator.js';
import type { ExplicitWorkloadInput } from '../workload/explicit.js';
import { BOOKKEEPING, type StateHasher } from './state-hash.js';

const SEED = runSeed(hashString128('state-hash'), 0);
const EXIT2: ExplicitWorkloadInput = {
  tasks: [
    { name: 'A', kind: 'user', cpu: 0, mm: 'm', program: ['run', 'run', 'exit'] },
    { name: 'B', kind: 'user', cpu: 1, mm: 'n', program: ['run', 'run', 'exit'] },
  ],
};

function fp(sim: Simulator, h: StateHasher, steps: number[]): string {
  sim.begin(SEED);
  h.refresh();
  for (const a of steps) expect(sim.stepActor(a)).toBe(true);
  const out = new Uint32Array(2);
  h.hash(out);
  sim.end();
  return `${out[0]!.toString(16)}:${out[1]!.toString(16)}`;
}

describe('state fingerprints (exhaustive search with state hashing)', () => {
  const sim = new Simulator({ plugin: referenceArch, scheme: 'refcount', cpus: 2, workload: { explicit: EXIT2 } });
  const h = sim.stateHasher();

  it('two interleavings of independent steps (two processes on two CPUs) reach one state: one fingerprint; the step count is not in it', () => {
    // CPU0's task actor is 0, CPU1's is 4 (ACTORS_PER_CPU): their first steps touch disjoint mms and CPUs.
    expect(fp(sim, h, [0, 4])).toBe(fp(sim, h, [4, 0]));
    expect(fp(sim, h, [0, 0, 4])).toBe(fp(sim, h, [0, 4, 0]));
  });

  it('different states have different fingerprints, and the same state the same one every time', () => {
    const a = fp(sim, h, [0]);
    expect(fp(sim, h, [0])).toBe(a);
    expect(fp(sim, h, [4])).not.toBe(a);
    expect(fp(sim, h, [])).not.toBe(a);
  });

  it('sound by default: every Kernel typed array not listed as bookkeeping, and the arch’s declared state, change the fingerprint', () => {
    sim.begin(SEED);
    sim.stepActor(0);
    h.refresh();
    const base = new Uint32Array(2);
    h.hash(base);
    const k = sim.k as unknown as Record<string, unknown>;
    const arrays = Object.entries(k).filter(([n, v]) => ArrayBuffer.isView(v) && !BOOKKEEPING.has(n)) as [string, Int32Array][];
    expect(arrays.length).toBeGreaterThan(50);
    const out = new Uint32Array(2);
    for (const [name, arr] of [...arrays, ...sim.k.declaredState.map((v, i) => [`declared[${i}]`, v] as [string, Int32Array])]) {
      if (arr.length === 0) continue;
      const old = arr[0]!;
      arr[0] = old + 1;
      h.hash(out);
      arr[0] = old;
      expect(`${out[0]}:${out[1]}`, name).not.toBe(`${base[0]}:${base[1]}`);
    }
    expect(sim.k.declaredState).toHaveLength(4); // the reference arch's root, tlbMm, tlbClean, keptBit
    sim.end();
  });

  it('a cell whose plugins do not declare their state cannot be hashed, and says which plugin', () => {
    const { declaresState: _, ...undeclared } = referenceArch;
    const s = new Simulator({ plugin: { ...undeclared, name: 'opaque' }, scheme: 'refcount', cpus: 2, workload: { explicit: EXIT2 } });
    expect(s.stateHashRefusal).toMatch(/^arch plugin opaque@.* does not declare its per-run state/);
    expect(() => s.stateHasher()).toThrow(/does not declare/);
  });
});
