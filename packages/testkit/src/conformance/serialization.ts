/**
 * Results cross worker boundaries (postMessage uses the structured clone algorithm) and
 * failures are stored as JSON artifacts: a RunResult and an artifact must survive
 * structuredClone unchanged, and an artifact must survive JSON and parse back with
 * parseArtifact. Plugins take part through their options (recorded in the cell) and
 * their error messages (recorded in outcomes).
 */
import { makeArtifact, parseArtifact } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import type { ConformanceExpect } from './runner.js';

export function checkSerialization(cell: CellSpec, expect: ConformanceExpect, nSeeds: number): void {
  const sim = makeSim(cell);
  const label = cellLabel(cell);
  seedsOf(sim, nSeeds).forEach((seed, i) => {
    for (const trace of [false, true]) {
      const r = sim.run(seed, { keepDecisions: true, trace });
      const clone = structuredClone(r);
      expect(clone, `${label} run ${i}: structuredClone(RunResult) is equal`).toEqual(r);
      expect(clone.decisions instanceof Uint8Array, `${label} run ${i}: decisions stay a Uint8Array`).toBe(true);
      const artifact = makeArtifact(sim, seed, r, i);
      expect(structuredClone(artifact), `${label} run ${i}: structuredClone(artifact) is equal`).toEqual(artifact);
      const parsed = parseArtifact(JSON.parse(JSON.stringify(artifact)), `${label} run ${i} artifact`);
      expect(parsed, `${label} run ${i}: the artifact survives JSON and parseArtifact`).toEqual(artifact);
    }
  });
}
