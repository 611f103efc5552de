import { type Artifact, createSimulator, hashString128, makeArtifact, runSeed } from '@lazytlb/core';
import x86Native from '@lazytlb/arch-x86-native';
import { describe, expect, it } from 'vitest';
import { cellMemory, memoryMismatch, simOptionsFor } from '@lazytlb/explore';

function anyArtifact(): Artifact {
  const sim = createSimulator({ plugin: x86Native, scheme: 'refcount', cpus: 2, workload: 'default', stepBudget: 50 });
  const seed = runSeed(hashString128(sim.cellId), 0);
  return makeArtifact(sim, seed, sim.run(seed, { keepDecisions: true }), 0);
}

describe("the memory model of an artifact's cell", () => {
  const sc = anyArtifact();
  const tso = { ...sc, cell: { ...sc.cell, memory: 'tso' } } as Artifact;

  it('is sc unless the cell records another; every shrink variant keeps it', () => {
    expect(cellMemory(sc.cell)).toBe('sc');
    expect(cellMemory(tso.cell)).toBe('tso');
    expect(simOptionsFor(x86Native, sc)).not.toHaveProperty('memory');
    expect(simOptionsFor(x86Native, tso)).toMatchObject({ memory: 'tso' });
    expect(simOptionsFor(x86Native, tso, { cpus: 1, archOptions: {} })).toMatchObject({ memory: 'tso', cpus: 1 });
  });

  it("an artifact that does not record its cell's memory model is refused for shrinking, with the reason", () => {
    expect(memoryMismatch({}, sc)).toBeNull();
    expect(memoryMismatch({ memory: 'tso' }, tso)).toBeNull();
    expect(memoryMismatch({ memory: 'tso' }, sc)).toMatch(/its cell runs under memory model tso but the artifact records sc/);
    expect(memoryMismatch({}, tso)).toMatch(/its cell runs under memory model sc but the artifact records tso/);
  });
});
