import {
  type Artifact,
  createSimulator,
  hashString128,
  LenientReplayExplorer,
  makeArtifact,
  referenceArch,
  replayArtifact,
  runSeed,
  seedFromHex,
  Simulator,
} from '@lazytlb/core';
import { describe, expect, it } from 'vitest';
import { artifactPreemptions, BugDepthError, countPreemptions } from './bug-depth.js';
import { simOptionsFor } from './cell.js';
import { explicitFromRun } from './explicit.js';
import { optionSpace } from './options.js';
import { shrinkArtifact, shrinkRound } from './shrink.js';

/** Body ops mostly membarrier: the generated op that registers and issues the command in one op. */
const MEMBARRIER = { ops: { run: 2, munmap: 1, munmapFreeTables: 1, munmapAll: 1, sleep: 1, yield: 1, migrate: 1, mremap: 1, textPoke: 0, membarrier: 4 } };

function failure(cpus: number, params: unknown, accept: (a: Artifact) => boolean = () => true): Artifact {
  const sim = createSimulator({
    plugin: referenceArch,
    scheme: 'none',
    cpus,
    workload: { profile: 'default', params: params as object },
    strategy: { kind: 'pct', depth: 3 },
  });
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 5000; i++) {
    const r = sim.run(runSeed(cell, i));
    if (r.outcome !== 'violation') continue;
    const a = JSON.parse(JSON.stringify(makeArtifact(sim, runSeed(cell, i), r, i))) as Artifact;
    if (accept(a)) return a;
  }
  throw new Error('no failure');
}

const membarrierOps = (a: Artifact) =>
  explicitFromRun(new Simulator(simOptionsFor(referenceArch, a)), seedFromHex(a.seed))
    .tasks.flatMap((t) => t.program ?? [])
    .filter((op) => op === 'membarrier_register_and_command').length;

describe('shrinkArtifact (reference arch)', () => {
  it('makes a generated workload with membarrier ops explicit without changing its run, and shrinks it (the explicit grammar has the combined op)', () => {
    const a = failure(3, MEMBARRIER, (x) => membarrierOps(x) > 2);
    // the explicit workload is the same run on the same decisions
    const ex = new Simulator(
      simOptionsFor(referenceArch, a, { workload: { explicit: explicitFromRun(new Simulator(simOptionsFor(referenceArch, a)), seedFromHex(a.seed)) } }),
    );
    const same = ex.run(seedFromHex(a.seed), { explorer: new LenientReplayExplorer(Buffer.from(a.decisions, 'base64')), keepDecisions: true });
    expect([same.outcome, same.steps, same.violation?.invariant]).toEqual(['violation', a.outcome.steps, a.outcome.invariant]);
    const r = shrinkArtifact(a, referenceArch, { bugDepth: false });
    expect('explicit' in r.artifact.cell.workload).toBe(true);
    expect(r.after.steps).toBeLessThan(r.before.steps);
    expect(r.after.tasks).toBeLessThan(r.before.tasks);
    expect(r.artifact.outcome.invariant).toBe(a.outcome.invariant);
    expect(replayArtifact(r.artifact, referenceArch).reproduced).toBe(true);
    expect(shrinkArtifact(a, referenceArch, { bugDepth: false }).artifact).toEqual(r.artifact); // deterministic
  });

  it('runs the passes a round is made of: options, then simpler ops, CPUs, tasks, ops and budgets', () => {
    const space = optionSpace(referenceArch);
    expect(shrinkRound(space).map((p) => p.name)).toEqual(['options', 'simplify-ops', 'cpus', 'tasks', 'ops', 'budgets']);
    expect(shrinkRound(space, { options: false }).map((p) => p.name)).toEqual(['simplify-ops', 'cpus', 'tasks', 'ops', 'budgets']);
    expect(shrinkRound(space, { workload: false }).map((p) => p.name)).toEqual(['options']);
    const a = failure(2, {});
    const off = shrinkArtifact(a, referenceArch, { workload: false, options: false, bugDepth: false });
    expect('params' in off.artifact.cell.workload).toBe(true);
    expect(off.after.cpus).toBe(2);
  });
});

describe('preemptions of an artifact (a recorded exact replay)', () => {
  it('counts the switches away from a still-enabled actor; a list that does not fit is a BugDepthError', () => {
    const a = failure(2, {});
    const d = Buffer.from(a.decisions, 'base64');
    const p = artifactPreemptions(a, referenceArch);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(
      countPreemptions(
        d,
        Array.from(d, () => [0, 1, 4, 5]),
      ),
    ).toBe(Array.from(d).filter((x, i) => i > 0 && x !== d[i - 1]).length);
    const bad = { ...a, decisions: Buffer.from(Array.from(d, () => 255)).toString('base64') };
    expect(() => artifactPreemptions(bad, referenceArch)).toThrow(BugDepthError);
    expect(() => artifactPreemptions(bad, referenceArch)).toThrow(/step 0: recorded actor 255 is not enabled/);
  });
});
