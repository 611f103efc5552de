import { describe, expect, it } from 'vitest';
import { MODEL_HASH } from '../generated/model-hash.js';
import { INVARIANTS } from '../invariants/catalog.js';
import { hashString128, runSeed } from '../prng/seed.js';
import { referenceArch } from '../reference-arch/reference-arch.js';
import { ArtifactError, makeArtifact, parseArtifact, replayArtifact } from './artifact.js';
import { Simulator } from './simulator.js';

function firstFailure(sim: Simulator) {
  const cell = hashString128(sim.cellId);
  for (let i = 0; i < 1000; i++) {
    const seed = runSeed(cell, i);
    const r = sim.run(seed);
    if (r.outcome === 'violation') return { seed, r, i };
  }
  throw new Error('no failure found');
}

describe('artifacts', () => {
  const sim = new Simulator({ plugin: referenceArch, scheme: 'none', cpus: 4, workload: 'default', strategy: { kind: 'pct', depth: 3 } });

  it('round-trip through JSON and replay the violation exactly', () => {
    const { seed, r, i } = firstFailure(sim);
    const artifact = makeArtifact(sim.cell, seed, r, i);
    const parsed = parseArtifact(JSON.parse(JSON.stringify(artifact)));
    expect(parsed).toEqual(artifact);
    const replay = replayArtifact(parsed, referenceArch, { trace: true });
    expect(replay.reproduced).toBe(true);
    expect(replay.result.violation).toEqual(r.violation);
    expect(replay.result.trace!.some((e) => e.violation === r.violation!.invariant)).toBe(true);
    expect(artifact.outcome.invariantName).toBe(INVARIANTS[r.violation!.invariant].name);
  });

  it('refuses an artifact of another model version, naming both', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = { ...makeArtifact(sim.cell, seed, r), modelHash: '0123456789abcdef' };
    expect(() => replayArtifact(artifact, referenceArch)).toThrow(ArtifactError);
    expect(() => replayArtifact(artifact, referenceArch)).toThrow(new RegExp(`0123456789abcdef.*${MODEL_HASH}`));
  });

  it('refuses an artifact of another arch plugin', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim.cell, seed, r);
    expect(() => replayArtifact(artifact, { ...referenceArch, version: '9.9.9' })).toThrow(/reference@9\.9\.9/);
  });

  it('rejects a malformed artifact naming the field', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim.cell, seed, r);
    expect(() => parseArtifact({ ...artifact, seed: 'xyz' })).toThrow(/seed: must be 32 lowercase hex digits/);
    expect(() => parseArtifact({ ...artifact, cell: { ...artifact.cell, scheme: 'Lazy MM' } })).toThrow(/cell\.scheme/);
  });

  it('detects a tampered decision list', () => {
    const { seed, r } = firstFailure(sim);
    const artifact = makeArtifact(sim.cell, seed, r);
    const d = Buffer.from(artifact.decisions, 'base64');
    const wrongActor = Buffer.from(d);
    wrongActor[0] = 255; // no such actor
    expect(() => replayArtifact({ ...artifact, decisions: wrongActor.toString('base64') }, referenceArch)).toThrow(/step 0: recorded actor 255 is not enabled/);
    const truncated = d.subarray(0, Math.floor(d.length / 2));
    expect(() => replayArtifact({ ...artifact, decisions: truncated.toString('base64') }, referenceArch)).toThrow(/decision list ends at step/);
  });

  it('refuses a lazytlb.artifact/1 file, saying why and what to do', () => {
    const { seed, r } = firstFailure(sim);
    const old = { ...makeArtifact(sim.cell, seed, r), schema: 'lazytlb.artifact/1' };
    expect(() => parseArtifact(old, 'failures/0-I1.json')).toThrow(/failures\/0-I1\.json: artifact schema lazytlb\.artifact\/1 is not lazytlb\.artifact\/2: .*re-run the sweep/);
  });

  it('records a run for a hazard (target), stops it right there and replays it exactly', () => {
    const cell = hashString128(sim.cellId);
    let found = false;
    for (let i = 0; i < 400 && !found; i++) {
      const seed = runSeed(cell, i);
      const full = sim.run(seed);
      if ((full.hazards & 1) === 0) continue;
      found = true;
      const r = sim.run(seed, { keepDecisions: true, stopAt: { hazard: 'I3' } });
      expect(r.outcome).toBe('stopped');
      expect(r.steps).toBeLessThanOrEqual(full.steps);
      const artifact = parseArtifact(JSON.parse(JSON.stringify(makeArtifact(sim.cell, seed, r, i, { hazard: 'I3' }))));
      expect(artifact.target).toEqual({ hazard: 'I3' });
      expect(artifact.outcome.hazards).toContain('I3');
      const replay = replayArtifact(artifact, referenceArch, { trace: true });
      expect(replay.reproduced).toBe(true);
      expect(replay.result.trace!.some((e) => e.fn === 'hazard')).toBe(true);
      const f = replay.simulator.findings().find((x) => x.kind === 'hazard');
      expect(f).toMatchObject({ kind: 'hazard', id: 'I3' });
    }
    expect(found).toBe(true);
  });
});
