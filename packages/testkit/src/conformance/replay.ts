/**
 * A recorded run replays exactly from its artifact (model-spec §10): replayArtifact re-runs
 * the cell with the recorded decisions and must reach the same outcome at the same step,
 * with tracing off and on. Runs that end in a violation are the ones that matter most, so
 * the check also looks (within a bound) for a non-ok run of the cell and replays it too.
 */
import { makeArtifact, parseArtifact, replayArtifact, type Artifact, type ReplayResult, type RunResult, type RunSeed, type Simulator } from '@lazytlb/core';
import { type CellSpec, cellLabel, makeSim, seedsOf } from './cell.js';
import type { ConformanceExpect } from './runner.js';

/** How many extra seeds to scan for a non-ok run worth replaying. */
const FAILURE_SCAN = 200;

/**
 * Replays a run's artifact, tracing on or off; `what` names the run and the trace setting
 * (for an error of its own).
 */
export type ReplayRun = (artifact: Artifact, trace: boolean, what: string) => ReplayResult;

/**
 * The replay check of both suites: `nSeeds` runs of `sim` (and, when all of them are ok, the
 * first non-ok run within FAILURE_SCAN more seeds), each replayed by `replay` from its artifact
 * (round-tripped through JSON) with tracing off and on. A replay must reproduce the run, take
 * the recorded decisions and report the same violation, and with `samePluginError` the same
 * plugin error too. `label` names the cell in the messages.
 */
export function checkReplayOf(
  sim: Simulator,
  label: string,
  expect: ConformanceExpect,
  nSeeds: number,
  replay: ReplayRun,
  { samePluginError = false } = {},
): void {
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
    const artifact = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim, seed, r, i))));
    for (const trace of [false, true]) {
      const what = `${label} run ${i} (${r.outcome}${r.violation !== null ? ` ${r.violation.invariant}` : ''}, trace ${trace ? 'on' : 'off'})`;
      const rep = replay(artifact, trace, what);
      expect(rep.reproduced, `${what}: replayArtifact reproduces it`).toBe(true);
      expect(rep.result.decisions === null ? [] : Array.from(rep.result.decisions), `${what}: the replay takes the recorded decisions`).toEqual(
        Array.from(r.decisions!),
      );
      expect(rep.result.violation, `${what}: the replay reports the same violation`).toEqual(r.violation);
      if (samePluginError) expect(rep.result.pluginError, `${what}: the replay reports the same plugin error`).toEqual(r.pluginError);
    }
  }
}

export function checkReplay(cell: CellSpec, expect: ConformanceExpect, nSeeds: number): void {
  checkReplayOf(makeSim(cell), cellLabel(cell), expect, nSeeds, (artifact, trace) => replayArtifact(artifact, cell.plugin, { trace }));
}
