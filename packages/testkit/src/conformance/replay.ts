/**
 * A recorded run replays exactly from its artifact (model-spec §10): replayArtifact re-runs
 * the cell with the recorded decisions and must reach the same outcome at the same step,
 * with tracing off and on. Runs that end in a violation are the ones that matter most, so
 * the check also looks (within a bound) for a non-ok run of the cell and replays it too.
 */
import { makeArtifact, parseArtifact, replayArtifact, type RunResult, type RunSeed } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import type { ConformanceExpect } from './runner.js';

/** How many extra seeds to scan for a non-ok run worth replaying. */
const FAILURE_SCAN = 200;

export function checkReplay(cell: CellSpec, expect: ConformanceExpect, nSeeds: number): void {
  const sim = makeSim(cell);
  const label = cellLabel(cell);
  const picked: [RunSeed, RunResult, number][] = [];
  seedsOf(sim, nSeeds).forEach((s, i) => picked.push([s, sim.run(s, { keepDecisions: true }), i]));
  if (picked.every(([, r]) => r.outcome === 'ok')) {
    const more = seedsOf(sim, FAILURE_SCAN, nSeeds);
    for (let j = 0; j < more.length; j++) {
      const r = sim.run(more[j]!, { keepDecisions: true });
      if (r.outcome !== 'ok') {
        picked.push([more[j]!, r, nSeeds + j]);
        break;
      }
    }
  }
  for (const [seed, r, i] of picked) {
    const artifact = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim.cell, seed, r, i))));
    for (const trace of [false, true]) {
      const rep = replayArtifact(artifact, cell.plugin, { trace });
      const what = `${label} run ${i} (${r.outcome}${r.violation !== null ? ` ${r.violation.invariant}` : ''}, trace ${trace ? 'on' : 'off'})`;
      expect(rep.reproduced, `${what}: replayArtifact reproduces it`).toBe(true);
      expect(rep.result.decisions === null ? [] : Array.from(rep.result.decisions), `${what}: the replay takes the recorded decisions`).toEqual(Array.from(r.decisions!));
      expect(rep.result.violation, `${what}: the replay reports the same violation`).toEqual(r.violation);
    }
  }
}
